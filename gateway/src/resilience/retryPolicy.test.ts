import { describe, expect, it } from 'vitest';
import { RetryBudget, backoffDelay, isRetryableStatus, parseRetryAfter } from './retryPolicy.js';

const options = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe('retry policy', () => {
  it('retries only statuses that say "try again"', () => {
    expect([429, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 401, 404, 500, 501].some(isRetryableStatus)).toBe(false);
  });

  it('backs off exponentially, capped, with full jitter', () => {
    expect(backoffDelay(0, options, () => 0.999)).toBe(99);
    expect(backoffDelay(2, options, () => 0.999)).toBe(399);
    expect(backoffDelay(10, options, () => 0.999)).toBe(999);
    expect(backoffDelay(10, options, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('a retry budget lets retries through up to its size, then only as requests earn them', () => {
    const budget = new RetryBudget({ ratio: 0.5, maxTokens: 2 });
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    budget.recordRequest();
    expect(budget.tryRetry()).toBe(false);
    budget.recordRequest();
    expect(budget.tryRetry()).toBe(true);
    for (let i = 0; i < 100; i += 1) budget.recordRequest();
    expect(budget.remaining).toBe(2);
  });
});
