import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { TruncatedResponseError } from '../execution/subgraphClient.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retryPolicy.js';
import type { SubgraphGuard } from './subgraphGuards.js';
import { SubgraphTimeoutError, SubgraphUnavailableError, attemptBudgetMs } from './timeouts.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetchInit = NonNullable<Parameters<Fetcher>[1]>;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The network error code behind a failed fetch (a cut or refused connection), if that is what it is. */
export function networkCode(error: unknown): string | undefined {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof TruncatedResponseError) return undefined;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/** What one subgraph fetch may do, set by `process` and read by the fetcher (which only sees url and init). */
export interface FetchScope {
  /** Epoch ms by which the whole incoming request must be answered. */
  deadline: number | undefined;
  /** Only queries are retried: a mutation sent twice may take effect twice. */
  retryable: boolean;
  /**
   * A fetch of a query operation (never of a mutation's plan) that may share an identical call
   * already in flight (execution/inFlightSharing.ts).
   */
  shareable?: boolean;
}

const fetchScope = new AsyncLocalStorage<FetchScope>();

/** The scope of the subgraph fetch running now, if one is. */
export function currentFetchScope(): FetchScope | undefined {
  return fetchScope.getStore();
}

/**
 * A fetcher that may be handed its fetch's scope as a third argument (our executor's fetches: no
 * async-local storage, whose promise hooks, once any scope is entered, cost every promise of the
 * process); without it, the scope of `withFetchScope` (RemoteGraphQLDataSource's calls).
 */
export type ScopedFetcher = (url: string, init?: FetchInit, scope?: FetchScope) => Promise<FetcherResponse>;

/** Runs one subgraph request with what its fetches may do (the fetcher itself only sees url and init). */
export function withFetchScope<T>(scope: FetchScope, run: () => Promise<T>): Promise<T> {
  return fetchScope.run(scope, run);
}

async function guardedFetch(
  guard: SubgraphGuard,
  send: Fetcher,
  url: string,
  init: FetchInit,
  scope: FetchScope,
): Promise<FetcherResponse> {
  const { breaker, budget, metrics, subgraph } = guard;
  budget.recordRequest();
  for (let retry = 0; ; retry += 1) {
    const budgetMs = attemptBudgetMs(guard.timeoutMs, scope.deadline);
    if (budgetMs <= 0) throw new SubgraphTimeoutError(subgraph, 0, 'deadline');
    if (!breaker.tryAcquire()) throw new SubgraphUnavailableError(subgraph);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), budgetMs);
    const endTimer = metrics.fetchDuration.startTimer({ subgraph });
    let response: FetcherResponse;
    try {
      response = await send(url, { ...init, signal: controller.signal });
    } catch (error) {
      breaker.recordFailure();
      if (controller.signal.aborted) {
        endTimer({ outcome: 'timeout' });
        metrics.timeouts.inc({ subgraph });
        // A timed-out attempt is not retried: a slow office would only be asked to be slow again.
        throw new SubgraphTimeoutError(subgraph, budgetMs, budgetMs < guard.timeoutMs ? 'deadline' : 'timeout');
      }
      endTimer({ outcome: 'network_error' });
      if (!networkCode(error) || !(await waitToRetry(guard, scope, retry, undefined))) throw error;
      continue;
    } finally {
      clearTimeout(timer);
    }
    const failed = response.status >= 500 || response.status === 429;
    if (failed) breaker.recordFailure();
    else breaker.recordSuccess();
    endTimer({ outcome: response.ok ? 'ok' : 'http_error' });
    if (!isRetryableStatus(response.status)) return response;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (!(await waitToRetry(guard, scope, retry, retryAfterMs))) return response;
  }
}

/** Decides whether retry number `retry` may go out, and waits for it; false means give up now. */
async function waitToRetry(
  guard: SubgraphGuard,
  scope: FetchScope,
  retry: number,
  retryAfterMs: number | undefined,
): Promise<boolean> {
  const { subgraph, metrics } = guard;
  if (!scope.retryable || retry >= guard.retry.maxRetries) return false;
  if (retryAfterMs !== undefined && retryAfterMs > guard.retry.maxRetryAfterMs) {
    metrics.retriesRefused.inc({ subgraph, reason: 'retry_after_too_long' });
    return false;
  }
  const delayMs = retryAfterMs ?? backoffDelay(retry, guard.retry);
  if (scope.deadline !== undefined && Date.now() + delayMs >= scope.deadline) {
    metrics.retriesRefused.inc({ subgraph, reason: 'deadline' });
    return false;
  }
  if (!guard.budget.tryRetry()) {
    metrics.retriesRefused.inc({ subgraph, reason: 'budget' });
    return false;
  }
  metrics.retries.inc({ subgraph });
  await sleep(delayMs);
  return true;
}

/**
 * Wraps a subgraph's fetcher in its guard: each HTTP attempt gets the subgraph's timeout (cut to the
 * request's deadline) and passes its circuit breaker; queries only are retried on connection errors
 * and 429/502/503/504, with capped, jittered backoff (or the subgraph's `Retry-After`) within a
 * retry budget.
 */
export function guardFetcher(guard: SubgraphGuard, send: Fetcher): ScopedFetcher {
  return (url, init, scope) =>
    guardedFetch(
      guard,
      send,
      url,
      init ?? {},
      scope ?? currentFetchScope() ?? { deadline: undefined, retryable: false },
    );
}
