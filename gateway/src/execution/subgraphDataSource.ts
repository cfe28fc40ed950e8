import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ErrorCode } from '@cip/core';
import { INCOMING_OPERATION, type DirectSubgraphSource, type PlanFetch } from '@cip/plan-executor';
import { GraphQLError, Kind, OperationTypeNode, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.js';
import {
  guardFetcher,
  networkCode,
  withFetchScope,
  type FetchScope,
  type ScopedFetcher,
} from '../resilience/guardedFetch.js';
import type { SubgraphGuard } from '../resilience/subgraphGuards.js';
import { restrictToCacheControl, type RestrictableCachePolicy } from './cacheControl.js';
import { shareInFlightQueries } from './inFlightSharing.js';
import { OutgoingHeaders } from './outgoingHeaders.js';
import { planFetchBody } from './requestBody.js';
import { SubgraphResponse } from './subgraphClient.js';
import { SubgraphTimeoutError, SubgraphUnavailableError } from '../resilience/timeouts.js';

type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;
type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** Runs before each request to a subgraph: headers to add (propagation, signing, tracing). */
export type SubgraphRequestHook = (
  subgraph: string,
  options: GraphQLDataSourceProcessOptions<GatewayContext>,
) => void | Promise<void>;

type FetchInit = NonNullable<Parameters<Fetcher>[1]>;

/**
 * For one subgraph and URL: what each HTTP attempt's request becomes once its body is written
 * (headers computed over the exact bytes sent: the gateway's signature). Runs under the retries.
 */
export type SubgraphFetchSigner = (subgraph: string, url: string) => (init: FetchInit) => FetchInit;

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type IncomingOperationOptions = Extract<ProcessOptions, { incomingRequestContext: unknown }>;

/** A fetch for a client's operation (not a health check or schema load). The kind enum is not exported. */
function isIncomingOperation(options: ProcessOptions): options is IncomingOperationOptions {
  return 'incomingRequestContext' in options;
}

function isQuery(document: DocumentNode | undefined, query: string | undefined): boolean {
  const operation = document?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation) return operation.operation === OperationTypeNode.QUERY;
  return query !== undefined && !/^\s*(mutation|subscription)\b/.test(query);
}

/**
 * Whether a fetch may share an identical one in flight: a fetch of a client's query, whose own
 * document is a query too. Never a fetch of a mutation's plan, not even its `_entities` queries,
 * which read what the mutation just wrote.
 */
function isShareableQuery(options: ProcessOptions): boolean {
  if (!isIncomingOperation(options)) return false;
  if (options.incomingRequestContext.operation?.operation !== OperationTypeNode.QUERY) return false;
  return isQuery(options.document, options.request.query);
}

function parseQuietly(query: string | undefined): DocumentNode | undefined {
  try {
    return query ? parse(query) : undefined;
  } catch {
    return undefined;
  }
}

/** Caps the errors one failed entity fetch adds (one per entity it cost), so a long list cannot flood the response. */
const MAX_ERRORS_PER_FETCH = 20;

/**
 * The paths in the subgraph's own response that a failed fetch cost: each root field, or each
 * entity (`_entities.<i>`). @apollo/gateway rewrites these into paths of the client's response.
 */
