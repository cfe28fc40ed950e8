import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, print } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import {
  canonicalResponse,
  generateVariants as generateOperationVariants,
  type Variant,
  ranFrom,
  variantsOffOurPath,
  type Ran,
} from '@cip/testing/plan-executor';
import { clientOperations } from '@cip/testing/example-operations';
import { startSystem, type RunningSystem } from '@cip/testing/system';

/**
 * Differential proof of the fast plan executor: the same operations against two gateways over the
 * same running subgraphs, PLAN_EXECUTOR=stock and PLAN_EXECUTOR=fast (the default), and the responses (data
 * and errors, with paths and codes) must be equal. Several hundred variants are generated from the
 * example operations in test/operations/. A document's first request is compared too, and must
 * have been planned and run by ours, as every later one.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const apiSchema = buildSchema(readFileSync(join(root, 'schema/api.graphql'), 'utf8'));
// A subscription's events are run by the subscription path (test/subscriptions-*.test.ts).
const examples = clientOperations('query');

// Both gateways: no retries and a breaker that never opens, so a stopped subgraph fails the same
// way for each however many requests each has sent. Aliases on every field need more than 30. No
// supergraph watching: a recomposition during the run must not reach one gateway before the other.
const sharedEnv = {
  BREAKER_FAILURE_THRESHOLD: '100000',
  SUBGRAPH_RETRIES: '0',
  LIMIT_MAX_ALIASES: '200',
  SUPERGRAPH_WATCH: 'false',
};

let system: RunningSystem;
let fast: GatewayApp;
let fastUrl: string;

beforeAll(async () => {
  system = await startSystem({ ...sharedEnv, PLAN_EXECUTOR: 'stock' });
  const subgraphUrls = Object.entries(system.subgraphUrls)
    .map(([name, url]) => `${name}=${url}`)
    .join(',');
  fast = await buildGateway(
    parseGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      PLAN_EXECUTOR: 'fast',
      SUBGRAPH_URLS: subgraphUrls,
      ...sharedEnv,
    }),
    pino({ level: 'silent' }),
  );
  fastUrl = `${await fast.listen('127.0.0.1', 0)}/graphql`;
}, 120_000);

afterAll(async () => {
  await fast?.stop();
  await system?.stop();
}, 60_000);

async function post(url: string, variant: Variant): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: variant.query, variables: variant.variables }),
  });
  // Serialized (canonicalResponse) so that the order of keys counts too.
  return { status: response.status, body: canonicalResponse(await response.json()) };
}

/** What the fast gateway's executor has counted so far. */
function counts(): { fast: number; planned: number } {
  const stats = fast.planExecutor;
  if (!stats) throw new Error('The fast gateway has no plan executor stats');
  return { fast: stats.fast, planned: stats.planned };
}

/**
 * Sends the variant to stock, then twice to the fast gateway (the first plans it on ours when the
 * document is new, or runs its stored plan; the second runs the stored plan), comparing each answer.
 */
async function compare(variant: Variant): Promise<Ran> {
  const expected = await post(system.gatewayUrl, variant);
  const beforeFirst = counts();
  const primed = await post(fastUrl, variant);
  expect(primed, `${variant.label} (first request)`).toEqual(expected);
  const beforeSecond = counts();
  const actual = await post(fastUrl, variant);
  expect(actual, variant.label).toEqual(expected);
  return ranFrom(beforeFirst, beforeSecond, counts());
}

/** Ids to run each example with besides its defaults (one known, one unknown). */
const alternateVariables: Record<string, Record<string, unknown>[]> = {
  'agreementsForThreatFocusArea.graphql': [{ id: 'cyber-intrusion' }, { id: 'no-such-area' }],
  'agreementsSignedSince.graphql': [{ year: 2020 }, { year: 3000 }],
  'landBorderPartners.graphql': [{}],
  'partnerProfile.graphql': [{ id: 'mexico' }, { id: 'nato' }, { id: 'no-such-partner' }],
  'sectorOverview.graphql': [{ id: 'water' }, { id: 'no-such-sector' }, { maxHops: 99 }, { maxHops: 0 }],
};

