import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { GraphQLDataSource } from '@apollo/gateway';
import type {
  ConditionNode,
  FetchNode,
  PlanNode,
  QueryPlanSelectionNode,
  SubscriptionNode,
} from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { applyRewrites, isObjectOfType } from './dataRewrites.js';
import { directSource } from './directFetch.js';
import type { DeferScope } from './deferExecution.js';
import { INCOMING_OPERATION, type GatewayTracing, type ServiceMap } from './gatewayInternals.js';
import { newResponseObject, type ResponseObject } from './resultShaping.js';

type ResponsePath = (string | number)[];

export interface ExecutionState {
  readonly serviceMap: ServiceMap;
  readonly requestContext: GatewayGraphQLRequestContext;
  readonly operation: OperationDefinitionNode;
  /** The supergraph (not the API schema): type conditions in `requires` and rewrites are read on it. */
  readonly supergraphSchema: GraphQLSchema;
  /** Request variables over the operation's defaults (for Condition nodes). */
  readonly variables: Record<string, unknown>;
  readonly errors: GraphQLError[];
  /** Each fetch in a `gateway.fetch` span, as the stock executor's (the subgraph's trace continues from it). */
  readonly tracing: GatewayTracing;
  /** For a plan with Defer nodes (deferExecution.ts): the operation's deferred run, and the part this state fills. */
  readonly defer?: DeferScope;
}

export interface Cursor {
  readonly path: ResponsePath;
  readonly data: unknown;
  readonly fullResult: ResponseObject;
}

/**
 * Runs a plan node the way @apollo/gateway's `executeNode` does (same fetches, same merge order,
 * same error paths), without the per-node usage-reporting trace objects and spans.
 */
export async function executeNode(
  state: ExecutionState,
  node: PlanNode | SubscriptionNode,
  cursor: Cursor | undefined,
): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(state, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(state, child, cursor)));
      return;
    case 'Flatten':
      await executeNode(state, node.node, moveIntoCursor(cursor, node.path));
      return;
    case 'Fetch':
      try {
        await state.tracing.inSpan('FETCH', { service: node.serviceName }, () => executeFetch(state, node, cursor));
      } catch (error) {
        state.errors.push(error as GraphQLError);
      } finally {
        // Deferred blocks that depend on this fetch may start.
        if (node.id !== undefined) state.defer?.run.fetchDone(node.id);
      }
      return;
    case 'Condition': {
      const branch = evaluateCondition(node, state.variables) ? node.ifClause : node.elseClause;
      if (branch) await executeNode(state, branch, cursor);
      return;
    }
    case 'Defer': {
      const run = state.defer?.run;
      if (!run) throw new Error('A Defer node outside a deferred run');
      await run.executeDefer(state, node, cursor, executeNode);
      return;
    }
    case 'Subscription':
      throw new Error(`Plan node ${node.kind} is not supported by the fast executor`);
  }
}

function evaluateCondition(node: ConditionNode, variables: Record<string, unknown>): boolean {
  const value = variables[node.condition];
  if (typeof value !== 'boolean') throw new Error(`Invalid non-boolean value for Boolean! variable $${node.condition}`);
  return value;
}