function costPaths(
  document: DocumentNode | undefined,
  query: string | undefined,
  representations: unknown,
): (string | number)[][] {
  // The planner's document is not always handed over; the query text always is (parsed only on failure).
  const operation = (document ?? parseQuietly(query))?.definitions.find(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const rootFields = (operation?.selectionSet.selections ?? []).flatMap((selection) =>
    selection.kind === Kind.FIELD ? [selection] : [],
  );
  if (Array.isArray(representations)) {
    // `_entities { ... on Item { detail } }`: point at the first field fetched for each entity.
    const entityFields = rootFields[0]?.selectionSet?.selections ?? [];
    const fragment = entityFields.find((selection) => selection.kind === Kind.INLINE_FRAGMENT);
    const firstField = fragment?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
    const field = firstField ? [firstField.alias?.value ?? firstField.name.value] : [];
    return representations.slice(0, MAX_ERRORS_PER_FETCH).map((_, index) => ['_entities', index, ...field]);
  }
  return rootFields.map((field) => [field.alias?.value ?? field.name.value]);
}

function classify(subgraph: string, error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof SubgraphTimeoutError) return { code: 'SUBGRAPH_TIMEOUT', message: error.message };
  if (error instanceof SubgraphUnavailableError) return { code: 'SUBGRAPH_UNAVAILABLE', message: error.message };
  if (networkCode(error)) {
    return { code: 'SUBGRAPH_UNREACHABLE', message: `The ${subgraph} subgraph could not be reached.` };
  }
  const status = (error as { extensions?: { response?: { status?: unknown } } }).extensions?.response?.status;
  return {
    code: 'SUBGRAPH_BAD_RESPONSE',
    message:
      typeof status === 'number'
        ? `The ${subgraph} subgraph answered HTTP ${status}.`
        : `The ${subgraph} subgraph answered with something that is not a GraphQL response.`,
  };
}

/** The body of an answer, read as RemoteGraphQLDataSource's `parseBody` reads it: JSON by its content type, else text. */
function answerBody(response: FetcherResponse): unknown {
  const contentType =
    response instanceof SubgraphResponse ? response.header('content-type') : response.headers.get('content-type');
  const isJson =
    contentType !== null &&
    (contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json'));
  if (response instanceof SubgraphResponse) {
    const text = response.textNow();
    return isJson ? JSON.parse(text) : text;
  }
  return isJson ? response.json() : response.text();
}

/** A non-2xx answer as RemoteGraphQLDataSource's `errorFromResponse` makes it (`classify` reads its status). */
async function httpError(response: FetcherResponse): Promise<GraphQLError> {
  const body = await answerBody(response);
  const extensions: Record<string, unknown> = {
    response: { url: response.url, status: response.status, statusText: response.statusText, body },
  };
  if (response.status === 401) extensions.code = 'UNAUTHENTICATED';
  else if (response.status === 403) extensions.code = 'FORBIDDEN';
  return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions });
}

/** The GraphQL response in an answer, parsed once; throws what RemoteGraphQLDataSource's `sendRequest` throws. */
async function readAnswer(response: FetcherResponse): Promise<GatewayGraphQLResponse> {
  if (!response.ok) throw await httpError(response);
  const body = await answerBody(response);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error(`Expected JSON response body, but received: ${String(body)}`);
  }
  return body;
}

