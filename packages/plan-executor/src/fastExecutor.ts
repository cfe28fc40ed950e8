import { createHash } from 'node:crypto';
import { buildOperationContext, executeQueryPlan, type ApolloGateway } from '@apollo/gateway';
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
import { DeferredRun, type IncrementalDelivery } from './deferExecution.js';
import { hasDeferDirective, withoutDeferDirectives } from './deferDocuments.js';
import { gatewayInternals, type ServiceMap } from './gatewayInternals.js';
import { executeNode } from './planExecutor.js';
import { isSupportedOperation, isSupportedPlan, planHasDefer } from './planSupport.js';
import { newResponseObject, shapeResponse } from './resultShaping.js';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** The planner refused an operation with its `@defer`s (its error kept as the cause). */
class DeferPlanningFailed extends Error {
  constructor(cause: unknown) {
    super('The query planner could not plan the operation with @defer', { cause });
  }
}

/** How many operations each executor answered (tests assert the fast path is really taken). */
export interface PlanExecutorStats {
  /** Operations ours answered, first sights included. */
  fast: number;
  /** Of those, first sights: the plan was made here (then stored for the requests after). */
  planned: number;
  /** Operations the stock executor answered, or its plan execution (a first sight of a plan shape ours does not run). */
  stock: number;
}

/**
 * Replaces the gateway's executor (before `ApolloServer#start`, which takes it from
 * `gateway.load()`) with one that runs the plans it supports itself, planning a document it has not
 * seen yet with the gateway's own planner and storing the plan where the stock executor would (same
 * store, same key). Invalid variables get the stock executor's validation errors, a document the
 * planner refuses what the planner throws, as from the stock executor; operations outside
 * `planSupport.ts` go to the stock executor, and so do plan shapes outside it from their second
 * request on (the first runs on @apollo/gateway's `executeQueryPlan`, the plan made here).
 */
