import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import {
  ApolloGateway,
  LocalGraphQLDataSource,
  type GatewayConfig,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, isSchema, parse, printSchema, type GraphQLSchema } from 'graphql';
import { afterEach, describe, expect, test } from 'vitest';
import { installFastExecutor } from './fastExecutor.js';
import {
  gatewayInternals,
  GatewayInternalsError,
  INCOMING_OPERATION,
  installedApolloGatewayVersion,
  LOADING_SCHEMA,
  observePlanLookups,
  VERIFIED_APOLLO_GATEWAY_VERSION,
  type ResolvedQueryPlan,
} from './gatewayInternals.js';

/**
 * The contract between gatewayInternals.ts and the installed @apollo/gateway: its version is the
 * verified one, and every internal the adapter reads is there, with the shape and the meaning the
 * adapter assumes, on a real gateway loaded over a small supergraph (two subgraphs, one entity
 * across them; no network: the subgraphs run in-process behind LocalGraphQLDataSource).
 */

const require = createRequire(import.meta.url);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

const subgraphs = {
  vehicles: buildSubgraphSchema({
    typeDefs: parse(`${federation}
      type Query { vehicle(id: ID!): Vehicle }
      type Vehicle @key(fields: "id") { id: ID! name: String }`),
    resolvers: { Query: { vehicle: (_: unknown, { id }: { id: string }) => ({ id, name: 'Hauler' }) } },
  }),
  telemetry: buildSubgraphSchema({
    typeDefs: parse(`${federation}
      type Vehicle @key(fields: "id") { id: ID! speed: Int }`),
    resolvers: { Vehicle: { __resolveReference: ({ id }: { id: string }) => ({ id, speed: 42 }) } },
  }),
};

const composition = composeServices(
  Object.entries(subgraphs).map(([name, schema]) => ({
    name,
    url: `http://${name}.invalid/graphql`,
    typeDefs: new LocalGraphQLDataSource(schema).sdl(),
  })),
);
if (composition.errors) throw new Error(composition.errors.map(({ message }) => message).join('\n'));
const { supergraphSdl } = composition;

/** Records the request kind of each fetch, then answers from the in-process subgraph. */
class RecordingDataSource extends LocalGraphQLDataSource {
  readonly kinds: unknown[] = [];

  override async process(options: GraphQLDataSourceProcessOptions) {
    this.kinds.push(options.kind);
    return super.process(options);
  }
}

// One fetch to each subgraph: the root field, then the entity.
const query = '{ vehicle(id: "v1") { name speed } }';
const expected = { data: { vehicle: { name: 'Hauler', speed: 42 } } };

interface Harness {
  gateway: ApolloGateway;
  server: ApolloServer;
  sources: Record<keyof typeof subgraphs, RecordingDataSource>;
  resolved: ResolvedQueryPlan[];
  didResolveQueryPlan: (resolved: ResolvedQueryPlan) => void;
}

const started: ApolloServer[] = [];

afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
});

function harness(options: Pick<GatewayConfig, 'queryPlannerConfig'> = {}): Harness {
  const sources = {
    vehicles: new RecordingDataSource(subgraphs.vehicles),
    telemetry: new RecordingDataSource(subgraphs.telemetry),
  };
  const resolved: ResolvedQueryPlan[] = [];
  const didResolveQueryPlan = (options: ResolvedQueryPlan) => void resolved.push(options);
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: silent,
    buildService: ({ name }) => sources[name as keyof typeof sources],
    experimental_didResolveQueryPlan: didResolveQueryPlan,
    ...options,
  });
  const server = new ApolloServer({ gateway, logger: silent });
  return { gateway, server, sources, resolved, didResolveQueryPlan };
}

async function start(server: ApolloServer): Promise<void> {
  await server.start();
  started.push(server);
}

