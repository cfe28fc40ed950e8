import { bulkFields, buildTestSubgraph, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SectorsContext } from '../context.js';
import { sectorsSubgraph } from '../server.js';

const HEADER = 'id,name,agencies,source.document,source.section,source.basis';
const row = (id: string, agencies = 'DHS', basis = 'PUBLIC_KNOWLEDGE') =>
  `${id},"Sector ${id}",${agencies},Office register,"Sectors, added in review",${basis}`;

describeEachStore('sectors bulk import and export on $kind', (store) => {
  let subgraph: TestSubgraph<SectorsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(sectorsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const { importFile, exportFile } = bulkFields(
    { execute: (query, variables) => subgraph.execute(query, variables) },
    'Sectors',
  );
  /** Every sector's id, version and agencies, the dependencies, and the number of audit rows: what an import may change. */
  const state = async () => ({
    sectors: await subgraph.db.query<{ id: string; version: number }>(
      `SELECT s.id, s.version,
         ARRAY(SELECT a.abbreviation || coalesce(' (' || a.scope || ')', '') FROM sectors.sector_agency a
           WHERE a.sector_id = s.id ORDER BY a.position) AS agencies
       FROM sectors.sector s ORDER BY s.id`,
    ),
    dependencies: (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sectors.dependency'))[0]!.n,
    audit: (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sectors.audit_log'))[0]!.n,
  });

  it('exports the seeded sectors with their agencies and imports the export back unchanged, in both formats', async () => {
    const before = await state();
    for (const format of ['CSV', 'JSON'] as const) {
      const exported = await exportFile(format);
      const report = await importFile(format, exported);
      expect(report).toEqual({
        applied: true,
        dryRun: false,
        rows: before.sectors.length,
        created: 0,
        updated: 0,
        unchanged: before.sectors.length,
        errors: [],
      });
      expect(await exportFile(format)).toBe(exported);
    }
    expect(await state()).toEqual(before);
    const csv = await exportFile('CSV');
    expect(csv.split('\r\n')[0]).toBe(`${HEADER},version`);
    expect(csv).toMatch(/\r\ntransportation-systems,Transportation Systems,DHS;USCG \(maritime\),/);
  });

  it("counts agencies listed in another order as a change: the order is the plan's", async () => {
    const exported = await exportFile('CSV');
    const reordered = exported.replace('DHS;USCG (maritime)', 'USCG (maritime);DHS');
    expect(reordered).not.toBe(exported);
    expect(await importFile('CSV', reordered)).toMatchObject({ applied: true, updated: 1, errors: [] });
    const csv = await exportFile('CSV');
    expect(csv).toMatch(/\r\ntransportation-systems,Transportation Systems,USCG \(maritime\);DHS,.*,2\r\n/);
    const read = await subgraph.execute('{ sector(id: "transportation-systems") { agencies { abbreviation } } }');
    expect(read.data?.sector).toEqual({ agencies: [{ abbreviation: 'USCG' }, { abbreviation: 'DHS' }] });
  });

  it('creates and updates sectors with their agencies in one go, each change audited under the caller', async () => {
    const content = JSON.stringify([
      {
        id: 'energy',
        name: 'Energy',
        agencies: ['DOE', 'DHS (pipelines)'],
        source: {
          document: 'National Infrastructure Protection Plan (2006)',
          section: 'The 17 CI/KR sectors and their sector-specific agencies',
          basis: 'PUBLIC_KNOWLEDGE',
        },
        version: 1,
      },
      {
        id: 'space',
        name: 'Space',
        agencies: ['DoD', 'DHS'],
        source: { document: 'Office register', section: 'Review', basis: 'PUBLIC_KNOWLEDGE' },
      },
    ]);
    expect(await importFile('JSON', content)).toMatchObject({ applied: true, created: 1, updated: 1, errors: [] });
    const read = await subgraph.execute(`{
      energy: sector(id: "energy") { version agencies { abbreviation scope } dependsOn { sector { id } } }
      space: sector(id: "space") { version archived agencies { abbreviation scope } } }`);
    expect(read.data).toMatchObject({
      energy: {
        version: 2,
        agencies: [
          { abbreviation: 'DOE', scope: null },
          { abbreviation: 'DHS', scope: 'pipelines' },
        ],
      },
      space: {
        version: 1,
        archived: false,
        agencies: [
          { abbreviation: 'DoD', scope: null },
          { abbreviation: 'DHS', scope: null },
        ],
      },
    });
    // Dependencies are not in the file: the import left energy's alone.
    expect((read.data?.energy as { dependsOn: unknown[] }).dependsOn.length).toBeGreaterThan(0);
    const audit = await subgraph.execute(
      '{ sectorAuditLog(first: 100) { nodes { actor action sectorId newValues } } }',
    );
    const nodes = (
      audit.data?.sectorAuditLog as { nodes: { action: string; sectorId: string; actor: string; newValues: string }[] }
    ).nodes;
    expect(nodes.slice(-2).map(({ action, sectorId, actor }) => [action, sectorId, actor])).toEqual([
      ['update', 'energy', 'anonymous'],
      ['create', 'space', 'anonymous'],
    ]);
    expect(JSON.parse(nodes.at(-2)!.newValues)).toMatchObject({ agencies: ['DOE', 'DHS (pipelines)'], version: 2 });
    const stale = await importFile('JSON', content);
    expect(stale.errors.map(({ row, field, code }) => [row, field, code])).toEqual([[1, 'version', 'CONFLICT']]);
  });

  it('names every bad row and changes nothing: no sector, no agency, no version, no audit row', async () => {
    const before = await state();
    const report = await importFile(
      'CSV',
      [
        HEADER,
        row('ports'),
        row('Bad-Id'),
        row('fictional', 'DHS', 'FICTIONAL_PLACEHOLDER'),
        row('unknown-agency', 'DHS;NASA'),
        row('agency-twice', 'DHS;DHS (ports)'),
        row('no-agency', ''),
        row('broken-scope', '"DHS (ports"'),
        row('ports', 'DOE'),
      ].join('\r\n'),
    );
    expect(report.applied).toBe(false);
    expect(report.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [2, 'id', 'INVALID_VALUE'],
      [3, 'source.basis', 'INVALID_VALUE'],
      [4, 'agencies', 'UNKNOWN_REFERENCE'],
      [5, 'agencies', 'INVALID_VALUE'],
      [6, 'agencies', 'REQUIRED'],
      [7, 'agencies', 'INVALID_VALUE'],
      [8, 'id', 'DUPLICATE_ID'],
    ]);
    expect(report.errors.find((error) => error.row === 4)?.message).toBe('no agency has the id NASA');
    expect(report.errors.find((error) => error.row === 5)?.message).toBe('DHS is named twice');
    expect(report.created).toBe(1);
    expect(await state()).toEqual(before);
  });

  it('checks and counts on a dry run without writing', async () => {
    const before = await state();
    const report = await importFile('CSV', [HEADER, row('ports'), row('space-systems', 'DoD')].join('\n'), true);
    expect(report).toEqual({ applied: false, dryRun: true, rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    expect(await state()).toEqual(before);
  });

  it('declares both fields behind the office scopes, so the gateway enforces them', () => {
    const sdl = sectorsSubgraph.typeDefs.loc!.source.body;
    expect(sdl).toMatch(/importSectors\([^)]*\): BulkImportReport! @requiresScopes\(scopes: \[\["sectors:write"\]\]\)/);
    expect(sdl).toMatch(
      /exportSectors\([^)]*\): String!\s+@requiresScopes\(scopes: \[\["sectors:write"\], \["sectors:audit"\]\]\)/,
    );
  });
});
