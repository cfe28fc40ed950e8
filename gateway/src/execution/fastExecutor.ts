import { createHash } from 'node:crypto';
import { buildOperationContext, type ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import type {
  GatewayExecutor,
  GatewayExecutionResult,
  GatewayGraphQLRequestContext,
} from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  getVariableValues,
  OperationTypeNode,
  valueFromASTUntyped,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { executeNode, type ServiceMap } from './planExecutor.js';
import { isSupportedOperation, isSupportedPlan } from './planSupport.js';
import { newResponseObject, shapeResponse } from './resultShaping.js';

/** How many operations each executor answered (tests assert the fast path is really taken). */
export interface PlanExecutorStats {
  fast: number;
  stock: number;
}

/** The parts of ApolloGateway the fast executor reads; they are private in its typings. */
interface GatewayInternals {
  executor: GatewayExecutor;
  schema?: GraphQLSchema;
  supergraphSchema?: GraphQLSchema;
  queryPlanStore: { get(key: string): Promise<QueryPlan | undefined> };
  serviceMap: Record<string, { dataSource: GraphQLDataSource }>;
  experimental_didResolveQueryPlan?: (options: {
    queryPlan: QueryPlan;
    serviceMap: ServiceMap;
    requestContext: GatewayGraphQLRequestContext;
    operationContext: ReturnType<typeof buildOperationContext>;
  }) => void;
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
  const internals = gateway as unknown as GatewayInternals;
  const stock = internals.executor;
  const planStore = internals.queryPlanStore;
  const lookUpPlan = planStore.get.bind(planStore);
  const stats: PlanExecutorStats = { fast: 0, stock: 0 };
  const supportedPlans = new WeakMap<QueryPlan, boolean>();
  // Per schema: a supergraph reload may turn a supported operation into one that is not.
  const supportedOperationsBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, boolean>>>();

  const delegate = (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    stats.stock++;
    return stock(requestContext);
  };

  internals.executor = async (requestContext) => {
    const { request, document, queryHash } = requestContext;
    const { schema, supergraphSchema } = internals;
    if (!schema || !supergraphSchema) return delegate(requestContext);
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

    const serviceMap: ServiceMap = Object.create(null) as ServiceMap;
    for (const [name, { dataSource }] of Object.entries(internals.serviceMap)) serviceMap[name] = dataSource;
    internals.experimental_didResolveQueryPlan?.({ queryPlan, serviceMap, requestContext, operationContext });

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
  };
  return stats;
}