function generateVariants(): Variant[] {
  const variants = generateOperationVariants(
    apiSchema,
    examples.map(({ name, document }) => ({
      name,
      document,
      ...(alternateVariables[name] ? { alternateVariables: alternateVariables[name] } : {}),
    })),
  );
  // Errors from subgraphs, at the root and inside entity fetches, and nulls.
  const extra: [string, string, Record<string, unknown>?][] = [
    ['bad cursor at the root', '{ agreements(first: 5, after: "not-a-cursor") { totalCount nodes { title } } }'],
    [
      'bad cursor inside an entity fetch',
      '{ partners(first: 3) { nodes { name agreements(first: 2, after: "bad") { nodes { title } } } } }',
    ],
    ['cascade out of range', '{ sector(id: "energy") { name cascade(maxHops: 99) { hops sector { name } } } }'],
    [
      'cascade out of range in a list',
      '{ sectors(first: 4) { nodes { id name cascade(maxHops: 99) { hops } threatFocusAreas { name } } } }',
    ],
    ['unknown ids', '{ partner(id: "nope") { name } sector(id: "nope") { name } agreement(id: "nope") { title } }'],
    [
      'variables for ids',
      'query Q($p: ID!, $s: ID!) { partner(id: $p) { name agreements(first: 3) { nodes { title sectors { name } } } } sector(id: $s) { name } }',
      { p: 'canada', s: 'energy' },
    ],
  ];
  for (const [label, query, variables] of extra) variants.push({ label, query, ...(variables ? { variables } : {}) });
  return variants;
}

describe('PLAN_EXECUTOR=fast answers exactly as the stock executor', () => {
  const variants = generateVariants();

  test('ours is the default, and PLAN_EXECUTOR=stock runs the stock executor untouched', () => {
    expect(parseGatewayConfig({}).execution.planExecutor).toBe('fast');
    expect(system.gateway.planExecutor).toBeUndefined();
    expect(fast.planExecutor).toBeDefined();
  });

  test(`${variants.length} generated operations: equal responses, first requests and later, all on the fast path`, async () => {
    expect(variants.length).toBeGreaterThan(250);
    const { offPath: notOnOurs, documents } = await variantsOffOurPath(variants, compare);
    expect(documents).toBeGreaterThan(100);
    // Our supergraph has no abstract types and these operations no introspection: every request
    // must have gone through the fast path, a document's first sight included.
    expect(notOnOurs).toEqual([]);
  }, 600_000);

  test('a client sending many distinct documents gets our executor for every one', async () => {
    // 120 documents no one sent before (each its own alias; half cross to a second office), one request each.
    const before = counts();
    for (let index = 0; index < 120; index++) {
      const variant = {
        label: `distinct document ${index}`,
        query: `{ distinct${index}: sectors(first: ${(index % 17) + 1}) { nodes { id ${index % 2 ? 'name' : 'threatFocusAreas { name }'} } } }`,
      };
      const expected = await post(system.gatewayUrl, variant);
      expect(await post(fastUrl, variant), variant.label).toEqual(expected);
    }
    expect(counts()).toEqual({ fast: before.fast + 120, planned: before.planned + 120 });
  }, 120_000);

  test('a stopped subgraph: equal errors and partial data', async () => {
    const stopped = system.subgraphs.find((subgraph) => subgraph.name === 'threat-focus-areas');
    expect(stopped).toBeDefined();
    await stopped?.stop();
    let viaFastPath = 0;
    const affected = examples.map(({ name, document }) => ({
      label: `${name} (subgraph stopped)`,
      query: print(document),
    }));
    for (const variant of affected) {
      const expected = await post(system.gatewayUrl, variant);
      const before = fast.planExecutor?.fast ?? 0;
      // Plans are stored from the first test, so one request each keeps the two gateways in step.
      expect(await post(fastUrl, variant), variant.label).toEqual(expected);
      if ((fast.planExecutor?.fast ?? 0) === before + 1) viaFastPath++;
    }
    expect(viaFastPath).toBe(affected.length);
  }, 120_000);
});
