import {
  buildTestSubgraph,
  describeEachStore,
  expectKeysKeptToTheirCaller,
  type TestSubgraph,
} from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

describeEachStore('sectors mutations on $kind', (store) => {
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

const NEW_SOURCE = { document: 'Sector review', section: 'Sectors added in review', basis: 'PUBLIC_KNOWLEDGE' };
const newSector = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Sector ${id}`,
  agencies: [{ abbreviation: 'DHS' }, { abbreviation: 'USCG', scope: 'maritime' }],
  source: NEW_SOURCE,
  ...extra,
});
const SECTOR_FIELDS = 'id name agencies { abbreviation name scope } source { section basis } version archived';
const CREATE_SECTOR = `mutation ($input: CreateSectorInput!, $key: String) {
  createSector(input: $input, idempotencyKey: $key) { ${SECTOR_FIELDS} } }`;
const UPDATE_SECTOR = `mutation ($id: ID!, $version: Int!, $input: UpdateSectorInput!) {
  updateSector(id: $id, expectedVersion: $version, input: $input) { ${SECTOR_FIELDS} } }`;
const ARCHIVE_SECTOR = `mutation ($id: ID!, $version: Int!) {
  archiveSector(id: $id, expectedVersion: $version) { id version archived } }`;
const SECTOR = `query ($id: ID!) { sector(id: $id) { ${SECTOR_FIELDS} } }`;
const SECTOR_AUDIT = `query ($id: ID) { sectorAuditLog(sectorId: $id, first: 100) {
  totalCount nodes { actor action sectorId oldValues newValues } } }`;

interface SectorAuditNode {
  actor: string;
  action: string;
  sectorId: string;
  oldValues: string | null;
  newValues: string | null;
}

describeEachStore('sector creates, updates and archives on $kind', (store) => {
  let subgraph: TestSubgraph<SectorsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(sectorsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const read = async (id: string) => (await subgraph.execute(SECTOR, { id })).data?.sector;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;
  const auditOf = async (id: string | null) => {
    const result = await subgraph.execute(SECTOR_AUDIT, { id });
    expect(result.errors).toBeUndefined();
    return result.data?.sectorAuditLog as { totalCount: number; nodes: SectorAuditNode[] };
  };
  const listed = async (includeArchived: boolean | null) => {
    const result = await subgraph.execute(
      `query ($all: Boolean) { sectors(first: 100, filter: { includeArchived: $all }) { nodes { id } } }`,
      { all: includeArchived },
    );
    return (result.data?.sectors as { nodes: { id: string }[] }).nodes.map((node) => node.id);
  };

  it('creates a sector at version 1 with its agencies in order, audited', async () => {
    const result = await subgraph.execute(CREATE_SECTOR, { input: newSector('critical-manufacturing') });
    expect(result).toEqual({
      data: {
        createSector: {
          id: 'critical-manufacturing',
          name: 'Sector critical-manufacturing',
          agencies: [
            { abbreviation: 'DHS', name: 'Department of Homeland Security', scope: null },
            { abbreviation: 'USCG', name: 'United States Coast Guard', scope: 'maritime' },
          ],
          source: { section: 'Sectors added in review', basis: 'PUBLIC_KNOWLEDGE' },
          version: 1,
          archived: false,
        },
      },
    });
    expect(await listed(null)).toContain('critical-manufacturing');
    const { nodes } = await auditOf('critical-manufacturing');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ actor: 'anonymous', action: 'create', oldValues: null });
    expect(JSON.parse(nodes[0]!.newValues!)).toMatchObject({
      id: 'critical-manufacturing',
      version: 1,
      archived_at: null,
      agencies: [
        { abbreviation: 'DHS', scope: null },
        { abbreviation: 'USCG', scope: 'maritime' },
      ],
    });
  });

  it('creates once for the same idempotency key; the key with other input is a CONFLICT', async () => {
    const first = await subgraph.execute(CREATE_SECTOR, { input: newSector('space-systems'), key: 'space-1' });
    const again = await subgraph.execute(CREATE_SECTOR, { input: newSector('space-systems'), key: 'space-1' });
    expect(first.errors).toBeUndefined();
    expect(again).toEqual(first);
    expect((await auditOf('space-systems')).totalCount).toBe(1);
    const reused = await subgraph.execute(CREATE_SECTOR, { input: newSector('review-only-sector'), key: 'space-1' });
    expect(codeOf(reused)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await read('review-only-sector')).toBeNull();
  });

  it("keeps an idempotency key to its caller: another caller's same key never answers with this caller's sector", () =>
    expectKeysKeptToTheirCaller(subgraph, {
      mutation: CREATE_SECTOR,
      field: 'createSector',
      writeScope: 'sectors:write',
      inputs: [newSector('outer-space'), newSector('deep-sea')],
      actorsOf: async (id) => (await auditOf(id)).nodes.map((entry) => entry.actor),
    }));

  it.each([
    [newSector('energy'), 'input.id'],
    [newSector('Bad Id'), 'input.id'],
    [newSector('blank-name', { name: ' ' }), 'input.name'],
    [newSector('no-agency', { agencies: [] }), 'input.agencies'],
    [
      newSector('unknown-agency', { agencies: [{ abbreviation: 'DHS' }, { abbreviation: 'NASA' }] }),
      'input.agencies.1.abbreviation',
    ],
    [
      newSector('agency-twice', { agencies: [{ abbreviation: 'DHS' }, { abbreviation: 'DHS' }] }),
      'input.agencies.1.abbreviation',
    ],
    [newSector('placeholder', { source: { ...NEW_SOURCE, basis: 'FICTIONAL_PLACEHOLDER' } }), 'input.source.basis'],
  ])('refuses invalid create input %#, naming the field, writing nothing', async (input, field) => {
    const before = await auditOf(null);
    const result = await subgraph.execute(CREATE_SECTOR, { input });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    if (input.id !== 'energy') expect(await read(input.id)).toBeNull();
    expect((await auditOf(null)).totalCount).toBe(before.totalCount);
  });

  it('updates its own fields with the version read; agencies are replaced as a whole', async () => {
    const result = await subgraph.execute(UPDATE_SECTOR, {
      id: 'critical-manufacturing',
      version: 1,
      input: { name: 'Critical Manufacturing', agencies: [{ abbreviation: 'DHS' }] },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateSector).toMatchObject({
      name: 'Critical Manufacturing',
      agencies: [{ abbreviation: 'DHS', name: 'Department of Homeland Security', scope: null }],
      version: 2,
    });
    const update = (await auditOf('critical-manufacturing')).nodes.at(-1)!;
    expect(update.action).toBe('update');
    expect(JSON.parse(update.oldValues!)).toMatchObject({ name: 'Sector critical-manufacturing', version: 1 });
    expect(JSON.parse(update.oldValues!).agencies).toHaveLength(2);
    expect(JSON.parse(update.newValues!)).toMatchObject({
      name: 'Critical Manufacturing',
      version: 2,
      agencies: [{ abbreviation: 'DHS', scope: null }],
    });
  });

  it('refuses a stale update with CONFLICT and changes nothing', async () => {
    const before = await read('critical-manufacturing');
    const stale = await subgraph.execute(UPDATE_SECTOR, {
      id: 'critical-manufacturing',
      version: 1,
      input: { name: 'Lost update', agencies: [{ abbreviation: 'EPA' }] },
    });
    expect(codeOf(stale)).toMatchObject({ code: 'CONFLICT', expectedVersion: 1, currentVersion: 2 });
    expect(await read('critical-manufacturing')).toEqual(before);
    expect((await auditOf('critical-manufacturing')).totalCount).toBe(2);
  });

  it.each([
    [{ id: 'critical-manufacturing', version: 2, input: {} }, 'input'],
    [{ id: 'critical-manufacturing', version: 2, input: { name: null } }, 'input.name'],
    [
      { id: 'critical-manufacturing', version: 2, input: { agencies: [{ abbreviation: 'NASA' }] } },
      'input.agencies.0.abbreviation',
    ],
    [{ id: 'critical-manufacturing', version: 0, input: { name: 'x' } }, 'expectedVersion'],
    [{ id: 'no-such-sector', version: 1, input: { name: 'x' } }, 'id'],
  ])('refuses invalid update input %#, naming the field', async (variables, field) => {
    const before = await read('critical-manufacturing');
    const result = await subgraph.execute(UPDATE_SECTOR, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('critical-manufacturing')).toEqual(before);
  });

  it('lets exactly one of many concurrent updates with the same version win, audited once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        subgraph.execute(UPDATE_SECTOR, { id: 'space-systems', version: 1, input: { name: `Space ${n}` } }),
      ),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(5);
    expect((await auditOf('space-systems')).nodes.map((node) => node.action)).toEqual(['create', 'update']);
  });

  it('archives a sector without dependencies: still resolved by id, left out of the list unless asked for', async () => {
    const stale = await subgraph.execute(ARCHIVE_SECTOR, { id: 'critical-manufacturing', version: 1 });
    expect(codeOf(stale)).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    const archived = await subgraph.execute(ARCHIVE_SECTOR, { id: 'critical-manufacturing', version: 2 });
    expect(archived).toEqual({
      data: { archiveSector: { id: 'critical-manufacturing', version: 3, archived: true } },
    });
    expect(await read('critical-manufacturing')).toMatchObject({ archived: true, version: 3 });
    const entity = await subgraph.execute(
      '{ _entities(representations: [{ __typename: "Sector", id: "critical-manufacturing" }]) { ... on Sector { id archived } } }',
    );
    expect(entity.data?._entities).toEqual([{ id: 'critical-manufacturing', archived: true }]);
    expect(await listed(null)).not.toContain('critical-manufacturing');
    expect(await listed(true)).toContain('critical-manufacturing');
    const twice = await subgraph.execute(ARCHIVE_SECTOR, { id: 'critical-manufacturing', version: 3 });
    expect(codeOf(twice)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await auditOf('critical-manufacturing')).nodes.map((node) => node.action)).toEqual([
      'create',
      'update',
      'archive',
    ]);
  });

  it('refuses to archive a sector with dependencies, and to add a dependency on an archived one', async () => {
    const energy = (await read('energy')) as { version: number };
    const refused = await subgraph.execute(ARCHIVE_SECTOR, { id: 'energy', version: energy.version });
    expect(codeOf(refused)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(await read('energy')).toMatchObject({ archived: false, version: energy.version });
    const onArchived = await subgraph.execute(ADD, {
      id: 'space-systems',
      on: 'critical-manufacturing',
      version: 2,
      input: { source: SOURCE },
    });
    expect(codeOf(onArchived)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'dependsOnId' });
    const fromArchived = await subgraph.execute(ADD, {
      id: 'critical-manufacturing',
      on: 'energy',
      version: 3,
      input: { source: SOURCE },
    });
    expect(codeOf(fromArchived)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
    expect(await read('space-systems')).toMatchObject({ version: 2 });
    expect(await read('critical-manufacturing')).toMatchObject({ version: 3 });
  });

  it('lets an archive and a new dependency on the same sector race: exactly one of them happens', async () => {
    await subgraph.execute(CREATE_SECTOR, { input: newSector('racing-sector') });
    const [archive, dependency] = await Promise.all([
      subgraph.execute(ARCHIVE_SECTOR, { id: 'racing-sector', version: 1 }),
      subgraph.execute(ADD, { id: 'space-systems', on: 'racing-sector', version: 2, input: { source: SOURCE } }),
    ]);
    expect([archive.errors === undefined, dependency.errors === undefined].filter(Boolean)).toHaveLength(1);
    const racing = await subgraph.execute('{ sector(id: "racing-sector") { archived dependents { sector { id } } } }');
    const { archived, dependents } = racing.data?.sector as { archived: boolean; dependents: unknown[] };
    expect(archived).toBe(archive.errors === undefined);
    expect(dependents).toEqual(dependency.errors === undefined ? [{ sector: { id: 'space-systems' } }] : []);
  });
});
