import {
  bulkFields,
  buildTestSubgraph,
  describeEachStore,
  type TestSubgraph,
  startFakeOffices,
  type FakeOffices,
  type OtherOfficeRecords,
} from '@cip/testing/subgraphs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ThreatFocusAreasContext } from '../context.js';
import { threatFocusAreasSubgraph } from '../server.js';

const HEADER =
  'id,name,description,category,origin.statement,origin.namedById,affectedSectorIds,source.document,source.section,source.basis';
const row = (id: string, sectors = 'energy', namedBy = '', category = 'CROSS_SECTOR') =>
  `${id},"Focus ${id}","To protect, in review.",${category},Office review (2006),${namedBy},${sectors},Office register,Review,PUBLIC_KNOWLEDGE`;

describeEachStore('threat focus areas bulk import and export on $kind', (store) => {
  let subgraph: TestSubgraph<ThreatFocusAreasContext>;
  let offices: FakeOffices;
  const records: OtherOfficeRecords = { Sector: {}, Agreement: {} };
  beforeAll(async () => {
    offices = await startFakeOffices(records);
    subgraph = await buildTestSubgraph(threatFocusAreasSubgraph, store, 'test', {
      sectors: offices.url,
      agreements: offices.url,
    });
    // The other offices know every record the seeded focus areas name, and a few more.
    const named = await subgraph.db.query<{ sector: string | null; agreement: string | null }>(
      `SELECT s.sector_id AS sector, t.origin_agreement_id AS agreement
       FROM threat_focus_areas.threat_focus_area t
       LEFT JOIN threat_focus_areas.affected_sector s ON s.threat_focus_area_id = t.id`,
    );
    for (const { sector, agreement } of named) {
      if (sector !== null) records.Sector![sector] = { archived: false };
      if (agreement !== null) records.Agreement![agreement] = { archived: false };
    }
    Object.assign(records.Sector!, { energy: { archived: false }, 'retired-sector': { archived: true } });
    Object.assign(records.Agreement!, { 'old-statement': { archived: true } });
  });
  afterAll(async () => {
    await subgraph.close();
    await offices.close();
  });
  beforeEach(() => {
    offices.lookups = 0;
  });

  const { importFile, exportFile } = bulkFields(
    { execute: (query, variables) => subgraph.execute(query, variables) },
    'ThreatFocusAreas',
  );
  /** Every focus area's id, version and sectors, and the number of audit rows: what an import may change. */
  const state = async () => ({
    focusAreas: await subgraph.db.query<{ id: string; version: number }>(
      `SELECT t.id, t.version,
         ARRAY(SELECT s.sector_id FROM threat_focus_areas.affected_sector s
           WHERE s.threat_focus_area_id = t.id ORDER BY 1) AS affected_sector_ids
       FROM threat_focus_areas.threat_focus_area t ORDER BY t.id`,
    ),
    audit: (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM threat_focus_areas.audit_log'))[0]!
      .n,
  });

  it('exports the seeded focus areas and imports the export back unchanged, in both formats', async () => {
    const before = await state();
    for (const format of ['CSV', 'JSON'] as const) {
      const exported = await exportFile(format);
      const report = await importFile(format, exported);
      expect(report).toEqual({
        applied: true,
        dryRun: false,
        rows: before.focusAreas.length,
        created: 0,
        updated: 0,
        unchanged: before.focusAreas.length,
        errors: [],
      });
      expect(await exportFile(format)).toBe(exported);
    }
    expect(await state()).toEqual(before);
    const csv = await exportFile('CSV');
    expect(csv.split('\r\n')[0]).toBe(`${HEADER},version`);
    expect(csv).toContain(',g8-counter-terrorism-statement,');
    // One lookup per office per import, however many rows.
    expect(offices.lookups).toBe(2 * 2);
  });

  it('counts a row listing the same sectors in another order as unchanged: the list is a set', async () => {
    const before = await state();
    const records = JSON.parse(await exportFile('JSON')) as { affectedSectorIds?: string[] }[];
    for (const record of records) record.affectedSectorIds?.reverse();
    expect(await importFile('JSON', JSON.stringify(records))).toMatchObject({
      applied: true,
      updated: 0,
      unchanged: records.length,
      errors: [],
    });
    expect(await state()).toEqual(before);
  });

  it('creates and updates focus areas with their sectors in one go, each change audited under the caller', async () => {
    const exported = await exportFile('JSON');
    const line = exported.split('\n').find((text) => text.startsWith('{"id":"rail-and-metro-security"'))!;
    const changed = JSON.parse(line.replace(/,$/, '')) as Record<string, unknown>;
    changed.affectedSectorIds = ['energy'];
    const content = JSON.stringify([
      changed,
      {
        id: 'grid-resilience',
        name: 'Grid resilience',
        description: 'To keep the power grid running.',
        category: 'CROSS_SECTOR',
        origin: { statement: 'Office review (2006)' },
        affectedSectorIds: ['energy'],
        source: { document: 'Office register', section: 'Review', basis: 'PUBLIC_KNOWLEDGE' },
      },
    ]);
    expect(await importFile('JSON', content)).toMatchObject({ applied: true, created: 1, updated: 1, errors: [] });
    const [updated] = await subgraph.db.query<{ version: number; affected_sector_ids: string[] }>(
      `SELECT version, ARRAY(SELECT s.sector_id FROM threat_focus_areas.affected_sector s
         WHERE s.threat_focus_area_id = t.id ORDER BY 1) AS affected_sector_ids
       FROM threat_focus_areas.threat_focus_area t WHERE id = 'rail-and-metro-security'`,
    );
    expect(updated).toEqual({ version: 2, affected_sector_ids: ['energy'] });
    const read = await subgraph.execute(
      '{ threatFocusArea(id: "grid-resilience") { version archived origin { statement namedBy { id } } affectedSectors { id } } }',
    );
    expect(read.data?.threatFocusArea).toEqual({
      version: 1,
      archived: false,
      origin: { statement: 'Office review (2006)', namedBy: null },
      affectedSectors: [{ id: 'energy' }],
    });
    const audit = await subgraph.execute(
      '{ threatFocusAreaAuditLog(first: 100) { nodes { actor action threatFocusAreaId } } }',
    );
    const nodes = (
      audit.data?.threatFocusAreaAuditLog as { nodes: { action: string; threatFocusAreaId: string; actor: string }[] }
    ).nodes;
    expect(nodes.slice(-2).map(({ action, threatFocusAreaId, actor }) => [action, threatFocusAreaId, actor])).toEqual([
      ['update', 'rail-and-metro-security', 'anonymous'],
      ['create', 'grid-resilience', 'anonymous'],
    ]);
    const stale = await importFile('JSON', content);
    expect(stale.errors.map(({ row, field, code }) => [row, field, code])).toEqual([[1, 'version', 'CONFLICT']]);
  });

  it('names every bad row, unknown sectors and agreements included, and changes nothing', async () => {
    const before = await state();
    const report = await importFile(
      'CSV',
      [
        HEADER,
        row('good-area'),
        row('Bad-Id'),
        row('unknown-sector', 'energy;no-such-sector'),
        row('archived-sector', 'retired-sector'),
        row('unknown-agreement', 'energy', 'no-such-agreement'),
        row('archived-agreement', 'energy', 'old-statement'),
        row('bad-category', 'energy', '', 'WEATHER'),
        row('good-area'),
      ].join('\r\n'),
    );
    expect(report.applied).toBe(false);
    expect(report.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [2, 'id', 'INVALID_VALUE'],
      [3, 'affectedSectorIds', 'UNKNOWN_REFERENCE'],
      [4, 'affectedSectorIds', 'INVALID_VALUE'],
      [5, 'origin.namedById', 'UNKNOWN_REFERENCE'],
      [6, 'origin.namedById', 'INVALID_VALUE'],
      [7, 'category', 'INVALID_VALUE'],
      [8, 'id', 'DUPLICATE_ID'],
    ]);
    expect(report.errors.find((error) => error.row === 3)?.message).toBe('no Sector has the id no-such-sector');
    expect(report.errors.find((error) => error.row === 4)?.message).toBe(
      'sector retired-sector is archived: it cannot be linked',
    );
    expect(offices.lookups).toBe(2);
    expect(await state()).toEqual(before);
  });

  it('checks and counts on a dry run without writing', async () => {
    const before = await state();
    const report = await importFile('CSV', [HEADER, row('first-area'), row('second-area')].join('\n'), true);
    expect(report).toEqual({ applied: false, dryRun: true, rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    expect(await state()).toEqual(before);
  });

  it('declares both fields behind the office scopes, so the gateway enforces them', () => {
    const sdl = threatFocusAreasSubgraph.typeDefs.loc!.source.body;
    expect(sdl).toMatch(
      /importThreatFocusAreas\([^)]*\): BulkImportReport! @requiresScopes\(scopes: \[\["threats:write"\]\]\)/,
    );
    expect(sdl).toMatch(
      /exportThreatFocusAreas\([^)]*\): String!\s+@requiresScopes\(scopes: \[\["threats:write"\], \["threats:audit"\]\]\)/,
    );
  });
});
