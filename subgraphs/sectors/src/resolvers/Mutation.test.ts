import { buildTestSubgraph, testStores, type TestSubgraph } from '@cip/subgraph-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SectorsContext } from '../context.js';
import { sectorsSubgraph } from '../server.js';

const SOURCE = { document: 'Sector review', section: 'Dependencies found in review', basis: 'PUBLIC_KNOWLEDGE' };
const ADD = `mutation ($id: ID!, $on: ID!, $version: Int!, $input: SectorDependencyInput!) {
  addSectorDependency(sectorId: $id, dependsOnId: $on, expectedVersion: $version, input: $input) {
    version dependsOn { sector { id } degree } cascade(maxHops: 1) { sector { id } } } }`;
const REMOVE = `mutation ($id: ID!, $on: ID!, $version: Int!) {
  removeSectorDependency(sectorId: $id, dependsOnId: $on, expectedVersion: $version) { version dependsOn { sector { id } } } }`;
const READ = `query ($id: ID!) { sector(id: $id) { version dependsOn { sector { id } } } }`;
const AUDIT = `query ($id: ID) { sectorAuditLog(sectorId: $id) { totalCount nodes { action sectorId newValues } } }`;

describe.each(testStores())('sectors mutations on $kind', (store) => {
  let subgraph: TestSubgraph<SectorsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(sectorsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const read = async (id: string) => (await subgraph.execute(READ, { id })).data?.sector;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;

  it('adds a dependency, bumping the dependent sector’s version; its dependents see it too', async () => {
    const before = (await read('chemical')) as { dependsOn: { sector: { id: string } }[] };
    const result = await subgraph.execute(ADD, {
      id: 'chemical',
      on: 'dams',
      version: 1,
      input: { degree: 'HIGH', source: SOURCE },
    });
    expect(result.errors).toBeUndefined();
    const added = result.data?.addSectorDependency as {
      version: number;
      dependsOn: { sector: { id: string }; degree: string }[];
    };
    expect(added.version).toBe(2);
    expect(added.dependsOn).toContainEqual({ sector: { id: 'dams' }, degree: 'HIGH' });
    expect(added.dependsOn).toHaveLength(before.dependsOn.length + 1);
    const dams = await subgraph.execute(
      '{ sector(id: "dams") { dependents { sector { id } } cascade(maxHops: 1) { sector { id } } } }',
    );
    expect(dams.data?.sector).toMatchObject({
      dependents: expect.arrayContaining([{ sector: { id: 'chemical' } }]),
      cascade: expect.arrayContaining([{ sector: { id: 'chemical' } }]),
    });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    const before = await read('chemical');
    const result = await subgraph.execute(REMOVE, { id: 'chemical', on: 'dams', version: 1 });
    expect(codeOf(result)).toMatchObject({ code: 'CONFLICT', expectedVersion: 1, currentVersion: 2 });
    expect(await read('chemical')).toEqual(before);
  });

  it('removes a dependency', async () => {
    const result = await subgraph.execute(REMOVE, { id: 'chemical', on: 'dams', version: 2 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.removeSectorDependency).toMatchObject({ version: 3 });
    expect(((await read('chemical')) as { dependsOn: unknown[] }).dependsOn).not.toContainEqual({
      sector: { id: 'dams' },
    });
  });

  it.each([
    [{ id: 'chemical', on: 'chemical', version: 3, input: { source: SOURCE } }, 'dependsOnId'],
    [{ id: 'chemical', on: 'atlantis', version: 3, input: { source: SOURCE } }, 'dependsOnId'],
    [{ id: 'atlantis', on: 'dams', version: 1, input: { source: SOURCE } }, 'sectorId'],
    [
      { id: 'chemical', on: 'dams', version: 3, input: { source: { ...SOURCE, basis: 'FICTIONAL_PLACEHOLDER' } } },
      'input.source.basis',
    ],
    [
      { id: 'chemical', on: 'dams', version: 3, input: { source: { ...SOURCE, document: ' ' } } },
      'input.source.document',
    ],
    [{ id: 'agriculture-and-food', on: 'energy', version: 1, input: { source: SOURCE } }, 'dependsOnId'],
  ])('refuses invalid input %#, naming the field, changing nothing', async (variables, field) => {
    const before = await read(variables.id);
    const result = await subgraph.execute(ADD, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read(variables.id)).toEqual(before);
  });

  it('lets exactly one of many concurrent changes with the same version win, audited once', async () => {
    const targets = ['dams', 'chemical', 'banking-and-finance', 'emergency-services', 'postal-and-shipping'];
    const results = await Promise.all(
      targets.map((on) =>
        subgraph.execute(ADD, { id: 'national-monuments-and-icons', on, version: 1, input: { source: SOURCE } }),
      ),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(targets.length - 1);
    const audit = await subgraph.execute(AUDIT, { id: 'national-monuments-and-icons' });
    expect((audit.data?.sectorAuditLog as { totalCount: number }).totalCount).toBe(1);
  });

  it('keeps exactly the winning changes in the audit log', async () => {
    const audit = await subgraph.execute(AUDIT, { id: 'chemical' });
    const nodes = (audit.data?.sectorAuditLog as { nodes: { action: string; newValues: string }[] }).nodes;
    expect(nodes.map((node) => [node.action, (JSON.parse(node.newValues) as { version: number }).version])).toEqual([
      ['addDependency', 2],
      ['removeDependency', 3],
    ]);
  });
});
