import { STOP_DEADLINE_MS, defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';
import type { ResilienceOptions } from './subgraphGuards.js';
import { subgraphTimeoutOverrides } from './timeouts.js';

/** The resilience concern's options (docs/operating.md): timeouts, retries, the breaker, the drain on shutdown. */
export interface ResilienceSettings {
  /** What guards each subgraph's fetches (subgraphGuards.ts). */
  readonly guards: ResilienceOptions;
  /** Time a whole incoming request may take; subgraph attempts and retries are cut to it. */
  readonly requestDeadlineMs: number;
  /** Time in-flight requests get to finish on shutdown before their connections are cut. */
  readonly shutdownDrainMs: number;
}

const ms = (fallback: number, description: string) => envVar.positiveInt(fallback).register(envDocs, { description });

export const resilienceSection = defineSection({
  shape: {
    SUBGRAPH_TIMEOUT_MS: ms(10_000, 'time one attempt to a subgraph may take, unless SUBGRAPH_TIMEOUTS names it'),
    SUBGRAPH_TIMEOUTS: subgraphTimeoutOverrides.register(envDocs, {
      description: '`name=ms,name=ms`: per-subgraph attempt timeouts, e.g. `sectors=2000`',
    }),
    REQUEST_DEADLINE_MS: ms(30_000, 'time a whole request may take; subgraph attempts and retries are cut to it'),
    SUBGRAPH_RETRIES: z.coerce.number().int().min(0).max(10).default(2).register(envDocs, {
      description:
        'retries after a failed query fetch (connection error, 429, 502, 503, 504), 0 to 10; 0 turns them off',
    }),
    SUBGRAPH_RETRY_BASE_MS: ms(50, 'first backoff before a retry; doubled on each retry, with full jitter'),
    SUBGRAPH_RETRY_MAX_MS: ms(1_000, 'longest backoff before a retry'),
    SUBGRAPH_RETRY_AFTER_MAX_MS: ms(5_000, "a subgraph's `Retry-After` longer than this is not waited for"),
    SUBGRAPH_RETRY_BUDGET_RATIO: z.coerce.number().min(0).max(10).default(0.2).register(envDocs, {
      description: 'retries earned per request (0.2: one retry per five requests in steady state)',
    }),
    SUBGRAPH_RETRY_BUDGET_MAX: envVar.positiveInt(20).register(envDocs, {
      description: "the retry budget's size, and what it starts with",
    }),
    BREAKER_FAILURE_THRESHOLD: envVar.positiveInt(5).register(envDocs, {
      description: "consecutive failed attempts that open a subgraph's circuit breaker",
    }),
    BREAKER_COOL_DOWN_MS: ms(10_000, 'how long an open breaker fails fast before it lets one probe through'),
    SHUTDOWN_DRAIN_MS: z.coerce
      .number()
      .int()
      .positive()
      .max(
        STOP_DEADLINE_MS - 1,
        `expected under ${STOP_DEADLINE_MS} (the hard stop on shutdown), which would otherwise cut the drain short`,
      )
      .default(8_000)
      .register(envDocs, {
        description: `time in-flight requests get to finish on shutdown, under the ${STOP_DEADLINE_MS} ms hard stop`,
      }),
  },
  rules: (rule) => [
    rule.check(['SUBGRAPH_RETRY_BASE_MS', 'SUBGRAPH_RETRY_MAX_MS'], (values) =>
      values.SUBGRAPH_RETRY_BASE_MS > values.SUBGRAPH_RETRY_MAX_MS
        ? {
            variable: 'SUBGRAPH_RETRY_BASE_MS',
            message: `is above SUBGRAPH_RETRY_MAX_MS (${values.SUBGRAPH_RETRY_MAX_MS}), which caps every backoff, so it would have no effect`,
          }
        : undefined,
    ),
  ],
  build: (values): ResilienceSettings => ({
    guards: {
      timeouts: { defaultMs: values.SUBGRAPH_TIMEOUT_MS, perSubgraphMs: values.SUBGRAPH_TIMEOUTS },
      retry: {
        maxRetries: values.SUBGRAPH_RETRIES,
        baseDelayMs: values.SUBGRAPH_RETRY_BASE_MS,
        maxDelayMs: values.SUBGRAPH_RETRY_MAX_MS,
        maxRetryAfterMs: values.SUBGRAPH_RETRY_AFTER_MAX_MS,
      },
      retryBudget: { ratio: values.SUBGRAPH_RETRY_BUDGET_RATIO, maxTokens: values.SUBGRAPH_RETRY_BUDGET_MAX },
      breaker: { failureThreshold: values.BREAKER_FAILURE_THRESHOLD, coolDownMs: values.BREAKER_COOL_DOWN_MS },
    },
    requestDeadlineMs: values.REQUEST_DEADLINE_MS,
    shutdownDrainMs: values.SHUTDOWN_DRAIN_MS,
  }),
});
