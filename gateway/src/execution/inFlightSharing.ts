import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GATEWAY_SIGNATURE_HEADER } from '@cip/core';
import { REQUEST_ID_HEADER } from '../observability/requestLogging.js';
import { currentFetchScope, type ScopedFetcher } from '../resilience/guardedFetch.js';
import { SubgraphTimeoutError } from '../resilience/timeouts.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetchInit = NonNullable<Parameters<Fetcher>[1]>;

/**
 * Headers that name one request rather than ask a different question: left out of the key, or two
 * identical queries would never share. Every other header (the caller's claims, propagated client
 * headers, anything added later) is part of it. The signature is added under the retries, per attempt.
 */
const PER_REQUEST_HEADERS = new Set([
  REQUEST_ID_HEADER,
  'traceparent',
  'tracestate',
  'baggage',
  GATEWAY_SIGNATURE_HEADER,
]);

/**
 * What makes two subgraph requests the same question: the URL, the headers that can change the
 * answer (names lowercased and sorted), and the exact body (query and variables as serialized).
 * Header values cannot hold a line break, so the separators are unambiguous.
 */
export function sharingKey(url: string, init: FetchInit): string | undefined {
  if (typeof init.body !== 'string') return undefined;
  const headers = Object.entries(init.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => !PER_REQUEST_HEADERS.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let key = url;
  for (const [name, value] of headers) key += `\n${name}: ${value}`;
  return `${key}\n\n${init.body}`;
}

interface InFlightCall {
  readonly response: Promise<FetcherResponse>;
  /** The deadline of the request that started the call: its attempts run within it. */
  readonly deadline: number | undefined;
  /** Requests waiting for it besides the one that started it. */
  waiters: number;
}

/**
 * Fails with the waiter's own deadline when it comes before the deadline the shared call runs
 * under; otherwise waits for the shared call as it is.
 */
function withinOwnDeadline(
  subgraph: string,
  call: InFlightCall,
  deadline: number | undefined,
): Promise<FetcherResponse> {
  if (deadline === undefined || (call.deadline !== undefined && call.deadline <= deadline)) return call.response;
  const leftMs = deadline - Date.now();
  if (leftMs <= 0) return Promise.reject(new SubgraphTimeoutError(subgraph, 0, 'deadline'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SubgraphTimeoutError(subgraph, leftMs, 'deadline')), leftMs);
    call.response.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * In-flight deduplication (`SUBGRAPH_DEDUP`): a query fetch identical to one already on its way to
 * the same subgraph (same key: see `sharingKey`) waits for that call instead of sending its own.
 * Sits above the guard, so one logical call is timed, retried, broken and signed as before; below
 * the data source's parsing, so each request parses its own copy of the answer (each gets a clone
 * when others waited; the shared original is then never read) and no request can change another's
 * result. A failure of the shared call, a timeout included, is every waiter's failure. Only fetches
 * whose scope says `shareable` share (queries, never a mutation's plan): the rest pass straight through.
 */
export function shareInFlightQueries(subgraph: string, send: ScopedFetcher, onShared: () => void): ScopedFetcher {
  const inFlight = new Map<string, InFlightCall>();
  return async (url, init = {}, givenScope) => {
    const scope = givenScope ?? currentFetchScope();
    const key = scope?.shareable ? sharingKey(url, init) : undefined;
    if (key === undefined) return send(url, init, scope);
    const running = inFlight.get(key);
    if (running) {
      running.waiters += 1;
      onShared();
      return (await withinOwnDeadline(subgraph, running, scope?.deadline)).clone();
    }
    // Removed once settled: a request that comes after the answer asks again.
    const response = send(url, init, scope).finally(() => inFlight.delete(key));
    const call: InFlightCall = { response, deadline: scope?.deadline, waiters: 0 };
    inFlight.set(key, call);
    const answer = await response;
    // Nobody joined (none can now: it left the map as it settled): the original is this request's alone.
    return call.waiters === 0 ? answer : answer.clone();
  };
}
