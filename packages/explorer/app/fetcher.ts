import {
  createGraphiQLFetcher,
  isAsyncIterable,
  type Fetcher,
  type FetcherOpts,
  type FetcherParams,
} from '@graphiql/toolkit';
import { getOperationAST, OperationTypeNode, parse, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { lastRun, type QueryPlanReport, type SubgraphErrorSummary } from './lastRun';

/** The request header that asks the gateway for the operation's query plan (gateway/src/explorer/queryPlans.ts). */
export const QUERY_PLAN_HEADER = 'query-plan';

/**
 * What the explorer accepts over HTTP: Apollo's incremental delivery (`@defer` parts as they come,
 * the format Apollo Client and Router use), else one JSON answer.
 */
export const HTTP_ACCEPT = 'multipart/mixed;deferSpec=20220824, application/graphql-response+json, application/json';

interface GraphQLError {
  message?: unknown;
  extensions?: { subgraph?: unknown; code?: unknown };
}

/** One payload: a whole answer, the first or a later part of a deferred one, or a subscription's event. */
interface Payload {
  data?: unknown;
  errors?: GraphQLError[];
  extensions?: { queryPlan?: QueryPlanReport; [key: string]: unknown };
  incremental?: { errors?: GraphQLError[] }[];
  hasNext?: boolean;
}

type Result = Awaited<ReturnType<Fetcher>>;

export interface ExplorerFetcherOptions {
  /** The WebSocket class; the browser's own by default. */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
}

/** `ws://` or `wss://` for the same host and path as the HTTP endpoint. */
export function socketUrl(endpoint: string): string {
  const url = new URL(endpoint);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * GraphiQL's own fetcher (@graphiql/toolkit) on the gateway's `/graphql`: queries and mutations
 * over HTTP, their `@defer` parts as they arrive (multipart/mixed), subscriptions over
 * `graphql-transport-ws` on the same URL with the analyst's `Authorization` header in the
 * connection's init payload. It asks for the query plan (a header over HTTP, the `queryPlan`
 * request extension over the socket) and moves the plan out of the answer into the plan panel.
 * An `Authorization: Bearer ` header with no token after it is dropped, so the prefilled header
 * editor sends nothing until an analyst pastes a token.
 */
export function createExplorerFetcher(endpoint: string, options: ExplorerFetcherOptions = {}): Fetcher {
  // One socket per token: a new token opens a new connection (the gateway checks the token once, at connection).
  let socket: { authorization: string | undefined; client: Client } | undefined;
  const socketFor = (authorization: string | undefined): Client => {
    if (socket && socket.authorization === authorization) return socket.client;
    void socket?.client.dispose();
    const client = createClient({
      url: socketUrl(endpoint),
      connectionParams: authorization === undefined ? {} : { authorization },
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    });
    socket = { authorization, client };
    return client;
  };

  return (params, fetcherOptions) => {
    const headers = sentHeaders(fetcherOptions?.headers);
    const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    const toolkitFetcher = createGraphiQLFetcher({
      url: endpoint,
      wsClient: socketFor(authorization),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    if (params.operationName === 'IntrospectionQuery') return toolkitFetcher(params, { ...fetcherOptions, headers });

    const document = fetcherOptions?.documentAST ?? parseOrUndefined(params.query);
    const subscription = document !== undefined && isSubscription(document, params.operationName);
    const asked: FetcherParams & { extensions?: Record<string, unknown> } = subscription
      ? { ...params, extensions: { queryPlan: true } }
      : params;
    const sent: FetcherOpts = {
      ...fetcherOptions,
      ...(document ? { documentAST: document } : {}),
      headers: { accept: HTTP_ACCEPT, ...headers, [QUERY_PLAN_HEADER]: 'include' },
    };
    const run = startRun(params.operationName ?? undefined, subscription);
    return shown(toolkitFetcher(asked, sent), run);
  };
}

/** The headers to send: blank values and a bare `Bearer` dropped. */
function sentHeaders(headers: FetcherOpts['headers']): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const text = String(value).trim();
    if (name.toLowerCase() === 'authorization' && /^bearer$/i.test(text)) continue;
    if (text !== '') sent[name] = text;
  }
  return sent;
}

function parseOrUndefined(query: string): DocumentNode | undefined {
  try {
    return parse(query);
  } catch {
    // The gateway answers a syntax error with its own message; the explorer just sends it.
    return undefined;
  }
}

function isSubscription(document: DocumentNode, operationName: string | null | undefined): boolean {
  return getOperationAST(document, operationName ?? undefined)?.operation === OperationTypeNode.SUBSCRIPTION;
}

interface Run {
  /** Takes the plan out of a payload and records it and the payload's subgraph errors. */
  see(payload: Payload): Payload;
}

const NO_PLAN = 'The gateway sent no query plan: plans are shown in development mode, or to analysts in production.';

function startRun(operationName: string | undefined, subscription: boolean): Run {
  let plan: QueryPlanReport | undefined;
  let errors: SubgraphErrorSummary[] = [];
  let payloads = 0;
  // A subscription may wait long for its first event: show at once that it is live.
  if (subscription)
    lastRun.set({
      ...(operationName ? { operationName } : {}),
      planUnavailable: 'The plan comes with the first event.',
      kind: 'subscription',
      payloads,
      errors,
    });
  return {
    see(payload) {
      payloads += 1;
      const { queryPlan, ...otherExtensions } = payload.extensions ?? {};
      plan ??= queryPlan;
      // An event is an answer of its own; the parts of a deferred answer add up to one.
      errors = subscription ? subgraphErrors(payload) : [...errors, ...subgraphErrors(payload)];
      lastRun.set({
        ...(operationName ? { operationName } : {}),
        ...(plan ? { plan } : { planUnavailable: NO_PLAN }),
        kind: subscription ? 'subscription' : 'operation',
        payloads,
        errors,
      });
      const seen: Payload = { ...payload };
      delete seen.extensions;
      if (Object.keys(otherExtensions).length > 0) seen.extensions = otherExtensions;
      return seen;
    },
  };
}

/** The toolkit's answer with each payload seen: one result, an event stream, or multipart chunks. */
function shown(answer: ReturnType<Fetcher>, run: Run): ReturnType<Fetcher> {
  const seeAll = (value: unknown): unknown =>
    Array.isArray(value) ? value.map((part: Payload) => run.see(part)) : run.see(value as Payload);
  return Promise.resolve(answer).then((result) =>
    isAsyncIterable(result) ? (mapStream(result, seeAll) as Result) : (seeAll(result) as Result),
  );
}

/**
 * The stream with each value mapped. Not an async generator: GraphiQL's stop calls `return()`, which
 * a generator would hold until its pending `next()` settles (the next event, maybe never); this
 * passes it straight to the toolkit's stream, which closes the subscription at once.
 */
function mapStream<T>(source: AsyncIterable<T>, map: (value: T) => unknown): AsyncIterableIterator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  const mapped: AsyncIterableIterator<unknown> = {
    next: async () => {
      const step = await iterator.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: map(step.value) };
    },
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

function subgraphErrors(payload: Payload): SubgraphErrorSummary[] {
  const summaries: SubgraphErrorSummary[] = [];
  const all = [...(payload.errors ?? []), ...(payload.incremental ?? []).flatMap((part) => part.errors ?? [])];
  for (const error of all) {
    const subgraph = error.extensions?.subgraph;
    if (typeof subgraph !== 'string') continue;
    const code = error.extensions?.code;
    summaries.push({
      subgraph,
      message: String(error.message),
      ...(typeof code === 'string' ? { code } : {}),
    });
  }
  return summaries;
}
