import { parseConfig, type Env } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { resilienceSection } from './config.js';

const parse = (env: Env) => parseConfig('gateway', { resilience: resilienceSection }, env).resilience;
const problems = (env: Env) => configProblems(() => parse(env));

describe('resilience config', () => {
  it('builds the guards, the deadline and the drain from their documented defaults', () => {
    expect(parse({ SUBGRAPH_TIMEOUTS: 'sectors=2000' })).toEqual({
      guards: {
        timeouts: { defaultMs: 10_000, perSubgraphMs: { sectors: 2_000 } },
        retry: { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
        retryBudget: { ratio: 0.2, maxTokens: 20 },
        breaker: { failureThreshold: 5, coolDownMs: 10_000 },
      },
      requestDeadlineMs: 30_000,
      shutdownDrainMs: 8_000,
    });
  });

  it('refuses a first backoff above the cap, which would make it meaningless', () => {
    expect(problems({ SUBGRAPH_RETRY_BASE_MS: '2000' })).toEqual([
      'SUBGRAPH_RETRY_BASE_MS: is above SUBGRAPH_RETRY_MAX_MS (1000), which caps every backoff, so it would have no effect',
    ]);
    expect(parse({ SUBGRAPH_RETRY_BASE_MS: '2000', SUBGRAPH_RETRY_MAX_MS: '4000' }).guards.retry.baseDelayMs).toBe(
      2_000,
    );
  });

  it('refuses a drain the hard stop on shutdown would cut short', () => {
    expect(problems({ SHUTDOWN_DRAIN_MS: '12000' })).toEqual([
      expect.stringMatching(/^SHUTDOWN_DRAIN_MS="12000": expected under 10000 \(the hard stop on shutdown\)/),
    ]);
  });
});