async function executeFetch(state: ExecutionState, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = state.serviceMap[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities: ResponseObject[] = Array.isArray(cursor.data)
    ? (cursor.data as unknown[]).filter((entity): entity is ResponseObject => entity !== null && entity !== undefined)
    : [cursor.data as ResponseObject];
  if (entities.length < 1) return;

  const variables = newResponseObject();
  const provided = state.requestContext.request.variables;
  for (const name of fetch.variableUsages ?? []) {
    if (provided && Object.prototype.hasOwnProperty.call(provided, name) && provided[name] !== undefined) {
      variables[name] = provided[name];
    }
  }

  if (!fetch.requires) {
    const received = await sendOperation(state, service, fetch, cursor, variables);
    if (received) applyRewrites(state.supergraphSchema, fetch.outputRewrites, received);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }

  const representations: ResponseObject[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = selectRepresentation(state.supergraphSchema, entity, fetch.requires ?? []);
    if (representation && representation.__typename) {
      applyRewrites(state.supergraphSchema, fetch.inputRewrites, representation);
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);
  const received = await sendOperation(state, service, fetch, cursor, { ...variables, representations });
  if (!received) return;
  const receivedEntities = received._entities;
  if (!Array.isArray(receivedEntities)) throw new Error(`Expected "data._entities" in response to be an array`);
  if (receivedEntities.length !== representations.length) {
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  }
  for (let index = 0; index < representations.length; index++) {
    const receivedEntity = receivedEntities[index] as ResponseObject | null;
    const existing = entities[representationToEntity[index] ?? -1];
    if (!existing) continue;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existing.__typename;
    applyRewrites(state.supergraphSchema, fetch.outputRewrites, receivedEntity);
    deepMerge(existing, receivedEntity);
  }
}

async function sendOperation(
  state: ExecutionState,
  service: GraphQLDataSource,
  fetch: FetchNode,
  cursor: Cursor,
  variables: Record<string, unknown>,
): Promise<ResponseObject | null | undefined> {
  const { requestContext } = state;
  // The gateway's data sources take the fetch directly (directFetch.ts); any other goes through `process`.
  const direct = directSource(service);
  const response = direct
    ? await direct.sendPlanFetch({
        fetch,
        variables,
        incomingRequestContext: requestContext,
        pathInIncomingRequest: cursor.path,
      })
    : await service.process({
        kind: INCOMING_OPERATION,
        request: {
          query: fetch.operation,
          variables,
          ...(fetch.operationName === undefined ? {} : { operationName: fetch.operationName }),
        },
        incomingRequestContext: requestContext,
        context: requestContext.context,
        ...(fetch.operationDocumentNode === undefined ? {} : { document: fetch.operationDocumentNode }),
        pathInIncomingRequest: cursor.path,
      });
  if (response.errors) {
    const errorPath = lazyErrorPath(fetch, cursor);
    state.errors.push(...response.errors.map((error) => downstreamServiceError(error, fetch.serviceName, errorPath)));
    if (!response.extensions?.ftv1) {
      const errorPaths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
      const metrics = requestContext.metrics;
      if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...errorPaths);
      else metrics.nonFtv1ErrorPaths = errorPaths;
    }
  }
  return response.data as ResponseObject | null | undefined;
}

function lazyErrorPath(
  fetch: FetchNode,
  cursor: Cursor,
): (path: readonly (string | number)[] | undefined) => ResponsePath | undefined {
  let hydratedPaths: ResponsePath[] | undefined;
  return (errorPath) => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydratedPaths) {
        hydratedPaths = [];
        generateHydratedPaths([], cursor.path, cursor.fullResult, hydratedPaths);
      }
      return [...(hydratedPaths[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath] : undefined;
  };
}

function generateHydratedPaths(parent: ResponsePath, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  const head = path[0];
  if (data === null || data === undefined) return;
  if (head === undefined) {
    result.push(parent.slice());
  } else if (head === '@') {
    if (!Array.isArray(data)) throw new Error('expected array when encountering `@`');
    data.forEach((value: unknown, index) => {
      parent.push(index);
      generateHydratedPaths(parent, path.slice(1), value, result);
      parent.pop();
    });
  } else if (typeof head === 'string') {
    if (Array.isArray(data)) {
      data.forEach((value: unknown, index) => {
        parent.push(index);
        generateHydratedPaths(parent, path, value, result);
        parent.pop();
      });
    } else if (Object.prototype.hasOwnProperty.call(data, head)) {
      parent.push(head);
      generateHydratedPaths(parent, path.slice(1), (data as ResponseObject)[head], result);
      parent.pop();
    }
  } else {
    throw new Error(`unknown path part "${head}"`);
  }
}

export function downstreamServiceError(
  original: GraphQLFormattedError,
  serviceName: string,
  errorPath: (path: readonly (string | number)[] | undefined) => ResponsePath | undefined,
): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: original as Error,
    path: errorPath(original.path),
    extensions: { ...original.extensions, serviceName },
  };
  const codeDef = errorCodeDef(original);
  if (!codeDef && original.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

/** The entity's representation for `_entities`: its `requires` selection, or null when incomplete. */
function selectRepresentation(
  schema: GraphQLSchema,
  source: ResponseObject | null,
  selections: readonly QueryPlanSelectionNode[],
): ResponseObject | null {
  if (source === null) return null;
  const result = newResponseObject();
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const responseName = selection.alias ?? selection.name;
      const value = Object.prototype.hasOwnProperty.call(source, responseName) ? source[responseName] : undefined;
      if (value === undefined) return null;
      const inner = selection.selections;
      if (Array.isArray(value)) {
        result[responseName] = value.map((element: unknown) =>
          inner ? selectRepresentation(schema, element as ResponseObject | null, inner) : element,
        );
      } else if (inner) {
        result[responseName] = selectRepresentation(schema, value as ResponseObject | null, inner);
      } else {
        result[responseName] = value;
      }
    } else {
      if (!selection.typeCondition) continue;
      if (isObjectOfType(schema, source, selection.typeCondition)) {
        deepMerge(result, selectRepresentation(schema, source, selection.selections));
      }
    }
  }
  return result;
}

