import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';

type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function networkCode(error: unknown): string | undefined {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/**
 * A subgraph's data source that never throws into the query plan: a subgraph that cannot be
 * reached, or answers something that is not a GraphQL response, becomes a coded error carrying the
 * subgraph's name, and the rest of the plan still runs. (Thrown errors would reach the client
 * without the subgraph's name.)
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    readonly name: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource>[0],
  ) {
    super(config);
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const unreachable = networkCode(error);
      const status = (error as { extensions?: { response?: { status?: unknown } } }).extensions?.response?.status;
      const message = unreachable
        ? `The ${this.name} subgraph could not be reached.`
        : typeof status === 'number'
          ? `The ${this.name} subgraph answered HTTP ${status}.`
          : `The ${this.name} subgraph answered with something that is not a GraphQL response.`;
      return {
        errors: [{ message, extensions: { code: unreachable ? 'SUBGRAPH_UNREACHABLE' : 'SUBGRAPH_BAD_RESPONSE' } }],
      };
    }
  }
}

/**
 * How subgraph errors reach clients: with a code and `extensions.subgraph` naming the office; in
 * production without stack traces, the subgraph's raw response, or an internal message.
 */
export function formatGatewayError(mode: 'development' | 'production' | 'test') {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const { serviceName, code, stacktrace, response, exception, ...rest } = formatted.extensions ?? {};
    const fromSubgraph = typeof serviceName === 'string';
    if (!fromSubgraph && mode !== 'production') return formatted;
    const extensions: Record<string, unknown> = {
      ...rest,
      code:
        code === 'DOWNSTREAM_SERVICE_ERROR' || code === undefined
          ? fromSubgraph
            ? 'SUBGRAPH_ERROR'
            : 'INTERNAL_SERVER_ERROR'
          : code,
      ...(fromSubgraph ? { subgraph: serviceName } : {}),
      ...(mode === 'production' ? {} : { stacktrace, response, exception }),
    };
    for (const key of Object.keys(extensions)) if (extensions[key] === undefined) delete extensions[key];
    const internal = mode === 'production' && extensions.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...formatted,
      message: internal
        ? fromSubgraph
          ? `Internal server error in the ${String(serviceName)} subgraph.`
          : 'Internal server error.'
        : formatted.message,
      extensions,
    };
  };
}
