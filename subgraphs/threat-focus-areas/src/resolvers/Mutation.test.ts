import { writeAudit } from '@cip/subgraph-kit';
import {
  buildTestSubgraph,
  describeEachStore,
  expectKeysKeptToTheirCaller,
  signedIn,
  type TestSubgraph,
  startFakeOffices,
  type FakeOffices,
  type OtherOfficeRecords,
} from '@cip/testing/subgraphs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ThreatFocusAreasContext } from '../context.js';
import { threatFocusAreasSubgraph } from '../server.js';

const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdateThreatFocusAreaInput!) {
  updateThreatFocusArea(id: $id, expectedVersion: $version, input: $input) { id name description version } }`;
const READ = `query ($id: ID!) { threatFocusArea(id: $id) { name description version affectedSectors { id } } }`;
const AUDIT = `query ($id: ID) { threatFocusAreaAuditLog(threatFocusAreaId: $id) {
  totalCount nodes { actor action threatFocusAreaId oldValues newValues } } }`;

/** The office's own writes; linking sectors (checked with the sectors office) is in test/cross-office-writes.test.ts. */
describeEachStore('threat focus area mutations on $kind', (store) => {
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

  it('shows an assessment in the audit log only to callers with its scope, as the SDL says', async () => {
    // `assessment` is `@requiresScopes(scopes: [["threats:restricted"], ["analyst"]])`. No write audits
    // assessments today; an entry holding one, as a write that did would write it:
    const assessment = {
      text: 'An assessment.',
      source: { document: 'Review', section: '1', basis: 'STATED_IN_TEXT' },
    };
    await writeAudit(subgraph.db, 'threat_focus_areas', {
      actor: 'analyst-1',
      action: 'update',
      entityType: 'ThreatFocusArea',
      entityId: 'rail-and-metro-security',
      old: { version: 1, assessment: null },
      new: { version: 2, assessment },
    });
    const valuesFor = async (caller?: ReturnType<typeof signedIn>) => {
      const result = await subgraph.execute(AUDIT, { id: 'rail-and-metro-security' }, caller);
      const [entry] = (result.data?.threatFocusAreaAuditLog as { nodes: { oldValues: string; newValues: string }[] })
        .nodes;
      return [JSON.parse(entry!.oldValues), JSON.parse(entry!.newValues)] as unknown[];
    };
    expect(await valuesFor(signedIn('auditor', ['threats:audit']))).toEqual([{ version: 1 }, { version: 2 }]);
    // The open gateway's caller (no caller given) sees every field, as with `npm start`.
    for (const caller of [
      signedIn('auditor', ['threats:audit', 'threats:restricted']),
      signedIn('auditor', ['threats:audit', 'analyst']),
      undefined,
    ]) {
      expect(await valuesFor(caller)).toEqual([
        { version: 1, assessment: null },
        { version: 2, assessment },
      ]);
    }
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

const OTHER_OFFICES: OtherOfficeRecords = {
  Sector: {
    energy: { archived: false },
    'transportation-systems': { archived: false },
    'retired-sector': { archived: true },
  },
  Agreement: { 'g8-counter-terrorism-statement': { archived: false }, 'archived-pact': { archived: true } },
};

const NEW_SOURCE = { document: 'Threat review', section: 'Focus areas added in review', basis: 'STATED_IN_TEXT' };
const newFocusArea = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Focus area ${id}`,
  description: 'A focus area added in review.',
  category: 'COUNTER_TERRORISM',
  origin: { statement: 'G8 Statement on Counter-Terrorism (July 2005)', namedById: 'g8-counter-terrorism-statement' },
  affectedSectorIds: ['energy', 'transportation-systems'],
  source: NEW_SOURCE,
  ...extra,
});
const FOCUS_AREA_FIELDS = `id name description category origin { statement namedBy { id } }
  affectedSectors { id } source { basis } version archived`;
const CREATE_FOCUS_AREA = `mutation ($input: CreateThreatFocusAreaInput!, $key: String) {
  createThreatFocusArea(input: $input, idempotencyKey: $key) { ${FOCUS_AREA_FIELDS} } }`;
const ARCHIVE_FOCUS_AREA = `mutation ($id: ID!, $version: Int!) {
  archiveThreatFocusArea(id: $id, expectedVersion: $version) { id version archived } }`;
const FOCUS_AREA_AUDIT = `query ($id: ID) { threatFocusAreaAuditLog(threatFocusAreaId: $id, first: 100) {
  totalCount nodes { actor action threatFocusAreaId oldValues newValues } } }`;
const FOCUS_AREA = `query ($id: ID!) { threatFocusArea(id: $id) { ${FOCUS_AREA_FIELDS} } }`;

