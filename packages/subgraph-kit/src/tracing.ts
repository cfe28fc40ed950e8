import type { Logger } from '@cip/core';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * For a subgraph running alone: registers a tracer provider that batches spans to an OTLP/HTTP
 * endpoint, so its `subgraph <name>` spans (continued from the gateway's `traceparent`) are
 * exported. Without an endpoint nothing is registered and nothing leaves the machine. (In
 * `npm start` the gateway's provider records the subgraphs' spans too: one process.)
 */
export function exportSubgraphTraces(
  subgraph: string,
  endpoint: string | undefined,
  logger: Logger,
): (() => Promise<void>) | undefined {
  if (!endpoint) return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `cip-subgraph-${subgraph}` }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  provider.register();
  logger.info({ endpoint }, 'exporting traces');
  return async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  };
}
