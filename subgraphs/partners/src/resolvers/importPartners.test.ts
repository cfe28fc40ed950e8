import { bulkFields, buildTestSubgraph, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PartnersContext } from '../context.js';
import { partnersSubgraph } from '../server.js';

const HEADER =
  'id,name,shortName,kind,region,sharesLandBorderWithUnitedStates,source.document,source.section,source.basis';
const row = (id: string, name: string, basis = 'PUBLIC_KNOWLEDGE') =>
  `${id},"${name}",${id.toUpperCase()},COUNTRY,Oceania,false,Office register,"Partners, added in review",${basis}`;

describeEachStore('partners bulk import and export on $kind', (store) => {
  let subgraph: TestSubgraph<PartnersContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(partnersSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const { importFile, exportFile } = bulkFields(
    { execute: (query, variables) => subgraph.execute(query, variables) },
    'Partners',
  );
  /** Every partner's id and version, and the number of audit rows: what an import may change. */
  const state = async () => ({
    partners: await subgraph.db.query<{ id: string; version: number }>(
      'SELECT id, version FROM partners.partner ORDER BY id',
    ),
    audit: (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM partners.audit_log'))[0]!.n,
  });

  it('exports the seeded partners and imports the export back unchanged, in both formats', async () => {
    const before = await state();
    for (const format of ['CSV', 'JSON'] as const) {
      const exported = await exportFile(format);
      const report = await importFile(format, exported);
      expect(report).toEqual({
        applied: true,
        dryRun: false,
        rows: before.partners.length,
        created: 0,
        updated: 0,
        unchanged: before.partners.length,
        errors: [],
      });
      expect(await exportFile(format)).toBe(exported);
    }
    expect(await state()).toEqual(before);
    const csv = await exportFile('CSV');
    expect(csv.split('\r\n')[0]).toBe(`${HEADER},version`);
    expect(csv).toContain('canada,Canada,Canada,COUNTRY,North America,true,');
  });

  it('creates and updates partners in one go, each change audited under the caller', async () => {
    const exported = await exportFile('JSON');
    const canada = exported.split('\n').find((line) => line.startsWith('{"id":"canada"'))!;
    const renamed = JSON.parse(canada.replace(/,$/, '')) as Record<string, unknown>;
    renamed.shortName = 'CA';
    const content = JSON.stringify([
      renamed,
      {
        id: 'kiribati',
        name: 'Kiribati',
        shortName: 'Kiribati',
        kind: 'COUNTRY',
        region: 'Oceania',
        source: { document: 'Office register', section: 'Review', basis: 'PUBLIC_KNOWLEDGE' },
      },
    ]);
    expect(await importFile('JSON', content)).toMatchObject({ applied: true, created: 1, updated: 1, errors: [] });
    const read = await subgraph.execute(
      '{ canada: partner(id: "canada") { shortName version } kiribati: partner(id: "kiribati") { version archived sharesLandBorderWithUnitedStates } }',
    );
    expect(read.data).toEqual({
      canada: { shortName: 'CA', version: 2 },
      kiribati: { version: 1, archived: false, sharesLandBorderWithUnitedStates: false },
    });
    const audit = await subgraph.execute(
      '{ partnerAuditLog(first: 100) { nodes { actor action partnerId oldValues newValues } } }',
    );
    const nodes = (audit.data?.partnerAuditLog as { nodes: { action: string; partnerId: string; actor: string }[] })
      .nodes;
    expect(nodes.slice(-2).map(({ action, partnerId, actor }) => [action, partnerId, actor])).toEqual([
      ['update', 'canada', 'anonymous'],
      ['create', 'kiribati', 'anonymous'],
    ]);
    // The same file again: canada's row names version 1, and canada is at 2 now.
    const stale = await importFile('JSON', content);
    expect(stale.errors.map(({ row, field, code }) => [row, field, code])).toEqual([[1, 'version', 'CONFLICT']]);
  });

  it('names every bad row and changes nothing: no partner, no version, no audit row', async () => {
    const before = await state();
    const report = await importFile(
      'CSV',
      [
        HEADER,
        row('nauru', 'Nauru'),
        row('Palau', 'Palau'),
        row('tonga', 'Tonga', 'FICTIONAL_PLACEHOLDER'),
        row('nauru', 'Nauru again'),
        `vanuatu,Vanuatu,VU,ISLAND,Oceania,maybe,Register,Review,STATED_IN_TEXT`,
      ].join('\r\n'),
    );
    expect(report.applied).toBe(false);
    expect(report.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [2, 'id', 'INVALID_VALUE'],
      [3, 'source.basis', 'INVALID_VALUE'],
      [4, 'id', 'DUPLICATE_ID'],
      [5, 'kind', 'INVALID_VALUE'],
      [5, 'sharesLandBorderWithUnitedStates', 'INVALID_TYPE'],
    ]);
    expect(await state()).toEqual(before);
  });

  it('checks and counts on a dry run without writing', async () => {
    const before = await state();
    const report = await importFile('CSV', [HEADER, row('nauru', 'Nauru'), row('palau', 'Palau')].join('\n'), true);
    expect(report).toEqual({ applied: false, dryRun: true, rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    expect(await state()).toEqual(before);
  });

  it('declares both fields behind the office scopes, so the gateway enforces them', () => {
    const sdl = partnersSubgraph.typeDefs.loc!.source.body;
    expect(sdl).toMatch(
      /importPartners\([^)]*\): BulkImportReport! @requiresScopes\(scopes: \[\["partners:write"\]\]\)/,
    );
    expect(sdl).toMatch(
      /exportPartners\([^)]*\): String!\s+@requiresScopes\(scopes: \[\["partners:write"\], \["partners:audit"\]\]\)/,
    );
  });
});
