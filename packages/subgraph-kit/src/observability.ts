import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { boundedOperationLabel, type Logger } from '@cip/core';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from './database.js';

const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

/**
 * A subgraph's Prometheus series, on a registry of its own (the embedded stack runs four subgraphs
 * in one process): requests by operation and outcome, their latency, and the statements its store ran.
 */
export function createSubgraphMetrics(subgraph: string, db: Pick<Database, 'onStatement'>) {
  const registry = new Registry();
  registry.setDefaultLabels({ subgraph });
  collectDefaultMetrics({ register: registry, prefix: 'cip_subgraph_' });
  const registers = [registry];
  const storeStatements = new Counter({
    name: 'cip_subgraph_store_statements_total',
    help: 'SQL statements sent to the store.',
    registers,
  });
  const stopObserving = db.onStatement(() => storeStatements.inc());
  return {
    registry,
    requests: new Counter({
      name: 'cip_subgraph_requests_total',
      help: 'GraphQL requests by operation name and outcome (success, partial, error).',
      labelNames: ['operation', 'outcome'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'cip_subgraph_request_duration_seconds',
      help: 'Time to answer a GraphQL request, by operation name.',
      labelNames: ['operation'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    storeStatements,
    stopObserving,
  };
}

export type SubgraphMetrics = ReturnType<typeof createSubgraphMetrics>;

/** `GET /metrics` for a subgraph, with the module's own series (if any) after the kit's. */
export function subgraphMetricsRoute(metrics: SubgraphMetrics, moduleMetrics?: () => Registry) {
  return async (_req: unknown, res: ServerResponse): Promise<void> => {
    const own = moduleMetrics ? `\n${await moduleMetrics().metrics()}` : '';
    const body = `${await metrics.registry.metrics()}${own}`;
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(body);
  };
}

const mapGetter = {
  keys: (carrier: Map<string, string>) => [...carrier.keys()],
  get: (carrier: Map<string, string>, key: string) => carrier.get(key),
};

/**
 * Per request: continues the gateway's trace from `traceparent` with a server span of its own,
 * counts the request in the metrics, echoes the gateway's `x-request-id` and logs it (at debug),
 * so one id follows a request through every office's log. No headers or variables are logged.
 */
export function subgraphObservabilityPlugin<TContext extends BaseContext>(
  subgraph: string,
  metrics: SubgraphMetrics,
  logger: Logger,
): ApolloServerPlugin<TContext> {
  const tracer = trace.getTracer('cip-subgraph');
  const operationLabel = boundedOperationLabel();
  return {
    async requestDidStart({ request }) {
      const headers = request.http?.headers;
      const parent = headers ? propagation.extract(ROOT_CONTEXT, headers, mapGetter) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        `subgraph ${subgraph}`,
        { kind: SpanKind.SERVER, attributes: { 'cip.subgraph': subgraph } },
        parent,
      );
      const offeredId = headers?.get(REQUEST_ID_HEADER);
      const requestId = offeredId && ACCEPTABLE_ID.test(offeredId) ? offeredId : undefined;
      const stopTimer = metrics.requestDuration.startTimer();
      return {
        async willSendResponse({ operationName, response }) {
          const operation = operationLabel(operationName ?? request.operationName);
          const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const hasErrors = (body?.errors?.length ?? 0) > 0;
          const hasData = body?.data !== undefined && body.data !== null;
          const outcome = !hasErrors ? 'success' : hasData ? 'partial' : 'error';
          metrics.requests.inc({ operation, outcome });
          stopTimer({ operation });
          if (requestId) response.http.headers.set(REQUEST_ID_HEADER, requestId);
          span.setAttribute('graphql.operation.name', operation);
          if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          logger.debug({ requestId, operation, outcome }, 'request');
        },
      };
    },
  };
}