export function installFastExecutor(
  gateway: ApolloGateway,
  options: {
    /**
     * Called where the stock executor looks its plan up (once the variables are valid), for the
     * operations this executor keeps: whether the plan was stored (false: a first sight, planned
     * here). Its own lookups are made on the store as it is now, before metrics wrap it, so that an
     * operation handed to the stock executor after a lookup here (which it repeats) counts once.
     */
    onPlanLookup?: (found: boolean) => void;
    /**
     * How requests take `@defer` parts streamed (deferExecution.ts). Without it, or for a request
     * that does not take them, an operation with `@defer` is answered as if written without it.
     */
    incrementalDelivery?: IncrementalDelivery;
  } = {},
): PlanExecutorStats {
  // Throws, naming the member and both versions, if @apollo/gateway's internals are not as verified.
  const internals = gatewayInternals(gateway);
  const stock = internals.stockExecutor;
  const { lookUpPlan, tracing } = internals;
  const stats: PlanExecutorStats = { fast: 0, planned: 0, stock: 0 };
  const supportedPlans = new WeakMap<QueryPlan, boolean>();
  // Per schema: a supergraph reload may turn a supported operation into one that is not.
  const supportedOperationsBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, boolean>>>();

  const delegate = (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    stats.stock++;
    // The stock executor cannot run Defer nodes: it answers the operation without @defer, in one response.
    return stock(hasDeferDirective(requestContext.document) ? withoutDeferDirectives(requestContext) : requestContext);
  };
  const isPlanSupported = (queryPlan: QueryPlan): boolean => {
    let supported = supportedPlans.get(queryPlan);
    if (supported === undefined) {
      supported = isSupportedPlan(queryPlan);
      supportedPlans.set(queryPlan, supported);
    }
    return supported;
  };
  const isOperationSupported = (
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | undefined,
    { operation, fragments }: OperationContext,
  ): boolean => {
    let supportedOperations = supportedOperationsBySchema.get(schema);
    if (!supportedOperations) {
      supportedOperations = new WeakMap<DocumentNode, Map<string, boolean>>();
      supportedOperationsBySchema.set(schema, supportedOperations);
    }
    let byName = supportedOperations.get(document);
    if (!byName) supportedOperations.set(document, (byName = new Map<string, boolean>()));
    const operationKey = operationName ?? '';
    let supported = byName.get(operationKey);
    if (supported === undefined) {
      supported = isSupportedOperation(operation, fragments, schema);
      byName.set(operationKey, supported);
    }
    return supported;
  };

  // Deferred documents the planner refused with their defers (it asserts on some, @requires under a
  // deferred fragment for one): answered without @defer from then on.
  const unplannedDeferred = new WeakSet<DocumentNode>();
  const run = async (requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> => {
    const { request, document, queryHash } = requestContext;
    // The stock executor's key: the security rewrite (security/authorization.ts) sets `queryHash`
    // to the rewritten document's, so a rewritten document has its own plan on either path.
    const key = request.operationName
      ? createHash('sha256').update(queryHash).update(request.operationName).digest('hex')
      : queryHash;
    const storedPlan = await lookUpPlan(key);
    if (storedPlan && !isPlanSupported(storedPlan)) return delegate(requestContext);
    // Read after the lookup, with nothing awaited until planning: schemas and planner of one supergraph.
    const schemas = internals.schemas();
    if (!schemas) return delegate(requestContext);
    const { schema } = schemas;

    let operationContext: OperationContext;
    try {
      operationContext = buildOperationContext({
        schema,
        operationDocument: document,
        ...(request.operationName ? { operationName: request.operationName } : {}),
      });
    } catch {
      // No such operation in the document: the stock executor throws the same, as its answer.
      return delegate(requestContext);
    }
    if (!isOperationSupported(schema, document, request.operationName, operationContext)) {
      return delegate(requestContext);
    }
    // @apollo/gateway's spans, as its executor makes them: a trace reads the same on either path.
    return tracing.inSpan('REQUEST', tracing.requestAttributes(requestContext), async (requestSpan) => {
      requestSpan.setAttributes(tracing.operationAttributes(operationContext));
      const result = await answer(requestContext, key, storedPlan, schemas, operationContext);
      if (result.errors) requestSpan.fail(result.errors);
      return result;
    });
  };
  internals.replaceExecutor(async (requestContext) => {
    const { document } = requestContext;
    if (!hasDeferDirective(document)) return run(requestContext);
    // @defer streamed where the client takes it; else the operation without it: its own plan, one response.
    if (!options.incrementalDelivery?.accepts(requestContext) || unplannedDeferred.has(document)) {
      return run(withoutDeferDirectives(requestContext));
    }
    try {
      return await run(requestContext);
    } catch (error) {
      if (!(error instanceof DeferPlanningFailed)) throw error;
      unplannedDeferred.add(document);
      return run(withoutDeferDirectives(requestContext));
    }
  });
  return stats;

  /** Answers an operation that ours covers: validated, planned if it has no stored plan, then executed. */
  async function answer(
    requestContext: GatewayGraphQLRequestContext,
    key: string,
    storedPlan: QueryPlan | undefined,
    { schema, supergraphSchema }: { schema: GraphQLSchema; supergraphSchema: GraphQLSchema },
    operationContext: OperationContext,
  ): Promise<GatewayExecutionResult> {
    const { request, document } = requestContext;
    const { operation } = operationContext;
    // Invalid variables: the stock executor's own validation and answer (before any plan).
    const variableErrors = tracing.inSpan('VALIDATE', {}, (span) => {
      const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
      if (errors) span.fail(errors);
      return errors;
    });
    if (variableErrors) {
      stats.fast++;
      return { errors: variableErrors };
    }
    options.onPlanLookup?.(storedPlan !== undefined);

    let queryPlan = storedPlan;
    if (!queryPlan) {
      // First sight, planned as the stock executor plans (what the planner throws is the answer, as there).
      queryPlan = tracing.inSpan('PLAN', tracing.planAttributes(requestContext), () => {
        try {
          return internals.planOperation(document, request.operationName);
        } catch (error) {
          if (hasDeferDirective(document)) throw new DeferPlanningFailed(error);
          throw error;
        }
      });
      await internals.storePlan(key, queryPlan);
    }
    const serviceMap = internals.dataSources();
    if (!isPlanSupported(queryPlan) && planHasDefer(queryPlan.node)) return delegate(requestContext);
    if (!isPlanSupported(queryPlan)) {
      // A first sight of a plan shape ours does not run: the stock executor's plan execution runs it now
      // (the plan is stored: the next request goes to the stock executor from its lookup on).
      stats.stock++;
      internals.didResolveQueryPlan({ queryPlan, serviceMap, requestContext, operationContext });
      const apiSchema = internals.apiSchema();
      if (!apiSchema) throw new Error('The gateway has no supergraph loaded');
      return executeQueryPlan(
        queryPlan,
        serviceMap,
        requestContext,
        operationContext,
        supergraphSchema,
        apiSchema,
        internals.telemetryConfig(),
      );
    }
    stats.fast++;
    if (!storedPlan) stats.planned++;
    internals.didResolveQueryPlan({ queryPlan, serviceMap, requestContext, operationContext });
    const plan = queryPlan;
    return tracing.inSpan('EXECUTE', {}, async (executeSpan) => {
      const result = await execute(plan, serviceMap, requestContext, operationContext, schema, supergraphSchema);
      if (result.errors) executeSpan.fail(result.errors);
      return result;
    });
  }

  async function execute(
    queryPlan: QueryPlan,
    serviceMap: ServiceMap,
    requestContext: GatewayGraphQLRequestContext,
    { operation, fragments }: OperationContext,
    schema: GraphQLSchema,
    supergraphSchema: GraphQLSchema,
  ): Promise<GatewayExecutionResult> {
    const variables = newResponseObject();
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.defaultValue)
        variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
    }
    Object.assign(variables, requestContext.request.variables);

    const errors: GraphQLError[] = [];
    const unfilteredData = newResponseObject();
    const rootType: GraphQLObjectType | null | undefined =
      operation.operation === OperationTypeNode.QUERY ? schema.getQueryType() : schema.getMutationType();
    if (!rootType) return { errors: [new GraphQLError(`The schema has no ${operation.operation} type`)] };
    // @defer (deferExecution.ts): the parts streamed after the initial payload.
    const delivery = options.incrementalDelivery;
    const deferred =
      delivery && planHasDefer(queryPlan.node)
        ? new DeferredRun(
            { schema, rootType, selectionSet: operation.selectionSet, fragments, variables, unfilteredData },
            () => delivery.open(requestContext),
          )
        : undefined;
    let initialData: Record<string, unknown> | null = null;
    try {
      if (queryPlan.node) {
        await executeNode(
          {
            serviceMap,
            requestContext,
            operation,
            supergraphSchema,
            variables,
            errors,
            tracing,
            ...(deferred ? { defer: deferred.rootScope() } : {}),
          },
          queryPlan.node,
          {
            path: [],
            data: unfilteredData,
            fullResult: unfilteredData,
          },
        );
      }
      const result = shapeResult(unfilteredData, rootType, deferred?.streaming ?? false);
      initialData = result.data ?? null;
      return result;
    } finally {
      // Always, so that deferred parts waiting for the initial payload end (with no place to go, if it failed).
      deferred?.initialShaped(initialData);
    }

    function shapeResult(
      unfilteredData: Record<string, unknown>,
      rootType: GraphQLObjectType,
      skipDeferred: boolean,
    ): GatewayExecutionResult {
      return tracing.inSpan('POST_PROCESSING', {}, (span): GatewayExecutionResult => {
        try {
          const shaped = shapeResponse(unfilteredData, operation.selectionSet, rootType, schema, fragments, variables, {
            skipDeferred,
          });
          if (errors.length === 0 && shaped.errors.length > 0) {
            span.fail(shaped.errors);
            return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
          }
          return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
        } catch (error) {
          span.fail([error]);
          return { errors: [new GraphQLError((error as Error).message, { originalError: error as Error })] };
        }
      });
    }
  }
}
