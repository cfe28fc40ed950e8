import { createRequire } from 'node:module';
import type { ApolloGateway, GraphQLDataSource, buildOperationContext } from '@apollo/gateway';
// Type only (erased from the build): the enum's values are not exported from the entry point.
import type { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import type { QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { GraphQLSchema } from 'graphql';

/**
 * The one place that touches @apollo/gateway's internals: members that are private in its typings
 * (or public but replaced), and the values of an enum it does not export. Nothing else in the
 * executor or the gateway casts `ApolloGateway` to an internal shape; they come here.
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
  queryPlanStore: { get(key: string): Promise<QueryPlan | undefined> };
  serviceMap: Record<string, { dataSource: GraphQLDataSource }>;
  /** The option of the same name, copied by the constructor (undefined when not given). */
  experimental_didResolveQueryPlan?: (options: ResolvedQueryPlan) => void;
}

type Check = (value: unknown) => boolean;

const isFunction: Check = (value) => typeof value === 'function';
const isObject: Check = (value) => typeof value === 'object' && value !== null;
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
  { name: 'queryPlanStore', expected: 'an object with a get() method', check: hasMethod('get') },
  { name: 'serviceMap', expected: 'an object', check: isObject },
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
  { name: 'serviceMap', expected: 'an object of { dataSource } entries', check: isDataSourceMap },
];

const require = createRequire(import.meta.url);

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
  ) {
    super(
      `ApolloGateway#${member} is ${found}, expected ${expected}: @cip/plan-executor reads it from the ` +
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
  return {
    stockExecutor: internals.executor,
    replaceExecutor(executor) {
      internals.executor = executor;
    },
    lookUpPlan: planStore.get.bind(planStore),
    schemas() {
      const { schema, supergraphSchema } = internals;
      return schema && supergraphSchema ? { schema, supergraphSchema } : undefined;
    },
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
