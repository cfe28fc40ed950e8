import { Agent, type Dispatcher } from 'undici';

/** How the kit talks to a partner's server. Every value has a default that suits a small JSON feed. */
export interface FetchPolicy {
  /** Abort one attempt after this long (default 5 s). */
  timeoutMs: number;
  /** Attempts after the first, on a 5xx, a 429, a timeout or a dropped connection (default 3). */
  retries: number;
  /** First backoff; doubled each retry, with jitter (default 200 ms). */
  backoffMs: number;
  /** The longest `Retry-After` we honour; a partner asking for longer is treated as down (default 30 s). */
  maxRetryAfterMs: number;
  /** Waits between attempts; tests inject one that records the waits instead of sleeping. */
  sleep(ms: number): Promise<void>;
  /**
   * Keep-alive connections to the partner. Global `fetch` with an undici Agent as dispatcher: the
   * Agent keeps sockets open between polls, and tests can intercept global `fetch` with nock.
   */
  dispatcher: Dispatcher;
}

export const defaultFetchPolicy = (): FetchPolicy => ({
  timeoutMs: 5_000,
  retries: 3,
  backoffMs: 200,
  maxRetryAfterMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  dispatcher: new Agent({ keepAliveTimeout: 30_000, connections: 4 }),
});

/** What the last good answer for a URL said about itself, for a conditional request next time. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type FetchOutcome =
  | { kind: 'fresh'; body: string; validators: Validators; attempts: number }
  | { kind: 'not-modified'; attempts: number };

/** A feed request that failed for good: after the retries, or at once for a 4xx that retrying cannot fix. */
export class FeedFetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status: number | undefined,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FeedFetchError';
  }
}

/**
 * `Retry-After` is either seconds or an HTTP date. Returns the wait in ms, or undefined when the
 * header is absent or unreadable (then our own backoff applies).
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1_000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const retryable = (status: number) => status === 429 || status >= 500;

function backoff(policy: FetchPolicy, attempt: number): number {
  const base = policy.backoffMs * 2 ** attempt;
  // Jitter spreads the retries of many subgraph replicas polling the same partner.
  return base / 2 + Math.random() * (base / 2);
}

/**
 * GETs a feed URL: conditional when we hold validators for it, with a timeout per attempt and
 * retries with backoff on what a retry can fix (5xx, 429, timeouts, dropped connections).
 */
export async function fetchFeedDocument(
  url: string,
  validators: Validators | undefined,
  policy: FetchPolicy,
  headers: Record<string, string> = {},
): Promise<FetchOutcome> {
  const requestHeaders: Record<string, string> = { accept: 'application/json', ...headers };
  if (validators?.etag) requestHeaders['if-none-match'] = validators.etag;
  if (validators?.lastModified) requestHeaders['if-modified-since'] = validators.lastModified;
  let lastProblem = 'no attempt made';
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    let wait = backoff(policy, attempt);
    try {
      const response = await fetch(url, {
        headers: requestHeaders,
        signal: AbortSignal.timeout(policy.timeoutMs),
        // Node's fetch accepts an undici dispatcher; the DOM typing of RequestInit does not know it.
        ...({ dispatcher: policy.dispatcher } as object),
      });
      lastStatus = response.status;
      if (response.status === 304) {
        await response.body?.cancel();
        return { kind: 'not-modified', attempts: attempt + 1 };
      }
      if (response.ok) {
        const body = await response.text();
        const etag = response.headers.get('etag');
        const lastModified = response.headers.get('last-modified');
        return {
          kind: 'fresh',
          body,
          validators: { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) },
          attempts: attempt + 1,
        };
      }
      await response.body?.cancel();
      lastProblem = `HTTP ${response.status}`;
      if (!retryable(response.status)) {
        throw new FeedFetchError(`${url} answered ${lastProblem}`, url, response.status, attempt + 1);
      }
      const asked = parseRetryAfter(response.headers.get('retry-after'));
      if (asked !== undefined) {
        if (asked > policy.maxRetryAfterMs) {
          throw new FeedFetchError(
            `${url} answered ${lastProblem} and asked us to wait ${asked} ms, more than the ${policy.maxRetryAfterMs} ms we wait`,
            url,
            response.status,
            attempt + 1,
          );
        }
        wait = asked;
      }
    } catch (error) {
      if (error instanceof FeedFetchError) throw error;
      lastStatus = undefined;
      lastProblem =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${policy.timeoutMs} ms`
          : `request failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (attempt < policy.retries) await policy.sleep(wait);
  }
  return Promise.reject(
    new FeedFetchError(
      `${url}: ${lastProblem} after ${policy.retries + 1} attempts`,
      url,
      lastStatus,
      policy.retries + 1,
    ),
  );
}
