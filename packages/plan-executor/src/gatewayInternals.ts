import { createRequire } from 'node:module';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { ApolloGateway, GatewayConfig, GraphQLDataSource, buildOperationContext } from '@apollo/gateway';
// Type only (erased from the build): the enum's values are not exported from the entry point.
import type { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import type { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { DocumentNode, GraphQLSchema } from 'graphql';

/**
 * The one place that touches @apollo/gateway's internals: members that are private in its typings
 * (or public but replaced), the values of an enum it does not export, and its OpenTelemetry module
 * (`dist/utilities/opentelemetry.js`: its tracer and span names, so that our spans are its spans).
 * Nothing else in the executor or the gateway casts `ApolloGateway` to an internal shape; they come here.
 *
 * Each member is checked when it is first needed: what exists from the constructor on when
 * `gatewayInternals` is called, what `load()` sets as soon as it resolves, so that a release that
 * renames one fails at start-up with the member's name, not later with a `TypeError` in a request.
 * `gatewayInternals.test.ts` is the contract: it fails when the installed version is not
 * `VERIFIED_APOLLO_GATEWAY_VERSION`, and proves every member below on a real, loaded gateway.
 */

/** The @apollo/gateway release whose internals this file was checked against (see the contract test). */
export const VERIFIED_APOLLO_GATEWAY_VERSION = '2.14.4';

/** `GraphQLDataSourceRequestKind.INCOMING_OPERATION`: the kind of a fetch made for a client's operation. */
export const INCOMING_OPERATION = 'incoming operation' as unknown as GraphQLDataSourceRequestKind.INCOMING_OPERATION;

/** `GraphQLDataSourceRequestKind.LOADING_SCHEMA`: the kind of a fetch of a subgraph's SDL. */
export const LOADING_SCHEMA = 'loading schema' as unknown as GraphQLDataSourceRequestKind.LOADING_SCHEMA;

/** Each subgraph's data source by name, as the stock executor hands it to plan execution. */
export type ServiceMap = Record<string, GraphQLDataSource>;

/** What the gateway's `experimental_didResolveQueryPlan` option is called with. */
export interface ResolvedQueryPlan {
  queryPlan: QueryPlan;
  serviceMap: ServiceMap;
  requestContext: GatewayGraphQLRequestContext;
  operationContext: ReturnType<typeof buildOperationContext>;
}

/** The members of ApolloGateway read here, as @apollo/gateway 2.14.4 has them. */
interface PrivateGateway {
  /** Public, but replaced: Apollo Server takes it from `load()`. */
  executor: GatewayExecutor;
  /** The API schema (public); set by `load()` and on each supergraph update. */
  schema?: GraphQLSchema;
  /** The supergraph schema (with the join__ types); set by `load()` and on each update. */
  supergraphSchema?: GraphQLSchema;
  /** The API schema as federation-internals has it, which the query planner plans against; set by `load()`. */
  apiSchema?: Schema;
  /** The planner of the current supergraph; set by `load()` and on each update. */
  queryPlanner?: QueryPlanner;
  /** From APOLLO_DISABLE_SECURITY_*_CHECK, read by the constructor; the stock executor passes them to the planner. */
  recursiveSelectionsLimitDisabled: boolean;
  nonLocalSelectionsLimitDisabled: boolean;
  queryPlanStore: {
    get(key: string): Promise<QueryPlan | undefined>;
    set(key: string, plan: QueryPlan): Promise<void>;
  };
  serviceMap: Record<string, { dataSource: GraphQLDataSource }>;
  logger: { warn(message: string): void };
  /** The options as given (over its defaults); `telemetry` says which exceptions its spans record. */
  config: Pick<GatewayConfig, 'telemetry'>;
  /** The option of the same name, copied by the constructor (undefined when not given). */
  experimental_didResolveQueryPlan?: (options: ResolvedQueryPlan) => void;
}

type Check = (value: unknown) => boolean;

const isFunction: Check = (value) => typeof value === 'function';
const isObject: Check = (value) => typeof value === 'object' && value !== null;
const isBoolean: Check = (value) => typeof value === 'boolean';
const hasMethod =
  (name: string): Check =>
  (value) =>
    isObject(value) && typeof (value as Record<string, unknown>)[name] === 'function';
// Duck-typed rather than `isSchema`, which would also refuse a schema from another copy of graphql.
const isSchemaLike: Check = (value) => hasMethod('getQueryType')(value) && hasMethod('getTypeMap')(value);
const isDataSourceMap: Check = (value) =>
  isObject(value) &&
  Object.values(value as object).every(
    (entry: unknown) => isObject(entry) && hasMethod('process')(Reflect.get(entry as object, 'dataSource')),
  );

interface Member {
  readonly name: keyof PrivateGateway;
  readonly expected: string;
  readonly check: Check;
  /** An own property that may hold undefined, but must be there (the constructor assigns it). */
  readonly own?: true;
}

/** Set by the constructor. */
const CONSTRUCTED: readonly Member[] = [
  { name: 'executor', expected: 'a function', check: isFunction },
  {
    name: 'queryPlanStore',
    expected: 'an object with get() and set() methods',
    check: (value) => hasMethod('get')(value) && hasMethod('set')(value),
  },
  { name: 'serviceMap', expected: 'an object', check: isObject },
  { name: 'logger', expected: 'an object with a warn() method', check: hasMethod('warn') },
  { name: 'config', expected: 'an object', check: isObject },
  { name: 'recursiveSelectionsLimitDisabled', expected: 'a boolean', check: isBoolean },
  { name: 'nonLocalSelectionsLimitDisabled', expected: 'a boolean', check: isBoolean },
  {
    name: 'experimental_didResolveQueryPlan',
    expected: 'an own property holding a function or undefined',
    check: (value) => value === undefined || isFunction(value),
    own: true,
  },
];

/** Set by `load()`. */
const LOADED: readonly Member[] = [
  { name: 'schema', expected: 'a GraphQLSchema', check: isSchemaLike },
  { name: 'supergraphSchema', expected: 'a GraphQLSchema', check: isSchemaLike },
  // Not a GraphQLSchema: federation-internals' own Schema, which the planner and operationFromDocument take.
  { name: 'apiSchema', expected: 'a federation Schema', check: hasMethod('toGraphQLJSSchema') },
  { name: 'queryPlanner', expected: 'a QueryPlanner', check: hasMethod('buildQueryPlan') },
  { name: 'serviceMap', expected: 'an object of { dataSource } entries', check: isDataSourceMap },
];

const require = createRequire(import.meta.url);

/** The names @apollo/gateway gives its OpenTelemetry spans (its `OpenTelemetrySpanNames` keys). */
export type GatewaySpanName = 'REQUEST' | 'VALIDATE' | 'PLAN' | 'EXECUTE' | 'POST_PROCESSING' | 'FETCH';
const SPAN_NAMES: readonly GatewaySpanName[] = ['REQUEST', 'VALIDATE', 'PLAN', 'EXECUTE', 'POST_PROCESSING', 'FETCH'];
/** `SpanStatusCode.ERROR` of @opentelemetry/api, which the stock executor sets on a failed span. */
const SPAN_STATUS_ERROR = 2;

type SpanAttributes = Record<string, string | number | boolean>;

/** The part of an OpenTelemetry span used here. */
interface Span {
  setAttributes(attributes: SpanAttributes): unknown;
  setStatus(status: { code: number }): unknown;
  end(): void;
}

/** What is read of @apollo/gateway's `dist/utilities/opentelemetry.js` (not exported from its entry point). */
interface GatewayTelemetryModule {
  tracer: {
    startActiveSpan<T>(name: string, options: { attributes?: SpanAttributes }, body: (span: Span) => T): T;
  };
  OpenTelemetrySpanNames: Record<GatewaySpanName, string>;
  OpenTelemetryAttributeNames: { GRAPHQL_OPERATION_NAME: string };
  requestContextSpanAttributes(requestContext: GatewayGraphQLRequestContext, config: unknown): SpanAttributes;
  operationContextSpanAttributes(operationContext: ReturnType<typeof buildOperationContext>): SpanAttributes;
  recordExceptions(span: Span, exceptions: readonly unknown[], config: unknown): void;
}

const TELEMETRY_MODULE = '@apollo/gateway/dist/utilities/opentelemetry.js';

function loadTelemetryModule(): GatewayTelemetryModule {
  let loaded: Partial<GatewayTelemetryModule>;
  try {
    loaded = require(TELEMETRY_MODULE) as Partial<GatewayTelemetryModule>;
  } catch {
    throw new GatewayInternalsError('exports', 'a module', 'missing', TELEMETRY_MODULE);
  }
  const names = loaded.OpenTelemetrySpanNames;
  if (!hasMethod('startActiveSpan')(loaded.tracer)) {
    throw new GatewayInternalsError(
      'tracer',
      'an OpenTelemetry tracer',
      describeValue(loaded.tracer),
      TELEMETRY_MODULE,
    );
  }
  for (const name of SPAN_NAMES) {
    if (typeof names?.[name] !== 'string') {
      throw new GatewayInternalsError(
        `OpenTelemetrySpanNames.${name}`,
        'a string',
        describeValue(names?.[name]),
        TELEMETRY_MODULE,
      );
    }
  }
  const operationNameAttribute = loaded.OpenTelemetryAttributeNames?.GRAPHQL_OPERATION_NAME;
  if (typeof operationNameAttribute !== 'string') {
    throw new GatewayInternalsError(
      'OpenTelemetryAttributeNames.GRAPHQL_OPERATION_NAME',
      'a string',
      describeValue(operationNameAttribute),
      TELEMETRY_MODULE,
    );
  }
  for (const name of ['requestContextSpanAttributes', 'operationContextSpanAttributes', 'recordExceptions'] as const) {
    if (!isFunction(loaded[name])) {
      throw new GatewayInternalsError(name, 'a function', describeValue(loaded[name]), TELEMETRY_MODULE);
    }
  }
  return loaded as GatewayTelemetryModule;
}

/** A span of ours, made as @apollo/gateway makes its own (same tracer, names and attributes). */
export interface GatewaySpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Records `errors` as the stock executor does (as the gateway's `telemetry` option says) and marks the span failed. */
  fail(errors: readonly unknown[]): void;
}

/** @apollo/gateway's spans, for the operations our executor runs, so that a trace reads the same on either path. */
export interface GatewayTracing {
  /**
   * Runs `body` in an active span named as @apollo/gateway names it, and ends the span when `body`
   * has settled; a `body` that throws or rejects fails the span first.
   */
  inSpan<T>(name: GatewaySpanName, attributes: SpanAttributes, body: (span: GatewaySpan) => T): T;
  requestAttributes(requestContext: GatewayGraphQLRequestContext): SpanAttributes;
  operationAttributes(operationContext: ReturnType<typeof buildOperationContext>): SpanAttributes;
  planAttributes(requestContext: GatewayGraphQLRequestContext): SpanAttributes;
}

function gatewayTracing(telemetry: GatewayTelemetryModule, config: PrivateGateway['config']): GatewayTracing {
  const { tracer, OpenTelemetrySpanNames: names } = telemetry;
  return {
    inSpan(name, attributes, body) {
      return tracer.startActiveSpan(names[name], { attributes }, (span) => {
        const handle: GatewaySpan = {
          setAttributes: (more) => void span.setAttributes(more),
          fail(errors) {
            telemetry.recordExceptions(span, errors, config.telemetry);
            span.setStatus({ code: SPAN_STATUS_ERROR });
          },
        };
        let result: ReturnType<typeof body>;
        try {
          result = body(handle);
        } catch (error) {
          handle.fail([error]);
          span.end();
          throw error;
        }
        if (!(result instanceof Promise)) {
          span.end();
          return result;
        }
        return result.then(
          (value: unknown) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            handle.fail([error]);
            span.end();
            throw error;
          },
        ) as ReturnType<typeof body>;
      });
    },
    requestAttributes: (requestContext) => telemetry.requestContextSpanAttributes(requestContext, config.telemetry),
    operationAttributes: (operationContext) => telemetry.operationContextSpanAttributes(operationContext),
    // As the stock executor sets them on its `gateway.plan` span.
    planAttributes: ({ operationName }) =>
      operationName ? { [telemetry.OpenTelemetryAttributeNames.GRAPHQL_OPERATION_NAME]: operationName } : {},
  };
}

/** The version of @apollo/gateway this package resolves, as its package.json says. */
export function installedApolloGatewayVersion(): string {
  try {
    const { version } = require('@apollo/gateway/package.json') as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** An internal of @apollo/gateway that the executor reads is missing or not of the expected type. */
export class GatewayInternalsError extends Error {
  override readonly name = 'GatewayInternalsError';

  constructor(
    readonly member: string,
    expected: string,
    found: string,
    /** Whose member: the gateway's, or an export of one of @apollo/gateway's modules. */
    owner = 'ApolloGateway',
  ) {
    super(
      `${owner}#${member} is ${found}, expected ${expected}: @cip/plan-executor reads it from the ` +
        `internals of @apollo/gateway, verified with ${VERIFIED_APOLLO_GATEWAY_VERSION}; ` +
        `${installedApolloGatewayVersion()} is installed. Update packages/plan-executor/src/gatewayInternals.ts ` +
        `and its contract test for this version (or run the gateway with PLAN_EXECUTOR=stock).`,
    );
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? `an object without the expected shape` : `a ${typeof value}`;
}

function verify(gateway: object, members: readonly Member[]): void {
  for (const { name, expected, check, own } of members) {
    if (own && !Object.prototype.hasOwnProperty.call(gateway, name)) {
      throw new GatewayInternalsError(name, expected, 'missing');
    }
    const value: unknown = Reflect.get(gateway, name);
    if (!check(value)) throw new GatewayInternalsError(name, expected, describeValue(value));
  }
}

/** The gateway's internals, as the fast executor uses them. */
export interface GatewayInternals {
  /** The executor the gateway has now (the stock one until replaced); Apollo Server takes it from `load()`. */
  readonly stockExecutor: GatewayExecutor;
  /** Puts `executor` in the gateway's place: before `load()` (which `ApolloServer#start` calls). */
  replaceExecutor(executor: GatewayExecutor): void;
  /** Looks up a stored plan on the plan store as it is now, before anyone wraps its `get`. */
  readonly lookUpPlan: (key: string) => Promise<QueryPlan | undefined>;
  /**
   * Plans an operation of `document` as the stock executor does on a plan store miss: with the
   * gateway's planner and API schema of now and its security limits. Throws what the planner throws.
   */
  planOperation(document: DocumentNode, operationName: string | undefined): QueryPlan;
  /** Stores a plan under `key` as the stock executor does (a store failure is logged as a warning, not thrown). */
  storePlan(key: string, plan: QueryPlan): Promise<void>;
  /** The federation API schema of now, which @apollo/gateway's `executeQueryPlan` takes; undefined before load. */
  apiSchema(): Schema | undefined;
  /** The gateway's `telemetry` option, which @apollo/gateway's `executeQueryPlan` takes. */
  telemetryConfig(): GatewayConfig['telemetry'];
  readonly tracing: GatewayTracing;
  /** The API schema and the supergraph schema, now (both change on a supergraph update); undefined before load. */
  schemas(): { schema: GraphQLSchema; supergraphSchema: GraphQLSchema } | undefined;
  /** Each subgraph's data source by name, in a new map on each call (as the stock executor builds one per request). */
  dataSources(): ServiceMap;
  /** Calls the gateway's `experimental_didResolveQueryPlan` option, if it was given, as the stock executor does. */
  didResolveQueryPlan(resolved: ResolvedQueryPlan): void;
}

/**
 * Checks the members the gateway has from its constructor on (throwing a `GatewayInternalsError`
 * naming the first missing one and both versions), and arranges for those `load()` sets to be
 * checked as soon as it resolves, so that `ApolloServer#start` fails with the same clear error.
 */
export function gatewayInternals(gateway: ApolloGateway): GatewayInternals {
  verify(gateway, CONSTRUCTED);
  const load = gateway.load.bind(gateway);
  gateway.load = async (...args) => {
    const loaded = await load(...args);
    verify(gateway, LOADED);
    return loaded;
  };
  const internals = gateway as unknown as PrivateGateway;
  const planStore = internals.queryPlanStore;
  const tracing = gatewayTracing(loadTelemetryModule(), internals.config);
  return {
    stockExecutor: internals.executor,
    replaceExecutor(executor) {
      internals.executor = executor;
    },
    lookUpPlan: planStore.get.bind(planStore),
    planOperation(document, operationName) {
      const { apiSchema, queryPlanner } = internals;
      // Unreachable once loaded (checked then); the executor never plans before load.
      if (!apiSchema || !queryPlanner) throw new Error('The gateway has no supergraph loaded yet');
      const operation = operationFromDocument(apiSchema, document, operationName ? { operationName } : {});
      return queryPlanner.buildQueryPlan(operation, {
        recursiveSelectionsLimitDisabled: internals.recursiveSelectionsLimitDisabled,
        nonLocalSelectionsLimitDisabled: internals.nonLocalSelectionsLimitDisabled,
      });
    },
    async storePlan(key, plan) {
      try {
        await planStore.set(key, plan);
      } catch (error) {
        // The stock executor's words, so that a store failure reads the same on either path.
        internals.logger.warn(`Could not store queryPlan${String((error as Error | undefined)?.message || error)}`);
      }
    },
    schemas() {
      const { schema, supergraphSchema } = internals;
      return schema && supergraphSchema ? { schema, supergraphSchema } : undefined;
    },
    apiSchema: () => internals.apiSchema,
    telemetryConfig: () => internals.config.telemetry,
    tracing,
    dataSources() {
      const serviceMap = Object.create(null) as ServiceMap;
      for (const [name, { dataSource }] of Object.entries(internals.serviceMap)) serviceMap[name] = dataSource;
      return serviceMap;
    },
    didResolveQueryPlan(resolved) {
      internals.experimental_didResolveQueryPlan?.(resolved);
    },
  };
}

/**
 * Calls `onLookup` after each lookup of the gateway's plan store, with whether a plan was found
 * (@apollo/gateway has no hook for it). Lenient on purpose, unlike `gatewayInternals`: it serves a
 * metric, so without a store of the expected shape nothing is observed and requests still run.
 */
export function observePlanLookups(gateway: ApolloGateway, onLookup: (found: boolean) => void): void {
  const store: unknown = Reflect.get(gateway, 'queryPlanStore');
  if (!hasMethod('get')(store)) return;
  const planStore = store as PrivateGateway['queryPlanStore'];
  const get = planStore.get.bind(planStore);
  planStore.get = async (key) => {
    const plan = await get(key);
    onLookup(plan !== undefined);
    return plan;
  };
}
