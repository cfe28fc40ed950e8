import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { PlannedSubscription, SubscriptionExecutor } from '@cip/plan-executor';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLError, OperationTypeNode, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.js';
import { authorizationOf, type AuthorizedOperation } from '../security/authorization.js';

/** What the pipeline made of a subscription that came over a streaming transport, ready to run. */
export interface PreparedSubscription {
  readonly planned: PlannedSubscription;
  /** The request as our executor's fetches take it (with each event's own context). */
  readonly requestContext: GatewayGraphQLRequestContext;
  /** The fields taken out of the operation for this caller: null in each event, with their errors. */
  readonly authorized: AuthorizedOperation | undefined;
}

/** Where the plugin leaves a prepared subscription for the transport that asked (GatewayContext#subscription). */
export interface SubscriptionSlot {
  prepared?: PreparedSubscription;
}

function planningError(error: GraphQLError): GraphQLFormattedError {
  // Variables that do not coerce are the caller's input; anything else is a shape the gateway does not stream.
  const code =
    typeof error.extensions.code === 'string'
      ? error.extensions.code
      : /^Variable "\$/.test(error.message)
        ? 'BAD_USER_INPUT'
        : 'OPERATION_NOT_SUPPORTED';
  return { message: error.message, extensions: { code } };
}

/**
 * Lets a subscription that came over WebSocket or SSE go through Apollo's whole pipeline (trusted
 * documents, APQ, limits, validation, the authorization rewrite: every rule a query meets, written
 * once in security/), then, instead of executing it, plans it and leaves the plan in the request's
 * slot for the transport to run once per event. First among the plugins' `responseForOperation`,
 * so the response cache never sees a subscription.
 */
export function subscriptionPlugin(executor: SubscriptionExecutor): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const slot = contextValue.subscription;
      if (!slot) return;
      return {
        async responseForOperation(requestContext) {
          const { operation, document, operationName, request } = requestContext;
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return null;
          let planning: ReturnType<SubscriptionExecutor['plan']>;
          try {
            planning = executor.plan(document, operationName ?? undefined, request.variables ?? {});
          } catch (error) {
            planning = { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
          }
          if (planning.errors) {
            return {
              http: { status: 400, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { errors: planning.errors.map(planningError) } },
            };
          }
          slot.prepared = {
            planned: planning.planned,
            // Apollo's request context in the shape @apollo/gateway hands its executor (what our fetches read).
            requestContext: {
              ...requestContext,
              context: requestContext.contextValue,
            } as unknown as GatewayGraphQLRequestContext,
            authorized: authorizationOf(requestContext.contextValue),
          };
          return { http: { status: 200, headers: new HeaderMap() }, body: { kind: 'single', singleResult: {} } };
        },
      };
    },
  };
}