interface FocusAreaAuditNode {
  actor: string;
  action: string;
  threatFocusAreaId: string;
  oldValues: string | null;
  newValues: string | null;
}

describeEachStore('threat focus area creates and archives on $kind', (store) => {
  let subgraph: TestSubgraph<ThreatFocusAreasContext>;
  let offices: FakeOffices;
  beforeAll(async () => {
    offices = await startFakeOffices(OTHER_OFFICES);
    subgraph = await buildTestSubgraph(threatFocusAreasSubgraph, store, 'test', {
      sectors: offices.url,
      agreements: offices.url,
    });
  });
  afterAll(async () => {
    await subgraph?.close();
    await offices?.close();
  });
  beforeEach(() => {
    offices.down = false;
  });

  const read = async (id: string) => (await subgraph.execute(FOCUS_AREA, { id })).data?.threatFocusArea;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;
  const auditOf = async (id: string | null) => {
    const result = await subgraph.execute(FOCUS_AREA_AUDIT, { id });
    expect(result.errors).toBeUndefined();
    return result.data?.threatFocusAreaAuditLog as { totalCount: number; nodes: FocusAreaAuditNode[] };
  };
  const listed = async (includeArchived: boolean | null) => {
    const result = await subgraph.execute(
      `query ($all: Boolean) { threatFocusAreas(first: 100, filter: { includeArchived: $all }) { nodes { id } } }`,
      { all: includeArchived },
    );
    return (result.data?.threatFocusAreas as { nodes: { id: string }[] }).nodes.map((node) => node.id);
  };
  const focusAreasOfEnergy = async () => {
    const result = await subgraph.execute(
      '{ _entities(representations: [{ __typename: "Sector", id: "energy" }]) { ... on Sector { threatFocusAreas { id } } } }',
    );
    expect(result.errors).toBeUndefined();
    const [energy] = result.data?._entities as { threatFocusAreas: { id: string }[] }[];
    return energy!.threatFocusAreas.map((focusArea) => focusArea.id);
  };

  it('creates a focus area at version 1, its sectors and origin checked with their offices, audited', async () => {
    const result = await subgraph.execute(CREATE_FOCUS_AREA, { input: newFocusArea('maritime-security') });
    expect(result).toEqual({
      data: {
        createThreatFocusArea: {
          id: 'maritime-security',
          name: 'Focus area maritime-security',
          description: 'A focus area added in review.',
          category: 'COUNTER_TERRORISM',
          origin: {
            statement: 'G8 Statement on Counter-Terrorism (July 2005)',
            namedBy: { id: 'g8-counter-terrorism-statement' },
          },
          affectedSectors: [{ id: 'energy' }, { id: 'transportation-systems' }],
          source: { basis: 'STATED_IN_TEXT' },
          version: 1,
          archived: false,
        },
      },
    });
    expect(await read('maritime-security')).toEqual(result.data?.createThreatFocusArea);
    const { nodes } = await auditOf('maritime-security');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ actor: 'anonymous', action: 'create', oldValues: null });
    expect(JSON.parse(nodes[0]!.newValues!)).toMatchObject({
      id: 'maritime-security',
      origin_agreement_id: 'g8-counter-terrorism-statement',
      version: 1,
      archived_at: null,
      affectedSectors: ['energy', 'transportation-systems'],
    });
  });

  it('creates once for the same idempotency key, replaying even when the other offices are down', async () => {
    const input = newFocusArea('pandemic-preparedness', {
      origin: { statement: 'Office review' },
      affectedSectorIds: [],
    });
    const first = await subgraph.execute(CREATE_FOCUS_AREA, { input, key: 'pandemic-1' });
    expect(first.errors).toBeUndefined();
    expect(first.data?.createThreatFocusArea).toMatchObject({ origin: { namedBy: null }, affectedSectors: [] });
    offices.down = true;
    expect(await subgraph.execute(CREATE_FOCUS_AREA, { input, key: 'pandemic-1' })).toEqual(first);
    expect((await auditOf('pandemic-preparedness')).totalCount).toBe(1);
    offices.down = false;
    const reused = await subgraph.execute(CREATE_FOCUS_AREA, { input: newFocusArea('other-area'), key: 'pandemic-1' });
    expect(codeOf(reused)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await read('other-area')).toBeNull();
  });

  it("keeps an idempotency key to its caller: another caller's same key never answers with this caller's focus area", () =>
    expectKeysKeptToTheirCaller(subgraph, {
      mutation: CREATE_FOCUS_AREA,
      field: 'createThreatFocusArea',
      writeScope: 'threats:write',
      inputs: [newFocusArea('space-weather'), newFocusArea('solar-storms')],
      actorsOf: async (id) => (await auditOf(id)).nodes.map((entry) => entry.actor),
    }));

  it.each([
    [newFocusArea('cyber-security'), 'input.id'],
    [newFocusArea('Bad Id'), 'input.id'],
    [newFocusArea('blank-name', { name: '' }), 'input.name'],
    [newFocusArea('blank-origin', { origin: { statement: ' ' } }), 'input.origin.statement'],
    [newFocusArea('bad-agreement-id', { origin: { statement: 'x', namedById: 'G8!' } }), 'input.origin.namedById'],
    [newFocusArea('sector-twice', { affectedSectorIds: ['energy', 'energy'] }), 'input.affectedSectorIds.1'],
    [newFocusArea('placeholder', { source: { ...NEW_SOURCE, basis: 'FICTIONAL_PLACEHOLDER' } }), 'input.source.basis'],
  ])('refuses invalid input %#, naming the field, writing nothing', async (input, field) => {
    const before = await auditOf(null);
    const result = await subgraph.execute(CREATE_FOCUS_AREA, { input });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await auditOf(null)).totalCount).toBe(before.totalCount);
  });

  it.each([
    [
      'a sector the sectors office does not know',
      { affectedSectorIds: ['energy', 'atlantis-grid'] },
      'input.affectedSectorIds.1',
    ],
    ['an archived sector', { affectedSectorIds: ['retired-sector'] }, 'input.affectedSectorIds.0'],
    ['an unknown agreement', { origin: { statement: 'x', namedById: 'no-such-pact' } }, 'input.origin.namedById'],
    ['an archived agreement', { origin: { statement: 'x', namedById: 'archived-pact' } }, 'input.origin.namedById'],
  ])('refuses %s, naming it, and writes nothing', async (_name, links, field) => {
    const result = await subgraph.execute(CREATE_FOCUS_AREA, { input: newFocusArea('refused-area', links) });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('refused-area')).toBeNull();
  });

  it('refuses the create with SUBGRAPH_UNREACHABLE, writing nothing, when the sectors office cannot answer', async () => {
    offices.down = true;
    const result = await subgraph.execute(CREATE_FOCUS_AREA, { input: newFocusArea('offline-area') });
    expect(codeOf(result)).toMatchObject({ code: 'SUBGRAPH_UNREACHABLE' });
    expect(await read('offline-area')).toBeNull();
  });

  it('refuses to link an archived sector to an existing focus area', async () => {
    const result = await subgraph.execute(
      'mutation { addThreatFocusAreaSector(id: "maritime-security", sectorId: "retired-sector", expectedVersion: 1) { version } }',
    );
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
    expect(await read('maritime-security')).toMatchObject({ version: 1 });
  });

  it('archives: still resolved by id and as an entity, left out of every list unless asked for', async () => {
    expect(await focusAreasOfEnergy()).toContain('maritime-security');
    const stale = await subgraph.execute(ARCHIVE_FOCUS_AREA, { id: 'maritime-security', version: 2 });
    expect(codeOf(stale)).toMatchObject({ code: 'CONFLICT', expectedVersion: 2, currentVersion: 1 });
    expect(await read('maritime-security')).toMatchObject({ archived: false, version: 1 });
    const archived = await subgraph.execute(ARCHIVE_FOCUS_AREA, { id: 'maritime-security', version: 1 });
    expect(archived).toEqual({
      data: { archiveThreatFocusArea: { id: 'maritime-security', version: 2, archived: true } },
    });
    const entity = await subgraph.execute(
      '{ _entities(representations: [{ __typename: "ThreatFocusArea", id: "maritime-security" }]) { ... on ThreatFocusArea { id archived } } }',
    );
    expect(entity.data?._entities).toEqual([{ id: 'maritime-security', archived: true }]);
    expect(await listed(null)).not.toContain('maritime-security');
    expect(await listed(true)).toContain('maritime-security');
    expect(await focusAreasOfEnergy()).not.toContain('maritime-security');
    const twice = await subgraph.execute(ARCHIVE_FOCUS_AREA, { id: 'maritime-security', version: 2 });
    expect(codeOf(twice)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await subgraph.execute(ARCHIVE_FOCUS_AREA, { id: 'no-such-area', version: 1 });
    expect(codeOf(unknown)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const { nodes } = await auditOf('maritime-security');
    expect(nodes.map((node) => node.action)).toEqual(['create', 'archive']);
    expect(JSON.parse(nodes[1]!.oldValues!)).toMatchObject({ archived_at: null, version: 1 });
    expect(JSON.parse(nodes[1]!.newValues!).archived_at).not.toBeNull();
  });
});