function moveIntoCursor(cursor: Cursor, pathInCursor: ResponsePath): Cursor | undefined {
  const data = flattenResultsAtPath(cursor.data, pathInCursor, 0);
  return data ? { path: cursor.path.concat(pathInCursor), data, fullResult: cursor.fullResult } : undefined;
}

/**
 * The entities at a flatten path, as @apollo/gateway's `flattenResultsAtPath` finds them (each `@`
 * a `flatMap`), but pushed into one array instead of one array per list level.
 */
function flattenResultsAtPath(value: unknown, path: ResponsePath, from: number): unknown {
  let current = value;
  for (let index = from; index < path.length; index++) {
    if (current === undefined || current === null) return current;
    const key = path[index];
    if (key === '@') {
      const out: unknown[] = [];
      collectAtPath(current, path, index, out);
      return out;
    }
    current = childAt(current, key);
  }
  return current;
}

/** Pushes what `flatMap` over the list `list` (at path[at] === '@') would give, into `out`. */
function collectAtPath(list: unknown, path: ResponsePath, at: number, out: unknown[]): void {
  if (!Array.isArray(list)) throw new Error('Expected a list at @ in a flatten path');
  for (const element of list as unknown[]) {
    let current = element;
    let index = at + 1;
    for (; index < path.length; index++) {
      if (current === undefined || current === null) break;
      const key = path[index];
      if (key === '@') {
        collectAtPath(current, path, index, out);
        break;
      }
      current = childAt(current, key);
    }
    if (index < path.length && path[index] === '@' && current !== undefined && current !== null) continue;
    if (Array.isArray(current)) {
      for (const item of current as unknown[]) out.push(item);
    } else {
      out.push(current);
    }
  }
}

function childAt(value: unknown, key: string | number | undefined): unknown {
  if (typeof key !== 'string') throw new Error(`Unexpected ${typeof key} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${key}`);
  const object = value as ResponseObject;
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function isObject(value: unknown): value is ResponseObject {
  return value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** @apollo/gateway's deepMerge, same semantics (arrays of equal length merge element-wise). */
export function deepMerge(target: ResponseObject, source: ResponseObject | null | undefined): ResponseObject {
  if (source === undefined || source === null) return target;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(target, key) && key in target) {
      Object.defineProperty(target, key, { configurable: true, enumerable: true, value: undefined, writable: true });
    }
    const existing = target[key];
    if (existing && isObject(value)) {
      deepMerge(existing as ResponseObject, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let index = 0; index < value.length; index++) {
        const from: unknown = value[index];
        const into: unknown = existing[index];
        if (isObject(into) && isObject(from)) deepMerge(into, from);
        else existing[index] = from;
      }
    } else {
      target[key] = value;
    }
  }
  return target;
}
