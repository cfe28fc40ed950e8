import type { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * Every error code a client of the graph can see, defined once with what it means and the HTTP
 * status it maps to when it fails a whole request. Codes from Apollo Server itself
 * (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, ...) keep their own names and are listed
 * here too, so that this table is the one place to look a code up.
 */
export const errorCodes = {
  BAD_USER_INPUT: {
    status: 400,
    description:
      'An argument is invalid (text with a NUL character, which no office can store, included): see the message and `extensions.argument`.',
  },
  BAD_REQUEST: { status: 400, description: 'The HTTP request is not a GraphQL request this server can read.' },
  GRAPHQL_PARSE_FAILED: { status: 400, description: 'The operation is not syntactically valid GraphQL.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, description: 'The operation does not match the schema.' },
  OPERATION_NOT_SUPPORTED: {
    status: 400,
    description:
      'The gateway does not serve this operation type here: a subscription needs WebSocket (graphql-transport-ws) or SSE (`Accept: text/event-stream`), not a plain request; a root type the graph lacks is never served.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than the configured limit.' },
  REQUEST_HEADERS_TOO_LARGE: {
    status: 431,
    description: 'The request headers are larger than the server reads (16 KB): send a shorter token or fewer cookies.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    description: "The request headers or body did not arrive within the server's time limit; the connection is closed.",
  },
  NOT_FOUND: { status: 404, description: 'No route at this path.' },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    description: 'An unexpected failure; details are in the server log, not the response.',
  },
  SUBGRAPH_ERROR: {
    status: 200,
    description: 'A subgraph answered with an error; `extensions.subgraph` names the office.',
  },
  SUBGRAPH_UNREACHABLE: {
    status: 200,
    description: 'A subgraph could not be reached (connection refused or reset); `extensions.subgraph` names it.',
  },
  COMPOSITION_FAILED: { status: 500, description: 'The subgraph schemas do not compose into a supergraph.' },
  CONFIG_INVALID: { status: 500, description: 'A configuration variable has a value the process cannot use.' },
  SUBGRAPH_BAD_RESPONSE: {
    status: 200,
    description:
      'A subgraph answered an HTTP error or something that is not a GraphQL response (HTML, truncated JSON); `extensions.subgraph` names it.',
  },
  SUBGRAPH_TIMEOUT: {
    status: 200,
    description:
      'A subgraph did not answer within its timeout or the request deadline; the rest of the answer is kept. Retry later or ask its office.',
  },
  SUBGRAPH_UNAVAILABLE: {
    status: 200,
    description:
      "A subgraph's circuit breaker is open after a run of failures, so the gateway does not ask it until its cool-down ends.",
  },
  FEED_UNAVAILABLE: {
    status: 200,
    description:
      "A partner's HTTP feed has not yet answered with usable data (down, slow, or every record invalid); `extensions.feed` names it. Try again later; the subgraph's `/ready` says why.",
  },
  UNAUTHENTICATED: {
    status: 401,
    description: 'The bearer token (or, at a subgraph, the gateway signature) is missing, invalid or expired.',
  },
  SIGNATURE_INVALID: {
    status: 401,
    description:
      'At an office: the request is not signed for this office, or not for this method, path, claims and body; only the gateway (or a peer office, for its lookups) can sign for it.',
  },
  SIGNATURE_EXPIRED: {
    status: 401,
    description:
      "At an office: the request's signature is older than its lifetime (or from the future beyond the clock skew).",
  },
  SIGNATURE_REPLAYED: {
    status: 401,
    description: 'At an office: a signed request is accepted once; this one was seen before.',
  },
  SIGNATURE_CHECK_UNAVAILABLE: {
    status: 503,
    description:
      'At an office: the store of requests already seen (Redis) cannot be reached, so no signed request is accepted. Try again.',
  },
  UNAUTHORIZED_FIELD_OR_TYPE: {
    status: 200,
    description: 'The caller may not see this field: it is null in the data, `path` says where; ask for the scope.',
  },
  MAX_DEPTH_EXCEEDED: { status: 400, description: 'The operation nests fields deeper than the configured limit.' },
  MAX_ALIASES_EXCEEDED: { status: 400, description: 'The operation uses more aliases than the configured limit.' },
  MAX_ROOT_FIELDS_EXCEEDED: { status: 400, description: 'The operation asks for more root fields than the limit.' },
  MAX_DIRECTIVES_EXCEEDED: { status: 400, description: 'The operation uses more directives than the limit.' },
  MAX_TOKENS_EXCEEDED: { status: 400, description: 'The operation text has more tokens than the configured limit.' },
  COST_LIMIT_EXCEEDED: {
    status: 400,
    description: 'The estimated cost of the operation is above the limit: ask for smaller pages or fewer fields.',
  },
  BATCH_LIMIT_EXCEEDED: { status: 400, description: 'The batched request holds more operations than the limit.' },
  PERSISTED_QUERY_NOT_FOUND: {
    status: 400,
    description: 'No trusted or persisted document has this hash; send the full document (where allowed).',
  },
  OPERATION_NOT_TRUSTED: {
    status: 403,
    description:
      'Only trusted documents (by hash) are accepted from this caller; ad-hoc documents need the analyst scope.',
  },
  INTROSPECTION_DISABLED: {
    status: 403,
    description: 'Introspection is only for callers with the analyst scope in production.',
  },
  EXPLORER_FORBIDDEN: {
    status: 403,
    description:
      'The explorer is restricted to analysts (EXPLORER=analysts): send an analyst bearer token, or ask the operators.',
  },
  EXPLORER_NOT_BUILT: {
    status: 503,
    description: 'The explorer has not been built: run `npm run build` (or `npm start`, which builds it).',
  },
  METHOD_NOT_ALLOWED: { status: 405, description: 'This path answers only the methods in the `Allow` header.' },
  CORS_ORIGIN_NOT_ALLOWED: {
    status: 403,
    description:
      "A browser's preflight from an origin not in CORS_ORIGINS (or for a method other than GET and POST): ask the operators to list the page's exact origin.",
  },
  SUBSCRIPTION_GAP: {
    status: 200,
    description:
      "A subscription's office connection dropped and came back: events between `extensions.since` and `extensions.until` (ISO times) from `extensions.office` may be missing. Re-read what you show; the subscription goes on.",
  },
  SUBSCRIPTION_LIMIT_EXCEEDED: {
    status: 429,
    description:
      'Too many subscriptions on one connection (SUBSCRIPTIONS_PER_CONNECTION), or connections for one caller (SUBSCRIPTION_CONNECTIONS_PER_CALLER; WebSocket close 4429): close some first.',
  },
  SUBSCRIPTION_SCHEMA_RELOAD: {
    status: 200,
    description:
      "The gateway's supergraph changed while the subscription was open: it was ended with this last payload (the WebSocket stays open), as Apollo Router ends it. Subscribe again, on the new schema.",
  },
  SUBSCRIPTION_CLIENT_TOO_SLOW: {
    status: 200,
    description:
      'The client read events slower than they came and SUBSCRIPTION_BUFFERED_EVENTS were waiting: it was dropped (WebSocket close 1008; SSE: a last error event). Subscribe again and re-read.',
  },
  SERVER_SHUTTING_DOWN: {
    status: 503,
    description:
      'The gateway is stopping: open subscriptions are closed (WebSocket close 1001; SSE: a last error event). Subscribe again, to another replica.',
  },
  CONFLICT: {
    status: 200,
    description:
      'The write lost a race: the record changed since the version you read (`extensions.currentVersion`), or the idempotency key was used with other input. Read it again and retry; nothing was written.',
  },
  // Live changes (an office's subscriptions, docs/live-changes.md).
  CHANGE_SUBSCRIPTION_LIMIT: {
    status: 400,
    description:
      'The connection holds as many subscriptions as the office allows (OFFICE_SUBSCRIPTIONS_PER_CONNECTION): complete one first.',
  },
  CHANGE_BACKLOG_EXCEEDED: {
    status: 503,
    description:
      'More changes waited for the subscriber than the office keeps (OFFICE_SUBSCRIPTION_BUFFERED_EVENTS): it read too slowly and was dropped; subscribe again.',
  },
  CHANGE_FEED_LOST: {
    status: 503,
    description:
      "The office lost its store's change notifications (the listening connection failed); subscribe again, changes meanwhile may be missed.",
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCodes;

export interface CodedErrorOptions extends Omit<GraphQLErrorOptions, 'extensions'> {
  extensions?: Record<string, unknown>;
}

/** Builds a GraphQLError whose `extensions.code` is one of the registry's codes. */
export function codedError(code: ErrorCode, message: string, options: CodedErrorOptions = {}): GraphQLError {
  return new GraphQLError(message, { ...options, extensions: { ...options.extensions, code } });
}

export interface RefusalOptions extends CodedErrorOptions {
  /** Headers of the HTTP answer, e.g. `www-authenticate` with UNAUTHENTICATED. */
  headers?: HeaderMap;
}

/**
 * A coded error that refuses the whole request: Apollo Server answers it with the registry's HTTP
 * status for the code (`extensions.http`, which it does not show the client), so a status is never
 * written twice.
 */
export function refusal(code: ErrorCode, message: string, options: RefusalOptions = {}): GraphQLError {
  const { headers, ...rest } = options;
  const http = { status: errorCodes[code].status, ...(headers ? { headers } : {}) };
  return codedError(code, message, { ...rest, extensions: { ...rest.extensions, http } });
}

/** What a caller reads beside a field it may not see (null at its path), from the gateway and from an office alike. */
export const UNAUTHORIZED_FIELD_MESSAGE = 'Unauthorized field or type: the caller lacks the scope it needs.';

/** A bad argument: names the argument so a client can point at it. */
export function badUserInput(message: string, argument: string): GraphQLError {
  return codedError('BAD_USER_INPUT', message, { extensions: { argument } });
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
