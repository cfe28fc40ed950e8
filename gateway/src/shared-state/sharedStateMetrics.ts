import { Counter, type Registry } from 'prom-client';

/** Redis errors of the shared state and response cache lookups, on the gateway's registry (`/metrics`). */
export function createSharedStateMetrics(registry: Registry) {
  return {
    errors: new Counter({
      name: 'cip_gateway_shared_state_errors_total',
      help: 'Redis commands of the shared state that failed (the request went on as if missed), by operation.',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    responseCache: new Counter({
      name: 'cip_gateway_response_cache_total',
      help: 'Response cache lookups, by result (hit, miss).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
