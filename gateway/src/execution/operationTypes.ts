import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { refusal } from '@cip/core';
import { OperationTypeNode } from 'graphql';

export interface ServedOperationTypesOptions<TContext> {
  /** Whether the request came over a transport that streams (subscriptions/): there subscriptions are served. */
  streams?: (context: TContext) => boolean;
}

/**
 * Refuses, before any planning, an operation of a type the gateway does not serve: a subscription
 * over a plain request (they are served over WebSocket and SSE only, subscriptions/), or a root type
 * the supergraph does not have. Without it the planner fails on the operation and the client gets
 * a 500 with `INVALID_GRAPHQL`, as if the gateway were broken. GET requests for anything but a
 * query are refused by Apollo Server before this runs (405, `allow: POST`).
 */
export function servedOperationTypesPlugin<TContext extends BaseContext>(
  options: ServedOperationTypesOptions<TContext> = {},
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, schema, contextValue }) {
          // No operation matched (several without an operationName): execution says so, with its code.
          if (!operation) return;
          const type = operation.operation;
          if (!schema.getRootType(type))
            throw refusal(
              'OPERATION_NOT_SUPPORTED',
              `This gateway does not serve ${type} operations; send a query or a mutation.`,
              { extensions: { operationType: type } },
            );
          if (type !== OperationTypeNode.SUBSCRIPTION || options.streams?.(contextValue)) return;
          throw refusal(
            'OPERATION_NOT_SUPPORTED',
            'Subscriptions are served over WebSocket (graphql-transport-ws) and SSE (`Accept: text/event-stream`) on /graphql, not in a plain request.',
            { extensions: { operationType: type } },
          );
        },
      };
    },
  };
}
