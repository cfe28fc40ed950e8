import type { GraphQLDataSource } from '@apollo/gateway';
import type { FetchNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/** One fetch of a plan our executor runs, as it hands it to a data source that takes it directly. */
export interface PlanFetch {
  /** The plan node: its operation text, name, kind and document (a data source may cache per node). */
  readonly fetch: FetchNode;
  /** The fetch's variables, `representations` included for an entity fetch. */
  readonly variables: Record<string, unknown>;
  readonly incomingRequestContext: GatewayGraphQLRequestContext;
  readonly pathInIncomingRequest: readonly (string | number)[];
}

/**
 * A data source that takes our executor's fetches directly (the gateway's own: its request body
 * built once as a string, sent straight to its HTTP client), instead of through
 * `GraphQLDataSource.process`, which the stock executor keeps using. Same answer, same contract:
 * the subgraph's GraphQL response, or coded errors in it; never a throw for a failed subgraph.
 */
export interface DirectSubgraphSource {
  sendPlanFetch(request: PlanFetch): Promise<GatewayGraphQLResponse>;
}

/** The data source's direct entry, when it has one. */
export function directSource(service: GraphQLDataSource): DirectSubgraphSource | undefined {
  return typeof (service as Partial<DirectSubgraphSource>).sendPlanFetch === 'function'
    ? (service as unknown as DirectSubgraphSource)
    : undefined;
}
