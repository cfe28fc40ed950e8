/** How the gateway retries a failed subgraph fetch. */
export interface RetryOptions {
  /** Retries after the first attempt (0 turns retries off). */
  maxRetries: number;
  /** First backoff; each retry doubles it, up to `maxDelayMs`, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the fetch fails instead. */
  maxRetryAfterMs: number;
}

/** HTTP statuses that say "try again": the subgraph or a proxy in front of it is briefly unable to answer. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * Capped exponential backoff with full jitter (a random delay between 0 and the cap), so that
 * clients retrying after the same outage do not come back in lockstep.
 */
export function backoffDelay(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

/** Reads `Retry-After` (delta-seconds or an HTTP date) as milliseconds from now; undefined if absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryBudgetOptions {
  /** Retries earned per original request (0.2: at most one retry for five requests, in steady state). */
  ratio: number;
  /** Retries the budget holds when full; also what it starts with, so a quiet gateway can still retry. */
  maxTokens: number;
}

/**
 * A retry budget: each original request deposits `ratio` tokens, each retry spends one. During an
 * outage every request fails, the budget drains, and retries stop multiplying load on the office
 * that is down; once requests succeed again the budget refills.
 */
export class RetryBudget {
  private tokens: number;

  constructor(private readonly options: RetryBudgetOptions) {
    this.tokens = options.maxTokens;
  }

  recordRequest(): void {
    this.tokens = Math.min(this.options.maxTokens, this.tokens + this.options.ratio);
  }

  /** Spends one retry if the budget has one. */
  tryRetry(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  get remaining(): number {
    return this.tokens;
  }
}
