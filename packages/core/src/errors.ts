import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * Every error code a client of the graph can see, defined once with what it means and the HTTP
 * status it maps to when it fails a whole request. Codes from Apollo Server itself
 * (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, ...) keep their own names and are listed
 * here too, so that this table is the one place to look a code up.
 */
export const errorCodes = {
  BAD_USER_INPUT: { status: 400, description: 'An argument is invalid: see the message and `extensions.argument`.' },
  BAD_REQUEST: { status: 400, description: 'The HTTP request is not a GraphQL request this server can read.' },
  GRAPHQL_PARSE_FAILED: { status: 400, description: 'The operation is not syntactically valid GraphQL.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, description: 'The operation does not match the schema.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than the configured limit.' },
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
    description: 'A subgraph could not be reached or answered garbage; `extensions.subgraph` names it.',
  },
  COMPOSITION_FAILED: { status: 500, description: 'The subgraph schemas do not compose into a supergraph.' },
  CONFIG_INVALID: { status: 500, description: 'A configuration variable has a value the process cannot use.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCodes;

export interface CodedErrorOptions extends Omit<GraphQLErrorOptions, 'extensions'> {
  extensions?: Record<string, unknown>;
}

/** Builds a GraphQLError whose `extensions.code` is one of the registry's codes. */
export function codedError(code: ErrorCode, message: string, options: CodedErrorOptions = {}): GraphQLError {
  return new GraphQLError(message, { ...options, extensions: { ...options.extensions, code } });
}

/** A bad argument: names the argument so a client can point at it. */
export function badUserInput(message: string, argument: string): GraphQLError {
  return codedError('BAD_USER_INPUT', message, { extensions: { argument } });
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
