import { defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';

/** The subscriptions concern's options (docs/live-changes.md, "Through the gateway"). */
export interface SubscriptionSettings {
  /** Whether `/graphql` serves subscriptions over WebSocket and SSE at all. */
  readonly enabled: boolean;
  /** Subscriptions one WebSocket connection may hold at once (an SSE request holds one). */
  readonly maxPerConnection: number;
  /** WebSocket connections and SSE streams one caller (token subject, else client address) may hold at once. */
  readonly maxConnectionsPerCaller: number;
  /** Events held for a client that reads slower than they come; one more and the client is dropped. */
  readonly maxBufferedEvents: number;
  /** Backoff between attempts to subscribe to an office again after its socket dropped: first, and longest. */
  readonly resubscribeBaseMs: number;
  readonly resubscribeMaxMs: number;
  /** Attempts before a subscription whose office stays away ends with an error. */
  readonly resubscribeAttempts: number;
  /** Time a WebSocket client has to send `connection_init` after the upgrade. */
  readonly connectionInitTimeoutMs: number;
}

const ms = (fallback: number, description: string) => envVar.positiveInt(fallback).register(envDocs, { description });

export const subscriptionsSection = defineSection({
  shape: {
    SUBSCRIPTIONS: z.enum(['on', 'off']).default('on').register(envDocs, {
      description: '`on`: `/graphql` serves subscriptions over WebSocket (graphql-transport-ws) and SSE',
    }),
    SUBSCRIPTIONS_PER_CONNECTION: envVar.positiveInt(25).register(envDocs, {
      description: 'subscriptions one WebSocket connection may hold at once; one more is refused with its code',
    }),
    SUBSCRIPTION_CONNECTIONS_PER_CALLER: envVar.positiveInt(20).register(envDocs, {
      description: 'WebSocket connections and SSE streams one caller (token subject, else address) may hold at once',
    }),
    SUBSCRIPTION_BUFFERED_EVENTS: envVar.positiveInt(100).register(envDocs, {
      description: 'events held for a client that reads too slowly; past it the client is dropped with a code',
    }),
    SUBSCRIPTION_RESUBSCRIBE_BASE_MS: ms(250, 'first wait before subscribing to an office again; doubled each attempt'),
    SUBSCRIPTION_RESUBSCRIBE_MAX_MS: ms(10_000, 'longest wait between attempts to subscribe to an office again'),
    SUBSCRIPTION_RESUBSCRIBE_ATTEMPTS: envVar.positiveInt(30).register(envDocs, {
      description: 'attempts to subscribe to an office again before the subscription ends with SUBGRAPH_UNREACHABLE',
    }),
    SUBSCRIPTION_INIT_TIMEOUT_MS: ms(3_000, 'time a WebSocket client has to send `connection_init`'),
  },
  rules: (rule) => [
    rule.check(['SUBSCRIPTION_RESUBSCRIBE_BASE_MS', 'SUBSCRIPTION_RESUBSCRIBE_MAX_MS'], (values) =>
      values.SUBSCRIPTION_RESUBSCRIBE_BASE_MS > values.SUBSCRIPTION_RESUBSCRIBE_MAX_MS
        ? {
            variable: 'SUBSCRIPTION_RESUBSCRIBE_BASE_MS',
            message: `is above SUBSCRIPTION_RESUBSCRIBE_MAX_MS (${values.SUBSCRIPTION_RESUBSCRIBE_MAX_MS}), which caps every wait`,
          }
        : undefined,
    ),
  ],
  build: (values): SubscriptionSettings => ({
    enabled: values.SUBSCRIPTIONS === 'on',
    maxPerConnection: values.SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerCaller: values.SUBSCRIPTION_CONNECTIONS_PER_CALLER,
    maxBufferedEvents: values.SUBSCRIPTION_BUFFERED_EVENTS,
    resubscribeBaseMs: values.SUBSCRIPTION_RESUBSCRIBE_BASE_MS,
    resubscribeMaxMs: values.SUBSCRIPTION_RESUBSCRIBE_MAX_MS,
    resubscribeAttempts: values.SUBSCRIPTION_RESUBSCRIBE_ATTEMPTS,
    connectionInitTimeoutMs: values.SUBSCRIPTION_INIT_TIMEOUT_MS,
  }),
});