async function execute(server: ApolloServer, document = query): Promise<unknown> {
  const response = await server.executeOperation({ query: document });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

const member = (gateway: ApolloGateway, name: string): unknown => Reflect.get(gateway, name);

describe('gatewayInternals: the contract with the installed @apollo/gateway', () => {
  test('the installed @apollo/gateway is the version the adapter was verified with', () => {
    const { version } = require('@apollo/gateway/package.json') as { version: string };
    expect(
      version,
      `@apollo/gateway ${version} is installed, but packages/plan-executor/src/gatewayInternals.ts was ` +
        `verified with ${VERIFIED_APOLLO_GATEWAY_VERSION}. Check each internal it reads against ` +
        `${version} (the other tests of this file do it on a real gateway; read dist/index.js for what ` +
        `they cannot see), then set VERIFIED_APOLLO_GATEWAY_VERSION to '${version}'.`,
    ).toBe(VERIFIED_APOLLO_GATEWAY_VERSION);
    expect(installedApolloGatewayVersion()).toBe(version);
  });

  test('the forged request kinds are the values of the enum @apollo/gateway does not export', () => {
    const { GraphQLDataSourceRequestKind } = require('@apollo/gateway/dist/datasources/types.js') as {
      GraphQLDataSourceRequestKind: Record<string, string>;
    };
    expect(INCOMING_OPERATION).toBe(GraphQLDataSourceRequestKind.INCOMING_OPERATION);
    expect(LOADING_SCHEMA).toBe(GraphQLDataSourceRequestKind.LOADING_SCHEMA);
  });

  test("the spans ours makes are named and attributed as @apollo/gateway's own", () => {
    const telemetry = require('@apollo/gateway/dist/utilities/opentelemetry.js') as {
      OpenTelemetrySpanNames: Record<string, string>;
      OpenTelemetryAttributeNames: Record<string, string>;
      tracer: { startActiveSpan?: unknown };
    };
    expect(telemetry.OpenTelemetrySpanNames).toMatchObject({
      REQUEST: 'gateway.request',
      VALIDATE: 'gateway.validate',
      PLAN: 'gateway.plan',
      EXECUTE: 'gateway.execute',
      POST_PROCESSING: 'gateway.postprocessing',
      FETCH: 'gateway.fetch',
    });
    expect(telemetry.tracer.startActiveSpan).toBeTypeOf('function');
    const { tracing } = gatewayInternals(harness().gateway);
    expect(tracing.planAttributes({ operationName: 'Q' } as never)).toEqual({
      [telemetry.OpenTelemetryAttributeNames.GRAPHQL_OPERATION_NAME as string]: 'Q',
    });
    expect(tracing.planAttributes({} as never)).toEqual({});
    // inSpan ends its span however the body settles, and hands back what it gives or throws.
    expect(tracing.inSpan('VALIDATE', {}, () => 1)).toBe(1);
    expect(() =>
      tracing.inSpan('VALIDATE', {}, () => {
        throw new Error('thrown');
      }),
    ).toThrow('thrown');
  });

  test('each internal read is there with the expected shape, before and after load, and means what we assume', async () => {
    const { gateway, server, sources, resolved, didResolveQueryPlan } = harness();
    // From the constructor on.
    const stock = member(gateway, 'executor');
    expect(stock).toBeTypeOf('function');
    const store = member(gateway, 'queryPlanStore') as { get?: unknown; set?: unknown };
    expect(store.get).toBeTypeOf('function');
    expect(store.set).toBeTypeOf('function');
    expect(member(gateway, 'serviceMap')).toEqual({});
    expect(Object.prototype.hasOwnProperty.call(gateway, 'experimental_didResolveQueryPlan')).toBe(true);
    expect(member(gateway, 'experimental_didResolveQueryPlan')).toBe(didResolveQueryPlan);
    expect(member(gateway, 'schema')).toBeUndefined();
    expect(member(gateway, 'supergraphSchema')).toBeUndefined();
    expect(member(gateway, 'apiSchema')).toBeUndefined();
    expect(member(gateway, 'queryPlanner')).toBeUndefined();
    // From APOLLO_DISABLE_SECURITY_*_CHECK (unset here): the planner's limits are on.
    expect(member(gateway, 'recursiveSelectionsLimitDisabled')).toBe(false);
    expect(member(gateway, 'nonLocalSelectionsLimitDisabled')).toBe(false);
    expect(member(gateway, 'logger')).toBe(silent);

    const internals = gatewayInternals(gateway);
    expect(internals.stockExecutor).toBe(stock);
    expect(internals.schemas()).toBeUndefined();
    const lookups: boolean[] = [];
    observePlanLookups(gateway, (found) => {
      lookups.push(found);
    });

    // After load (ApolloServer#start calls it; the adapter checks the rest then).
    await start(server);
    const schema = member(gateway, 'schema') as GraphQLSchema;
    const supergraphSchema = member(gateway, 'supergraphSchema') as GraphQLSchema;
    expect(isSchema(schema)).toBe(true);
    expect(isSchema(supergraphSchema)).toBe(true);
    // `schema` is the API schema, `supergraphSchema` the supergraph with its join__ types.
    expect(schema.getType('join__Graph')).toBeUndefined();
    expect(supergraphSchema.getType('join__Graph')).toBeDefined();
    expect(internals.schemas()).toEqual({ schema, supergraphSchema });
    // `apiSchema` is federation-internals' Schema of the same API, which the planner plans against.
    const apiSchema = member(gateway, 'apiSchema') as { toGraphQLJSSchema(): GraphQLSchema };
    expect(printSchema(apiSchema.toGraphQLJSSchema())).toBe(printSchema(schema));
    expect(member(gateway, 'queryPlanner')).toBe((gateway.__testing() as { queryPlanner?: unknown }).queryPlanner);
    const serviceMap = member(gateway, 'serviceMap') as Record<string, { dataSource?: unknown }>;
    expect(Object.keys(serviceMap).sort()).toEqual(['telemetry', 'vehicles']);
    expect(serviceMap.vehicles?.dataSource).toBe(sources.vehicles);
    expect(serviceMap.telemetry?.dataSource).toBe(sources.telemetry);
    expect({ ...internals.dataSources() }).toEqual({ vehicles: sources.vehicles, telemetry: sources.telemetry });

    // The stock executor: it stores the plan under the query hash, hands the same plan and data
    // sources to experimental_didResolveQueryPlan, and sends each fetch with INCOMING_OPERATION.
    expect(await execute(server)).toEqual(expected);
    expect(sources.vehicles.kinds).toEqual([INCOMING_OPERATION]);
    expect(sources.telemetry.kinds).toEqual([INCOMING_OPERATION]);
    expect(resolved).toHaveLength(1);
    const [first] = resolved;
    expect(first?.queryPlan).toMatchObject({ kind: 'QueryPlan', node: { kind: 'Sequence' } });
    expect({ ...first?.serviceMap }).toEqual({ ...internals.dataSources() });
    const queryHash = createHash('sha256').update(query).digest('hex');
    expect(await internals.lookUpPlan(queryHash)).toBe(first?.queryPlan);
    expect(lookups).toEqual([false]);
    await execute(server);
    expect(lookups).toEqual([false, true]);

    // planOperation plans as the stock executor did on its miss; storePlan stores where it looks.
    const planned = internals.planOperation(parse(query), undefined);
    expect(planned).not.toBe(first?.queryPlan);
    expect(planned).toEqual(first?.queryPlan);
    await internals.storePlan('a key', planned);
    expect(await internals.lookUpPlan('a key')).toBe(planned);
    // A document the planner refuses: planOperation throws what the planner throws.
    expect(() => internals.planOperation(parse('{ vehicle(id: "v1") { nope } }'), undefined)).toThrow(
      /Cannot query field "nope"/,
    );
    expect(() => internals.planOperation(parse(query), 'NoSuchOperation')).toThrow(/NoSuchOperation/);

    if (!first) throw new Error('unreachable');
    internals.didResolveQueryPlan(first);
    expect(resolved.at(-1)).toBe(first);
    const replacement = () => Promise.resolve({ data: null });
    internals.replaceExecutor(replacement);
    expect(member(gateway, 'executor')).toBe(replacement);
  });

  test('the fast executor runs on these internals as the stock executor does', async () => {
    const { gateway, server, sources, resolved } = harness();
    const lookups: boolean[] = [];
    const stats = installFastExecutor(gateway, { onPlanLookup: (found) => void lookups.push(found) });
    await start(server);
    // First sight: ours plans it, stores the plan under the stock executor's key and runs it.
    // Second: ours runs the stored plan.
    expect(await execute(server)).toEqual(expected);
    expect(stats).toEqual({ fast: 1, planned: 1, stock: 0 });
    const stored = await gatewayInternals(gateway).lookUpPlan(createHash('sha256').update(query).digest('hex'));
    expect(stored).toBe(resolved[0]?.queryPlan);
    expect(await execute(server)).toEqual(expected);
    expect(stats).toEqual({ fast: 2, planned: 1, stock: 0 });
    expect(lookups).toEqual([false, true]);
    expect(sources.vehicles.kinds).toEqual([INCOMING_OPERATION, INCOMING_OPERATION]);
    expect(sources.telemetry.kinds).toEqual([INCOMING_OPERATION, INCOMING_OPERATION]);
    expect(resolved).toHaveLength(2);
    expect(resolved[1]?.queryPlan).toBe(resolved[0]?.queryPlan);
    expect({ ...resolved[1]?.serviceMap }).toEqual({ ...resolved[0]?.serviceMap });
  });

  test('a plan store that fails to store: the fast executor logs it as the stock executor does, and answers', async () => {
    const warnings: string[] = [];
    const gateway = new ApolloGateway({
      supergraphSdl,
      logger: { ...silent, warn: (message: string) => void warnings.push(message) },
      buildService: ({ name }) => new LocalGraphQLDataSource(subgraphs[name as keyof typeof subgraphs]),
      queryPlannerConfig: {
        cache: {
          get: () => Promise.resolve(undefined),
          set: () => Promise.reject(new Error('store down')),
          delete: () => Promise.resolve(true),
          clear: () => {},
        },
      },
    });
    const server = new ApolloServer({ gateway, logger: silent });
    const stats = installFastExecutor(gateway);
    await start(server);
    expect(await execute(server)).toEqual(expected);
    expect(stats).toEqual({ fast: 1, planned: 1, stock: 0 });
    expect(warnings).toEqual(['Could not store queryPlanstore down']);
  });

  test('a first sight whose plan shape ours does not run: planned once, stored, run by the stock plan execution', async () => {
    // The planner's own such plans (Defer nodes, @context rewrites) cannot come out of this gateway: its
    // API schema has no @defer and it refuses supergraphs with @context. So a fetch is marked as deferring.
    const unsupportedShape = (gateway: ApolloGateway) => {
      const planner = Reflect.get(gateway, 'queryPlanner') as { buildQueryPlan: (...args: unknown[]) => QueryPlan };
      const buildQueryPlan = planner.buildQueryPlan.bind(planner);
      planner.buildQueryPlan = (...args) => {
        const plan = buildQueryPlan(...args);
        const node = plan.node?.kind === 'Sequence' ? plan.node.nodes[0] : undefined;
        if (node?.kind === 'Fetch') node.hasDefers = true;
        return plan;
      };
    };
    const reference = harness();
    await start(reference.server);
    unsupportedShape(reference.gateway);
    const { gateway, server, resolved, sources } = harness();
    const lookups: boolean[] = [];
    const stats = installFastExecutor(gateway, { onPlanLookup: (found) => void lookups.push(found) });
    // Taken before the metric wraps the store, so that the test's own lookup below is not counted.
    const { lookUpPlan } = gatewayInternals(gateway);
    const stockLookups: boolean[] = [];
    observePlanLookups(gateway, (found) => void stockLookups.push(found));
    await start(server);
    unsupportedShape(gateway);

    expect(await execute(reference.server)).toEqual(expected);
    expect(await execute(server)).toEqual(expected);
    expect(stats).toEqual({ fast: 0, planned: 0, stock: 1 });
    // One miss, counted by ours; the plan is stored and handed to experimental_didResolveQueryPlan.
    expect([lookups, stockLookups]).toEqual([[false], []]);
    expect(resolved).toHaveLength(1);
    const key = createHash('sha256').update(query).digest('hex');
    expect(await lookUpPlan(key)).toBe(resolved[0]?.queryPlan);
    expect(sources.telemetry.kinds).toEqual([INCOMING_OPERATION]);
    // The next request goes to the stock executor, whose lookup (the metric's) finds the plan.
    expect(await execute(server)).toEqual(expected);
    expect(stats).toEqual({ fast: 0, planned: 0, stock: 2 });
    expect([lookups, stockLookups]).toEqual([[false], [true]]);
  });

  test('a document the planner refuses: ours answers with what it throws, as the stock executor does', async () => {
    const refuse = (gateway: ApolloGateway) =>
      Reflect.set(Reflect.get(gateway, 'queryPlanner') as object, 'buildQueryPlan', () => {
        throw new GraphQLError('Cannot plan this', { extensions: { code: 'QUERY_PLANNING_FAILED' } });
      });
    const reference = harness();
    await start(reference.server);
    refuse(reference.gateway);
    const { gateway, server, resolved, sources } = harness();
    const lookups: boolean[] = [];
    const stats = installFastExecutor(gateway, { onPlanLookup: (found) => void lookups.push(found) });
    await start(server);
    refuse(gateway);
    const expectedAnswer = await execute(reference.server);
    expect(expectedAnswer).toMatchObject({ errors: [{ message: 'Cannot plan this' }] });
    expect(await execute(server)).toEqual(expectedAnswer);
    expect(stats).toEqual({ fast: 0, planned: 0, stock: 0 });
    // A miss, as the stock executor's lookup before it plans.
    expect(lookups).toEqual([false]);
    // Nothing stored, resolved or fetched.
    expect(
      await gatewayInternals(gateway).lookUpPlan(createHash('sha256').update(query).digest('hex')),
    ).toBeUndefined();
    expect(resolved).toEqual([]);
    expect(sources.vehicles.kinds).toEqual([]);
  });

  test('a missing internal fails at install, naming it and both versions', () => {
    const versions = `verified with ${VERIFIED_APOLLO_GATEWAY_VERSION}; ${installedApolloGatewayVersion()} is installed`;
    const withoutStore = harness().gateway;
    Reflect.deleteProperty(withoutStore, 'queryPlanStore');
    expect(() => installFastExecutor(withoutStore)).toThrow(GatewayInternalsError);
    expect(() => installFastExecutor(withoutStore)).toThrow(
      `ApolloGateway#queryPlanStore is undefined, expected an object with get() and set() methods: @cip/plan-executor ` +
        `reads it from the internals of @apollo/gateway, ${versions}.`,
    );

    const withoutHook = harness().gateway;
    Reflect.deleteProperty(withoutHook, 'experimental_didResolveQueryPlan');
    expect(() => gatewayInternals(withoutHook)).toThrow(/^ApolloGateway#experimental_didResolveQueryPlan is missing/);

    const withNumberExecutor = harness().gateway;
    Reflect.set(withNumberExecutor, 'executor', 1);
    expect(() => gatewayInternals(withNumberExecutor)).toThrow(
      /^ApolloGateway#executor is a number, expected a function/,
    );

    const withoutLimitFlag = harness().gateway;
    Reflect.deleteProperty(withoutLimitFlag, 'nonLocalSelectionsLimitDisabled');
    expect(() => gatewayInternals(withoutLimitFlag)).toThrow(
      /^ApolloGateway#nonLocalSelectionsLimitDisabled is undefined, expected a boolean/,
    );
  });

  test.each(['supergraphSchema', 'queryPlanner'])(
    'an internal that load() no longer sets (%s) fails the start',
    async (name) => {
      const { gateway, server } = harness();
      // As if a release renamed the member: what load() assigns to it goes nowhere.
      Object.defineProperty(gateway, name, { configurable: true, get: () => undefined, set: () => {} });
      installFastExecutor(gateway);
      await expect(server.start()).rejects.toThrow(new RegExp(`^ApolloGateway#${name} is undefined, expected a `));
      await gateway.stop();
    },
  );
});
