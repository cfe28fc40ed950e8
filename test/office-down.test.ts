import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { API_SCHEMA_FILE, SUPERGRAPH_FILE } from '@cip/schema';
import {
  answerWithoutOffice,
  nulledAt,
  routedThrough,
  startOfficeFronts,
  type OfficeFront,
} from '@cip/testing/office-fronts';
import { exampleOperations } from '@cip/testing/example-operations';
import { startSystem, type GraphQLResponse, type RunningSystem } from '@cip/testing/system';

/**
 * The nullability contract, proven office by office (docs/nullability.md): with one office stopped,
 * or slow past its timeout, every domain question and example operation gets the full answer with
 * exactly that office's parts nulled, each null with an error naming the office at its path, and
 * nothing a healthy office answered lost.
 */

const README_PROFILE = `{ partner(id: "canada") { name agreements { nodes { title signed { text } threatFocusAreas { name }
  sectors { name cascade(maxHops: 1) { sector { name } } } } } memberOf { organization { shortName bodies { name } } } } }`;

interface Operation {
  name: string;
  document: string;
  variables?: Record<string, unknown>;
}

function domainOperations(): Operation[] {
  const examples = exampleOperations().map(({ query, ...example }) => ({ ...example, document: query }));
  return [...examples, { name: 'README profile', document: README_PROFILE }];
}

const OFFICES = ['partners', 'agreements', 'sectors', 'threat-focus-areas'];
// Short for the faulty office alone; the healthy ones keep the default, so a busy machine cannot
// make them time out.
const FAULTY_TIMEOUT_MS = 300;

describe('one office down costs only its own fields', () => {
  let system: RunningSystem;
  let fronts: Record<string, OfficeFront>;
  let operations: Operation[];
  let schemas: { apiSdl: string; supergraphSdl: string };
  const full = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    system = await startSystem();
    fronts = await startOfficeFronts(system.subgraphUrls);
    operations = domainOperations();
    schemas = {
      apiSdl: await readFile(API_SCHEMA_FILE, 'utf8'),
      supergraphSdl: await readFile(SUPERGRAPH_FILE, 'utf8'),
    };
  });
  afterAll(async () => {
    await Promise.all(Object.values(fronts ?? {}).map((front) => front.stop()));
    await system?.stop();
  });

  /** A gateway of its own per round, so one round's open breaker cannot reach the next. */
  async function gatewayFor(
    office: string,
    planExecutor: string,
  ): Promise<{ gateway: GatewayApp; run: (op: Operation) => Promise<GraphQLResponse> }> {
    const gateway = await buildGateway(
      parseGatewayConfig({
        NODE_ENV: 'test',
        SUPERGRAPH_WATCH: 'false',
        TRUSTED_DOCUMENTS: 'off',
        SUBGRAPH_URLS: routedThrough(fronts),
        SUBGRAPH_TIMEOUTS: `${office}=${FAULTY_TIMEOUT_MS}`,
        SUBGRAPH_RETRIES: '0',
        PLAN_EXECUTOR: planExecutor,
      }),
      pino({ level: 'silent' }),
    );
    const url = `${await gateway.listen('127.0.0.1', 0)}/graphql`;
    const run = async (operation: Operation) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: operation.document, variables: operation.variables }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as GraphQLResponse;
    };
    return { gateway, run };
  }

  it('answers every operation in full while every office is up', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(9);
    for (const operation of operations) {
      const { data, errors } = await system.query(operation.document, operation.variables);
      expect(errors, operation.name).toBeUndefined();
      full.set(operation.name, data!);
    }
  });

  async function expectOnlyOfficeLost(office: string, run: (op: Operation) => Promise<GraphQLResponse>) {
    let lost = 0;
    for (const operation of operations) {
      const fullData = full.get(operation.name)!;
      const expected = await answerWithoutOffice(schemas, operation, fullData, office);
      const { data, errors = [] } = await run(operation);
      expect(data, `${operation.name} without ${office}`).toEqual(expected.data);
      for (const error of errors) {
        expect(error.extensions?.subgraph, `${operation.name}: ${error.message}`).toBe(office);
        expect(error.extensions?.code, `${operation.name}: ${error.message}`).toMatch(/^SUBGRAPH_/);
        expect(error.path, `${operation.name}: ${error.message}`).toBeDefined();
      }
      // Each null the office's absence leaves has an error at or under it, and no error is left
      // without the null it explains.
      const landed = (list: readonly { path?: readonly (string | number)[] | undefined }[], at: unknown) =>
        new Set(list.map((error) => nulledAt(at, error.path ?? [])));
      expect(landed(errors, data), `${operation.name} without ${office}`).toEqual(
        landed(expected.errors ?? [], expected.data),
      );
      // The contract itself: a null lands on the office's own field, or on the office's object
      // holding it (a list element, a nullable reference), never higher up on a healthy office's data.
      for (const error of expected.errors ?? []) {
        const path = error.path ?? [];
        const landing = JSON.parse(nulledAt(expected.data, path) ?? 'null') as unknown[] | null;
        expect(landing?.length, `${operation.name} without ${office}: ${path.join('.')}`).toBeGreaterThanOrEqual(
          path.length - 1,
        );
      }
      lost += expected.errors?.length ?? 0;
    }
    // The office's absence cost something somewhere, or the round proves nothing.
    expect(lost).toBeGreaterThan(0);
  }

  // Both executors of query plans: ours (the default) and @apollo/gateway's own.
  describe.each(OFFICES.flatMap((office) => ['fast', 'stock'].map((executor) => [office, executor])))(
    'with %s (PLAN_EXECUTOR=%s)',
    (office, executor) => {
      it('stopped', async () => {
        const { gateway, run } = await gatewayFor(office, executor);
        await fronts[office]!.down();
        try {
          await expectOnlyOfficeLost(office, run);
        } finally {
          await fronts[office]!.up();
          await gateway.stop();
        }
      });

      it('slow past its timeout', async () => {
        const { gateway, run } = await gatewayFor(office, executor);
        fronts[office]!.slow(60_000);
        try {
          await expectOnlyOfficeLost(office, run);
        } finally {
          await fronts[office]!.up();
          await gateway.stop();
        }
      });
    },
  );
});
