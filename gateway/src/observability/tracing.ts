import type { IncomingMessage } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type * as OtlpTraceExporterModule from '@opentelemetry/exporter-trace-otlp-http';
import type * as ResourcesModule from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type * as SdkTraceNodeModule from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from '@cip/core';
import type { SubgraphRequestHook } from '../execution/subgraphDataSource.js';

export { InMemorySpanExporter, type ReadableSpan };

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP traces endpoint; spans are batched and sent there. */
  otlpEndpoint?: string | undefined;
  /** Any other exporter (tests pass an `InMemorySpanExporter`); spans are sent one by one. */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Flushes pending spans and unregisters the provider, so the process goes back to no-op tracing. */
  shutdown(): Promise<void>;
}

// The SDK and the OTLP exporter (some 300 modules, ~3 MB RSS) are loaded only when tracing is on.
const lazyRequire = createRequire(import.meta.url);
const loadOtlpExporter = () => lazyRequire('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpTraceExporterModule;

/**
 * Registers an OpenTelemetry tracer provider for this process, with the W3C trace-context
 * propagator and an async-local context manager. Nothing is registered, and no span is recorded,
 * unless an exporter or OTLP endpoint is given: by default nothing leaves the machine.
 *
 * The spans themselves come from the API, wherever a provider is registered: @apollo/gateway's
 * own `gateway.request`, `gateway.validate`, `gateway.plan`, `gateway.execute` and `gateway.fetch`
 * spans, our HTTP server span around them, and each subgraph's span continuing the trace.
 */
export function registerTracing(options: TracingOptions): Tracing | undefined {
  const spanProcessors = [
    ...(options.otlpEndpoint
      ? [new BatchSpanProcessor(new (loadOtlpExporter().OTLPTraceExporter)({ url: options.otlpEndpoint }))]
      : []),
    ...(options.exporter ? [new SimpleSpanProcessor(options.exporter)] : []),
  ];
  if (spanProcessors.length === 0) return undefined;
  const { NodeTracerProvider } = lazyRequire('@opentelemetry/sdk-trace-node') as typeof SdkTraceNodeModule;
  const { resourceFromAttributes } = lazyRequire('@opentelemetry/resources') as typeof ResourcesModule;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors,
  });
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const tracer = () => trace.getTracer('cip-gateway');

const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
};

/**
 * One server span per HTTP request to the gateway, continuing the caller's `traceparent` if it
 * sent one; everything the gateway does for the request (parse, validate, plan, each subgraph
 * fetch) is a child of it.
 */
export function withTracing(handler: RequestHandler): RequestHandler {
  return (req, res) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const span = tracer().startSpan(
      `${req.method ?? 'GET'} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return context.with(trace.setSpan(parent, span), () => handler(req, res));
  };
}

/**
 * Sends the active trace context (the `gateway.fetch` span) to the subgraph as W3C `traceparent`,
 * so the subgraph's span joins the same trace under the fetch that caused it.
 */
export const propagateTraceContext: SubgraphRequestHook = (_subgraph, options) => {
  const headers = options.request.http?.headers;
  if (!headers) return;
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
};
