import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { refusal } from '@cip/core';
import { OperationTypeNode } from 'graphql';

/**
 * Refuses, before any planning, an operation of a type the gateway does not serve: a subscription
 * (@apollo/gateway plans queries and mutations only, and the gateway offers no transport that
 * streams), or a root type the supergraph does not have. Without it the planner fails on the
 * operation and the client gets a 500 with `INVALID_GRAPHQL`, as if the gateway were broken.
 * GET requests for anything but a query are refused by Apollo Server before this runs (405, `allow: POST`).
 */
export function servedOperationTypesPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, schema }) {
          // No operation matched (several without an operationName): execution says so, with its code.
          if (!operation) return;
          const type = operation.operation;
          if (type !== OperationTypeNode.SUBSCRIPTION && schema.getRootType(type)) return;
          throw refusal(
            'OPERATION_NOT_SUPPORTED',
            `This gateway does not serve ${type} operations; send a query or a mutation.`,
            { extensions: { operationType: type } },
          );
        },
      };
    },
  };
}
