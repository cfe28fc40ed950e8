import { buildTestSubgraph, testStores, type TestSubgraph } from '@cip/subgraph-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreatFocusAreasContext } from '../context.js';
import { threatFocusAreasSubgraph } from '../server.js';

const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdateThreatFocusAreaInput!) {
  updateThreatFocusArea(id: $id, expectedVersion: $version, input: $input) { id name description version } }`;
const READ = `query ($id: ID!) { threatFocusArea(id: $id) { name description version affectedSectors { id } } }`;
const AUDIT = `query ($id: ID) { threatFocusAreaAuditLog(threatFocusAreaId: $id) {
  totalCount nodes { actor action threatFocusAreaId oldValues newValues } } }`;

/** The office's own writes; linking sectors (checked with the sectors office) is in test/cross-office-writes.test.ts. */
describe.each(testStores())('threat focus area mutations on $kind', (store) => {
  let subgraph: TestSubgraph<ThreatFocusAreasContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(threatFocusAreasSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const read = async (id: string) => (await subgraph.execute(READ, { id })).data?.threatFocusArea;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;

  it('updates the fields given with the version read, audited with old and new', async () => {
    const result = await subgraph.execute(UPDATE, {
      id: 'cyber-security',
      version: 1,
      input: { name: 'Cyber security (reviewed)' },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateThreatFocusArea).toMatchObject({ name: 'Cyber security (reviewed)', version: 2 });
    const audit = await subgraph.execute(AUDIT, { id: 'cyber-security' });
    const [entry] = (
      audit.data?.threatFocusAreaAuditLog as { nodes: { action: string; oldValues: string; newValues: string }[] }
    ).nodes;
    expect(entry?.action).toBe('update');
    expect(JSON.parse(entry!.oldValues)).toMatchObject({ name: 'Cyber security', version: 1 });
    expect(JSON.parse(entry!.newValues)).toMatchObject({ name: 'Cyber security (reviewed)', version: 2 });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    const before = await read('cyber-security');
    const result = await subgraph.execute(UPDATE, { id: 'cyber-security', version: 1, input: { description: 'Lost' } });
    expect(codeOf(result)).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    expect(await read('cyber-security')).toEqual(before);
  });

  it.each([
    [{ id: 'cyber-security', version: 2, input: {} }, 'input'],
    [{ id: 'cyber-security', version: 2, input: { name: '  ' } }, 'input.name'],
    [{ id: 'cyber-security', version: 2, input: { description: null } }, 'input.description'],
    [{ id: 'cyber-security', version: -1, input: { name: 'x' } }, 'expectedVersion'],
    [{ id: 'no-such-area', version: 1, input: { name: 'x' } }, 'id'],
  ])('refuses invalid input %#, naming the field', async (variables, field) => {
    const result = await subgraph.execute(UPDATE, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('cyber-security')).toMatchObject({ version: 2 });
  });

  it('lets exactly one of many concurrent updates with the same version win, audited once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        subgraph.execute(UPDATE, { id: 'foreign-investment', version: 1, input: { description: `Take ${n}` } }),
      ),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(5);
    const audit = await subgraph.execute(AUDIT, { id: 'foreign-investment' });
    expect((audit.data?.threatFocusAreaAuditLog as { totalCount: number }).totalCount).toBe(1);
  });

  it('refuses to link a sector with SUBGRAPH_UNREACHABLE when the sectors office is not configured', async () => {
    const before = await read('foreign-investment');
    const result = await subgraph.execute(
      'mutation { addThreatFocusAreaSector(id: "foreign-investment", sectorId: "energy", expectedVersion: 2) { version } }',
    );
    expect(codeOf(result)).toMatchObject({ code: 'SUBGRAPH_UNREACHABLE', subgraph: 'sectors' });
    expect(await read('foreign-investment')).toEqual(before);
  });
});
