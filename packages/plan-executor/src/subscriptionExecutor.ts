import type { ApolloGateway } from '@apollo/gateway';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  Kind,
  getVariableValues,
  valueFromASTUntyped,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { applyRewrites } from './dataRewrites.js';
import { gatewayInternals } from './gatewayInternals.js';
import { deepMerge, downstreamServiceError, executeNode } from './planExecutor.js';
import { isSupportedNode, isSupportedSubscription } from './planSupport.js';
import { newResponseObject, shapeResponse, type ResponseObject } from './resultShaping.js';

/** A subscription planned by the gateway's planner, ready to run once per event. */
export interface PlannedSubscription {
  /** The fetch that subscribes to the office owning the root field. */
  readonly primary: FetchNode;
  /** What runs on each event: the fields other offices hold. */
  readonly rest: PlanNode | undefined;
  /** The primary fetch's variables, as its office is sent them. */
  readonly primaryVariables: Record<string, unknown>;
  readonly operation: OperationDefinitionNode;
  readonly fragments: Record<string, FragmentDefinitionNode>;
  /** The API schema and supergraph the plan was made on (a later reload does not change a live subscription). */
  readonly schema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  /** Request variables over the operation's defaults. */
  readonly variables: Record<string, unknown>;
}

/** Why a subscription is not planned: invalid variables, or a shape our executor does not run. */
export type SubscriptionPlanning =
  | { readonly planned: PlannedSubscription; readonly errors?: undefined }
  | { readonly planned?: undefined; readonly errors: readonly GraphQLError[] };

/** One event as an office sends it over its socket. */
export interface OfficeEvent {
  readonly data?: Record<string, unknown> | null | undefined;
  readonly errors?: readonly GraphQLFormattedError[] | undefined;
}

export interface SubscriptionExecutor {
  /**
   * Plans a subscription of `document` (as the security rewrite left it) with the gateway's planner
   * and API schema of now. What the planner throws is thrown.
   */
  plan(
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
  ): SubscriptionPlanning;
  /**
   * Turns one event of the primary fetch into the client's payload: the rest of the plan runs on
   * it (other offices' fields, with `requestContext`'s caller), then it is shaped to the operation.
   */
  resolveEvent(
    planned: PlannedSubscription,
    event: OfficeEvent,
    requestContext: GatewayGraphQLRequestContext,
  ): Promise<ExecutionResult>;
}

/**
 * Subscriptions on our executor (whatever PLAN_EXECUTOR says: @apollo/gateway executes no
 * subscription plan). Call before `ApolloServer#start`, like `installFastExecutor`.
 */
export function subscriptionExecutor(gateway: ApolloGateway): SubscriptionExecutor {
  const internals = gatewayInternals(gateway);
  return {
    plan(document, operationName, given) {
      const schemas = internals.schemas();
      if (!schemas) return { errors: [new GraphQLError('The gateway has no supergraph loaded yet.')] };
      const { schema, supergraphSchema } = schemas;
      const fragments: Record<string, FragmentDefinitionNode> = {};
      let operation: OperationDefinitionNode | undefined;
      for (const definition of document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
        else if (
          definition.kind === Kind.OPERATION_DEFINITION &&
          (operationName === undefined || definition.name?.value === operationName)
        )
          operation ??= definition;
      }
      if (!operation) return { errors: [new GraphQLError('The document has no such operation.')] };
      const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], given);
      if (errors) return { errors };
      if (!isSupportedSubscription(operation, fragments, schema))
        return {
          errors: [
            new GraphQLError(
              'This subscription selects what the gateway cannot stream (introspection, or repeated fragments).',
            ),
          ],
        };
      const plan = internals.planOperation(document, operationName);
      const node = plan.node;
      if (node?.kind !== 'Subscription')
        return { errors: [new GraphQLError('The planner made no subscription plan.')] };
      if (!isSupportedNode(node.primary) || (node.rest && !isSupportedNode(node.rest)))
        return { errors: [new GraphQLError('The plan of this subscription has a shape the gateway cannot run.')] };
      const variables = newResponseObject();
      for (const definition of operation.variableDefinitions ?? []) {
        if (definition.defaultValue)
          variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
      }
      Object.assign(variables, given);
      const primaryVariables: Record<string, unknown> = {};
      for (const name of node.primary.variableUsages ?? []) {
        if (given[name] !== undefined) primaryVariables[name] = given[name];
      }
      return {
        planned: {
          primary: node.primary,
          rest: node.rest,
          primaryVariables,
          operation,
          fragments,
          schema,
          supergraphSchema,
          variables,
        },
      };
    },

    async resolveEvent(planned, event, requestContext) {
      const { primary, operation, schema, supergraphSchema, variables, fragments } = planned;
      const errors = (event.errors ?? []).map((error) =>
        downstreamServiceError(error, primary.serviceName, (path) => (path ? [...path] : undefined)),
      );
      if (!event.data) return { errors };
      const root = newResponseObject();
      const received = event.data as ResponseObject;
      applyRewrites(supergraphSchema, primary.outputRewrites, received);
      deepMerge(root, received);
      if (planned.rest) {
        await executeNode(
          {
            serviceMap: internals.dataSources(),
            requestContext,
            operation,
            supergraphSchema,
            variables,
            errors,
            tracing: internals.tracing,
          },
          planned.rest,
          { path: [], data: root, fullResult: root },
        );
      }
      const rootType = schema.getSubscriptionType();
      if (!rootType) return { errors: [new GraphQLError('The schema has no subscription type.')] };
      const shaped = shapeResponse(root, operation.selectionSet, rootType, schema, fragments, variables);
      errors.push(...shaped.errors);
      return errors.length > 0 ? { data: shaped.data, errors } : { data: shaped.data };
    },
  };
}
