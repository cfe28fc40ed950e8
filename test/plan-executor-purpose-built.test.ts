import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installFastExecutor, type PlanExecutorStats } from '@cip/plan-executor';
import {
  canonicalResponse,
  fleetApiSchema,
  fleetExamples,
  generateVariants,
  startFleet,
  type FleetSystem,
  type Variant,
  ranFrom,
  variantsOffOurPath,
  type Ran,
} from '@cip/testing/plan-executor';

/**
 * Differential proof of the fast plan executor over a supergraph built for it (@cip/testing's fleet):
 * @requires, @provides, @interfaceObject, entity interfaces and unions across subgraphs, compound
 * and multiple keys, errors at every depth and subgraphs answering with broken HTTP. Two stock
 * @apollo/gateway servers over the same subgraphs, one with the fast executor installed, must give
 * byte-for-byte equal responses (data, errors with messages, paths and extensions, key order), to a
 * document's first request (planned and run by ours) as to the later ones.
 */

interface Contender {
  readonly server: ApolloServer;
  readonly stats?: PlanExecutorStats;
}

const silent = pino({ level: 'silent' });
let fleet: FleetSystem;
let stock: Contender;
let fast: Contender;

async function startContender(withFastExecutor: boolean): Promise<Contender> {
  const gateway = new ApolloGateway({ supergraphSdl: fleet.supergraphSdl, logger: silent });
  // Stack traces would differ between executors; clients never see them in production anyway.
  const server = new ApolloServer({ gateway, logger: silent, includeStacktraceInErrorResponses: false });
  const stats = withFastExecutor ? installFastExecutor(gateway) : undefined;
  await server.start();
  return { server, ...(stats ? { stats } : {}) };
}

beforeAll(async () => {
  fleet = await startFleet();
  stock = await startContender(false);
  fast = await startContender(true);
}, 60_000);

afterAll(async () => {
  await fast?.server.stop();
  await stock?.server.stop();
  await fleet?.stop();
}, 60_000);

/** The response as a client would receive it, serialized for comparison (canonicalResponse). */
async function answer(contender: Contender, variant: Variant): Promise<string> {
  const response = await contender.server.executeOperation({
    query: variant.query,
    ...(variant.variables ? { variables: variant.variables } : {}),
  });
  if (response.body.kind !== 'single') throw new Error(`${variant.label}: expected a single result`);
  return canonicalResponse(response.body.singleResult);
}

function expectSame(actual: string, expected: string, label: string): void {
  // Parsed first for a readable diff, then serialized for key order.
  expect(JSON.parse(actual), label).toEqual(JSON.parse(expected));
  expect(actual, `${label} (key order)`).toBe(expected);
}

/** What the expected responses held: error codes, null data, value completion errors. */
const seen = new Set<string>();

function counts(): PlanExecutorStats {
  if (!fast.stats) throw new Error('The fast contender has no plan executor stats');
  return { ...fast.stats };
}

/**
 * Sends the variant to stock, then twice to the fast gateway (the first plans it on ours when the
 * document is new, or runs its stored plan; the second runs the stored plan, or falls back),
 * comparing each answer.
 */
async function compare(variant: Variant): Promise<Ran> {
  const expected = await answer(stock, variant);
  const parsed = JSON.parse(expected) as {
    data?: unknown;
    errors?: { extensions?: { code?: string } }[];
    extensions?: { valueCompletion?: unknown };
  };
  for (const error of parsed.errors ?? []) seen.add(error.extensions?.code ?? 'no code');
  if (parsed.data === null) seen.add('null data');
  if (parsed.extensions?.valueCompletion) seen.add('value completion');
  const beforeFirst = counts();
  expectSame(await answer(fast, variant), expected, `${variant.label} (first request)`);
  const beforeSecond = counts();
  expectSame(await answer(fast, variant), expected, variant.label);
  return ranFrom(beforeFirst, beforeSecond, counts());
}