/**
 * A subgraph's data source that never throws into the query plan: a subgraph that cannot be
 * reached, is too slow, has its breaker open, or answers something that is not a GraphQL response,
 * becomes a coded error carrying the subgraph's name and the paths it cost, and the rest of the plan
 * still runs. (Thrown errors would reach the client without the subgraph's name.)
 *
 * Each HTTP attempt is guarded by the subgraph's timeout, breaker and retries (resilience/guardedFetch.ts).
 * With `shareQueries` (SUBGRAPH_DEDUP), a query fetch identical to one in flight shares it
 * (inFlightSharing.ts): above the guard, so the shared call is guarded and signed as one.
 *
 * Two ways in, one fetcher: `process` (RemoteGraphQLDataSource's, for the stock executor, health
 * checks and schema loads) and `sendPlanFetch` (our executor's fetches: the body built once as a
 * string, the answer parsed once, no `Request`/`Headers` objects; see @cip/plan-executor's directFetch.ts).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> implements DirectSubgraphSource {
  private readonly subgraphUrl: string;
  /** `fetcher`, which our executor's fetches hand their scope directly. */
  private readonly scopedFetcher: ScopedFetcher;

  constructor(
    readonly name: string,
    config: { url: string; fetcher: Fetcher },
    private readonly requestHooks: readonly SubgraphRequestHook[] = [],
    private readonly guard?: SubgraphGuard,
    signer?: SubgraphFetchSigner,
    private readonly shareQueries = false,
  ) {
    super(config);
    this.subgraphUrl = config.url;
    const sign = signer?.(name, config.url);
    const send: Fetcher = sign ? (url, init) => config.fetcher(url, sign(init ?? {})) : config.fetcher;
    const guarded: ScopedFetcher = guard ? guardFetcher(guard, send) : send;
    this.scopedFetcher = shareQueries
      ? shareInFlightQueries(name, guarded, () => guard?.metrics.sharedCalls.inc({ subgraph: name }))
      : guarded;
    this.fetcher = this.scopedFetcher;
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    for (const hook of this.requestHooks) await hook(this.name, options);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const scope: FetchScope = {
      deadline: (options.context as Partial<GatewayContext> | undefined)?.deadline,
      retryable: isQuery(isIncomingOperation(options) ? options.document : undefined, options.request.query),
      shareable: this.shareQueries && isShareableQuery(options),
    };
    try {
      return await withFetchScope(scope, () => super.process(options));
    } catch (error) {
      const paths = isIncomingOperation(options)
        ? costPaths(options.document, options.request.query, options.request.variables?.representations)
        : [];
      return this.failed(error, paths);
    }
  }

  async sendPlanFetch({
    fetch,
    variables,
    incomingRequestContext,
    pathInIncomingRequest,
  }: PlanFetch): Promise<GatewayGraphQLResponse> {
    const requestContext = incomingRequestContext as IncomingOperationOptions['incomingRequestContext'];
    const context = requestContext.context;
    const isQueryFetch = fetch.operationKind === OperationTypeNode.QUERY;
    const scope: FetchScope = {
      deadline: context.deadline,
      retryable: isQueryFetch,
      shareable: this.shareQueries && isQueryFetch && requestContext.operation?.operation === OperationTypeNode.QUERY,
    };
    try {
      const headers = new OutgoingHeaders();
      headers.set('content-type', 'application/json');
      if (this.requestHooks.length > 0) {
        // What the hooks read and write, shaped as RemoteGraphQLDataSource hands it to `willSendRequest`.
        const options: IncomingOperationOptions = {
          kind: INCOMING_OPERATION,
          request: {
            query: fetch.operation,
            variables,
            ...(fetch.operationName === undefined ? {} : { operationName: fetch.operationName }),
            http: { method: 'POST', url: this.subgraphUrl, headers },
          },
          incomingRequestContext: requestContext,
          context,
          ...(fetch.operationDocumentNode === undefined ? {} : { document: fetch.operationDocumentNode }),
          pathInIncomingRequest: pathInIncomingRequest as (string | number)[],
        };
        for (const hook of this.requestHooks) await hook(this.name, options);
      }
      const init = { method: 'POST', headers: headers.record, body: planFetchBody(fetch, variables) };
      const response = await this.scopedFetcher(this.subgraphUrl, init, scope);
      const answer = await readAnswer(response);
      const policy: unknown = requestContext.overallCachePolicy;
      if (this.honorSubgraphCacheControlHeader && policy && typeof policy === 'object' && 'restrict' in policy) {
        restrictToCacheControl(
          policy as RestrictableCachePolicy,
          response instanceof SubgraphResponse
            ? response.header('cache-control')
            : response.headers.get('cache-control'),
        );
      }
      return answer;
    } catch (error) {
      return this.failed(error, costPaths(fetch.operationDocumentNode, fetch.operation, variables.representations));
    }
  }

  /** A fetch that failed, as the coded errors of the paths it cost (logged, counted). */
  private failed(error: unknown, paths: (string | number)[][]): GatewayGraphQLResponse {
    const { code, message } = classify(this.name, error);
    this.guard?.metrics.subgraphErrors.inc({ subgraph: this.name, code });
    // A breaker that is open fails every request fast; one warning per request would flood the log
    // (the breaker's own state change is logged once, at warn).
    if (code === 'SUBGRAPH_UNAVAILABLE') this.guard?.logger.debug({ code }, 'subgraph fetch refused');
    else this.guard?.logger.warn({ code, err: error }, 'subgraph fetch failed');
    const errors: GraphQLFormattedError[] =
      paths.length > 0
        ? paths.map((path) => ({ message, path, extensions: { code } }))
        : [{ message, extensions: { code } }];
    return { errors };
  }
}
