import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Runs before each request to a subgraph: headers to add (propagation, signing, tracing). */
export type SubgraphRequestHook = (
  subgraph: string,
  options: GraphQLDataSourceProcessOptions<GatewayContext>,
) => void | Promise<void>;

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
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly name: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource>[0],
    private readonly requestHooks: readonly SubgraphRequestHook[] = [],
  ) {
    super(config);
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    for (const hook of this.requestHooks) await hook(this.name, options);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
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