describe('the fast executor answers exactly as stock @apollo/gateway over the fleet supergraph', () => {
  const variants = generateVariants(fleetApiSchema(), fleetExamples);

  test(`${variants.length} generated operations: equal responses, first requests and later, all on the fast path`, async () => {
    expect(variants.length).toBeGreaterThan(300);
    const { offPath: viaStock, documents } = await variantsOffOurPath(variants, compare);
    expect(documents).toBeGreaterThan(100);
    // Abstract types, @requires, @provides and @interfaceObject's rewrites are all ours to run, on
    // a document's first sight as later.
    expect(viaStock).toEqual([]);
    // The fixtures reach what they are built for: resolver errors at the root, in entities and
    // lists (by their codes), broken HTTP answers, null propagation up to data, completion errors.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'BAD_USER_INPUT',
        'DATA_LOSS',
        'FORBIDDEN',
        'INCOMPLETE_DIMENSIONS',
        'INTERNAL_SERVER_ERROR',
        'INVENTORY_CLOSED',
        'LOGISTICS_DOWN',
        'NOT_INSPECTED',
        'NO_ETA',
        'REGISTRY_DOWN',
        'SENSOR_FAULT',
        'SERIAL_MISSING',
        'UNCLASSIFIED',
        'null data',
        'value completion',
      ]),
    );
  }, 600_000);

  test('what the fast executor does not cover goes to the stock executor, per operation', async () => {
    const uncovered: Variant[] = [
      // Introspection beyond __typename.
      { label: 'introspection', query: '{ __type(name: "Asset") { name kind } assets { id } }' },
      { label: 'schema introspection', query: '{ __schema { queryType { name } } }' },
      // Two inline fragments on one condition, apart: stock merges them (into its key order).
      {
        label: 'repeated inline fragment',
        query: '{ assets { ... on Vehicle { vin } id ... on Vehicle { tags } ... on Drone { rotorCount } } }',
      },
      // The same, through a field repeated apart: stock merges the two into one selection set.
      {
        label: 'repeated field with fragments',
        query:
          '{ vehicle(id: "v1") { ... on Vehicle { vin } } telemetryStatus vehicle(id: "v1") { name ... on Vehicle { tags } } }',
      },
    ];
    for (const variant of uncovered) {
      const stockBefore = counts().stock;
      const ran = await compare(variant);
      // Both requests (first sight and second) went to the stock executor, or never reached one.
      expect(ran, variant.label).toEqual({ first: { onOurs: false, planned: false }, second: { onOurs: false } });
      expect(counts().stock - stockBefore, variant.label).toBeLessThanOrEqual(2);
    }
    // The same selections without what is uncovered run on ours again, from their first sight.
    expect(await compare({ label: 'covered again', query: '{ assets { ... on Vehicle { vin tags } id } }' })).toEqual({
      first: { onOurs: true, planned: true },
      second: { onOurs: true },
    });
  });

  test('variables that fail coercion: ours answers with the stock validation errors, nothing planned', async () => {
    const invalid: Variant[] = [
      {
        label: 'invalid enum variable',
        query: 'query Q($f: AssetFilter) { assets(filter: $f) { id } }',
        variables: { f: 'NOPE' },
      },
      { label: 'missing required variable', query: 'query Q($id: ID!) { vehicle(id: $id) { id } }' },
    ];
    for (const variant of invalid) {
      expect(await compare(variant), variant.label).toEqual({
        first: { onOurs: true, planned: false },
        second: { onOurs: true },
      });
    }
  });

  /** Sends the examples' variants once to each (their plans are stored since the first test). */
  async function compareStopped(subgraph: string, examples: string[]): Promise<void> {
    const affected = generateVariants(
      fleetApiSchema(),
      fleetExamples.filter(({ name }) => examples.includes(name)),
    );
    expect(affected.length).toBeGreaterThan(20);
    for (const variant of affected) {
      const label = `${variant.label} (${subgraph} stopped)`;
      const expected = await answer(stock, variant);
      const before = fast.stats?.fast ?? 0;
      // One request each keeps the two gateways in step.
      expectSame(await answer(fast, variant), expected, label);
      expect(fast.stats?.fast, label).toBe(before + 1);
    }
  }

  // Last: they stop subgraphs for good.
  test('telemetry stopped: equal errors and partial data, on the fast path', async () => {
    await fleet.subgraphs.find(({ name }) => name === 'telemetry')?.stop();
    await compareStopped('telemetry', ['vehicleById', 'vehicleShipments', 'assetById']);
  }, 120_000);

  // The @interfaceObject subgraph's objects then keep the interface's name as __typename.
  test('inventory stopped too: equal answers for roots in the other subgraphs', async () => {
    await fleet.subgraphs.find(({ name }) => name === 'inventory')?.stop();
    await compareStopped('inventory', ['dueForService', 'mostUrgent', 'shipments', 'search']);
  }, 120_000);
});
