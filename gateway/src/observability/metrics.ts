import type { ServerResponse } from 'node:http';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { registeredOperationLabel } from '@cip/core';
import { observePlanLookups } from '@cip/plan-executor';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { BreakerState } from '../resilience/circuitBreaker.js';

/** Breaker states as a gauge value: 0 closed, 1 open, 2 half-open. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

/**
 * The gateway's Prometheus series, on a registry of its own (several gateways can run in one
 * process, as in tests, without their counts mixing).
 */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cip_gateway_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'cip_gateway_requests_total',
      help: 'GraphQL requests by operation (a trusted operation name, else other) and outcome (success, partial: data with errors, error: no data).',
      labelNames: ['operation', 'outcome'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'cip_gateway_request_duration_seconds',
      help: 'Time to answer a GraphQL request, by operation (a trusted operation name, else other).',
      labelNames: ['operation'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: 'cip_gateway_requests_in_flight',
      help: 'GraphQL requests being answered now.',
      registers,
    }),
    fetchDuration: new Histogram({
      name: 'cip_gateway_subgraph_fetch_duration_seconds',
      help: 'Time of each HTTP attempt to a subgraph, by subgraph and outcome (ok, http_error, network_error, timeout).',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    subgraphErrors: new Counter({
      name: 'cip_gateway_subgraph_errors_total',
      help: 'Subgraph fetches that failed after retries, by subgraph and the code clients saw.',
      labelNames: ['subgraph', 'code'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'cip_gateway_subgraph_retries_total',
      help: 'Retries sent to a subgraph.',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    retriesRefused: new Counter({
      name: 'cip_gateway_subgraph_retries_refused_total',
      help: 'Retries not sent because the retry budget was spent (or a Retry-After was too long).',
      labelNames: ['subgraph', 'reason'] as const,
      registers,
    }),
    sharedCalls: new Counter({
      name: 'cip_gateway_subgraph_shared_calls_total',
      help: 'Subgraph queries answered by an identical call already in flight (SUBGRAPH_DEDUP), not sent again.',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    timeouts: new Counter({
      name: 'cip_gateway_subgraph_timeouts_total',
      help: 'Subgraph attempts that ran out of time.',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: 'cip_gateway_subgraph_breaker_state',
      help: 'Circuit breaker state per subgraph: 0 closed, 1 open, 2 half-open.',
      labelNames: ['subgraph'] as const,
      // Over GATEWAY_WORKERS, each worker has its own breakers: the cluster shows the worst state, not a sum.
      aggregator: 'max',
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'cip_gateway_subgraph_breaker_transitions_total',
      help: 'Circuit breaker state changes, by subgraph and the state entered.',
      labelNames: ['subgraph', 'to'] as const,
      registers,
    }),
    planCache: new Counter({
      name: 'cip_gateway_query_plan_cache_total',
      help: 'Query plan cache lookups, by result (hit, miss).',
      labelNames: ['result'] as const,
      registers,
    }),
    supergraphReloads: new Counter({
      name: 'cip_gateway_supergraph_reloads_total',
      help: 'Supergraph reloads, by outcome (applied, refused: invalid, the last good one keeps serving).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    supergraphReloadOk: new Gauge({
      name: 'cip_gateway_supergraph_last_reload_ok',
      help: '1 if the last supergraph reload was applied (or none was tried), 0 if it was refused.',
      // Over GATEWAY_WORKERS: 0 if any worker refused its last reload.
      aggregator: 'min',
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/**
 * Counts requests by operation and outcome, their latency, and those in flight. The `operation`
 * label is the operation's name only when it is one of `registeredNames` (the trusted documents'),
 * else `other`: clients choose operation names, and each new label value is a new series.
 */
export function metricsPlugin(
  metrics: GatewayMetrics,
  registeredNames: Iterable<string>,
): ApolloServerPlugin<GatewayContext> {
  const operationLabel = registeredOperationLabel(registeredNames);
  return {
    async requestDidStart() {
      metrics.inFlight.inc();
      const stopTimer = metrics.requestDuration.startTimer();
      return {
        async willSendResponse({ request, operationName, response }) {
          const operation = operationLabel(operationName ?? request.operationName);
          // A deferred operation streamed: its outcome is its initial payload's.
          const body = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const hasErrors = (body?.errors?.length ?? 0) > 0;
          const hasData = body?.data !== undefined && body.data !== null;
          const outcome = !hasErrors ? 'success' : hasData ? 'partial' : 'error';
          metrics.requests.inc({ operation, outcome });
          stopTimer({ operation });
          metrics.inFlight.dec();
        },
      };
    },
  };
}

/** What `/metrics` serves: this process's registry, or a cluster's aggregate (cluster/worker.ts). */
export type MetricsSource = Pick<Registry, 'contentType' | 'metrics'>;

/** `GET /metrics`: the Prometheus text format. */
export function metricsRoute(source: MetricsSource) {
  return async (_req: unknown, res: ServerResponse): Promise<void> => {
    const body = await source.metrics();
    res.writeHead(200, { 'content-type': source.contentType });
    res.end(body);
  };
}

/**
 * Counts query plan cache hits. @apollo/gateway exposes no hook for it, so the lookup of its
 * (private) plan store is wrapped, by the adapter that holds all our reads of its internals; if a
 * future version renames the store, the counter stays at zero rather than breaking requests.
 */
export function observePlanCache(gateway: ApolloGateway, metrics: GatewayMetrics): void {
  observePlanLookups(gateway, (found) => metrics.planCache.inc({ result: found ? 'hit' : 'miss' }));
}
