import { createHash } from 'node:crypto';
import { buildOperationContext, type ApolloGateway } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  getVariableValues,
  OperationTypeNode,
  valueFromASTUntyped,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { gatewayInternals } from './gatewayInternals.js';
import { executeNode } from './planExecutor.js';
import { isSupportedOperation, isSupportedPlan } from './planSupport.js';
import { newResponseObject, shapeResponse } from './resultShaping.js';

/** How many operations each executor answered (tests assert the fast path is really taken). */
export interface PlanExecutorStats {
  fast: number;
  stock: number;
}

/**
 * Replaces the gateway's executor (before `ApolloServer#start`, which takes it from
 * `gateway.load()`) with one that runs the plans it supports itself and hands everything else to
 * the stock executor: first sight of a document (the stock executor plans it and stores the plan),
 * invalid variables, plan shapes or operations outside `planSupport.ts`.
 */
export function installFastExecutor(
  gateway: ApolloGateway,
  options: {
    /**
     * Called when this executor runs a stored plan itself. Its own plan lookups are made on the
     * store as it is now, before metrics wrap it, so that a document's first sight (looked up here,
     * then planned by the stock executor) counts one miss, not two.
     */
    onStoredPlanRun?: () => void;
  } = {},
): PlanExecutorStats {
  // Throws, naming the member and both versions, if @apollo/gateway's internals are not as verified.
  const internals = gatewayInternals(gateway);
  const stock = internals.stockExecutor;
  const { lookUpPlan } = internals;
  const stats: PlanExecutorStats = { fast: 0, stock: 0 };
  const supportedPlans = new WeakMap<QueryPlan, boolean>();
  // Per schema: a supergraph reload may turn a supported operation into one that is not.
  const supportedOperationsBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, boolean>>>();

  const delegate = (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    stats.stock++;
    return stock(requestContext);
  };

  internals.replaceExecutor(async (requestContext) => {
    const { request, document, queryHash } = requestContext;
    const schemas = internals.schemas();
    if (!schemas) return delegate(requestContext);
    const { schema, supergraphSchema } = schemas;
    const key = request.operationName
      ? createHash('sha256').update(queryHash).update(request.operationName).digest('hex')
      : queryHash;
    const queryPlan = await lookUpPlan(key);
    if (!queryPlan) return delegate(requestContext);

    let planSupported = supportedPlans.get(queryPlan);
    if (planSupported === undefined) {
      planSupported = isSupportedPlan(queryPlan);
      supportedPlans.set(queryPlan, planSupported);
    }
    if (!planSupported) return delegate(requestContext);

    const operationContext = buildOperationContext({
      schema,
      operationDocument: document,
      ...(request.operationName ? { operationName: request.operationName } : {}),
    });
    const { operation, fragments } = operationContext;
    let supportedOperations = supportedOperationsBySchema.get(schema);
    if (!supportedOperations) {
      supportedOperations = new WeakMap<DocumentNode, Map<string, boolean>>();
      supportedOperationsBySchema.set(schema, supportedOperations);
    }
    let byName = supportedOperations.get(document);
    if (!byName) supportedOperations.set(document, (byName = new Map<string, boolean>()));
    const operationKey = request.operationName ?? '';
    let operationSupported = byName.get(operationKey);
    if (operationSupported === undefined) {
      operationSupported = isSupportedOperation(operation, fragments, schema);
      byName.set(operationKey, operationSupported);
    }
    if (!operationSupported) return delegate(requestContext);
    // Invalid variables: the stock executor answers with its own validation errors.
    if (getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}).errors) {
      return delegate(requestContext);
    }
    stats.fast++;
    options.onStoredPlanRun?.();

    const serviceMap = internals.dataSources();
    internals.didResolveQueryPlan({ queryPlan, serviceMap, requestContext, operationContext });

    const variables = newResponseObject();
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.defaultValue)
        variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
    }
    Object.assign(variables, request.variables);

    const errors: GraphQLError[] = [];
    const unfilteredData = newResponseObject();
    if (queryPlan.node) {
      await executeNode(
        { serviceMap, requestContext, operation, supergraphSchema, variables, errors },
        queryPlan.node,
        {
          path: [],
          data: unfilteredData,
          fullResult: unfilteredData,
        },
      );
    }
    const rootType: GraphQLObjectType | null | undefined =
      operation.operation === OperationTypeNode.QUERY ? schema.getQueryType() : schema.getMutationType();
    if (!rootType) return { errors: [new GraphQLError(`The schema has no ${operation.operation} type`)] };
    try {
      const shaped = shapeResponse(unfilteredData, operation.selectionSet, rootType, schema, fragments, variables);
      if (errors.length === 0 && shaped.errors.length > 0) {
        return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
      }
      return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
    } catch (error) {
      return { errors: [new GraphQLError((error as Error).message, { originalError: error as Error })] };
    }
  });
  return stats;
}
