import { Counter, Gauge, type Registry } from 'prom-client';

/** How a client receives its events: GraphQL over WebSocket, or over SSE. */
export type Transport = 'websocket' | 'sse';

/** Why the gateway ended a client's subscription (`cip_gateway_subscriptions_dropped_total`'s `reason`). */
export type DropReason = 'too_slow' | 'token_expired' | 'shutdown' | 'schema_reload';

/** The subscriptions' series, on the gateway's registry (`/metrics`). */
export function createSubscriptionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    open: new Gauge({
      name: 'cip_gateway_subscriptions_open',
      help: 'Client subscriptions open now, by transport (websocket, sse).',
      labelNames: ['transport'] as const,
      registers,
    }),
    events: new Counter({
      name: 'cip_gateway_subscription_events_total',
      help: 'Events received from the offices for client subscriptions, by transport.',
      labelNames: ['transport'] as const,
      registers,
    }),
    dropped: new Counter({
      name: 'cip_gateway_subscriptions_dropped_total',
      help: 'Client subscriptions ended by the gateway, by transport and reason (too_slow, token_expired, shutdown, schema_reload).',
      labelNames: ['transport', 'reason'] as const,
      registers,
    }),
    gaps: new Counter({
      name: 'cip_gateway_subscription_gaps_total',
      help: 'Office connections of subscriptions that dropped and were made again (SUBSCRIPTION_GAP sent), by office.',
      labelNames: ['office'] as const,
      registers,
    }),
  };
}

export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;
