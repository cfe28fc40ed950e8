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
import type { AgreementsContext } from '../context.js';
import { agreementsSubgraph } from '../server.js';

const HEADER =
  'id,title,shortTitle,kind,scope,signed.year,signed.month,purpose,partyIds,threatFocusAreaIds,sectorIds,source.document,source.section,source.basis';
const row = (
  id: string,
  cells: Partial<Record<'kind' | 'scope' | 'year' | 'month' | 'parties' | 'areas' | 'sectors', string>> = {},
) =>
  [
    id,
    `Agreement ${id}`,
    '',
    cells.kind ?? 'DECLARATION',
    cells.scope ?? 'BILATERAL',
    cells.year ?? '2006',
    cells.month ?? '',
    '"To cooperate, on cross-border critical infrastructure."',
    cells.parties ?? 'united-states;canada',
    cells.areas ?? 'cyber-security',
    cells.sectors ?? 'energy',
    'Office register',
    'Agreements added in review',
    'PUBLIC_KNOWLEDGE',
  ].join(',');

describeEachStore('agreements bulk import and export on $kind', (store) => {
  let subgraph: TestSubgraph<AgreementsContext>;
  let offices: FakeOffices;
  const records: OtherOfficeRecords = { Partner: {}, ThreatFocusArea: {}, Sector: {} };
  beforeAll(async () => {
    offices = await startFakeOffices(records);
    subgraph = await buildTestSubgraph(agreementsSubgraph, store, 'test', {
      partners: offices.url,
      'threat-focus-areas': offices.url,
      sectors: offices.url,
    });
    // The other offices know every record the seeded agreements link, and a few more.
    const linked = async (table: string, column: string) =>
      (await subgraph.db.query<{ id: string }>(`SELECT DISTINCT ${column} AS id FROM agreements.${table}`)).map(
        (link) => link.id,
      );
    for (const id of await linked('agreement_party', 'partner_id')) {
      records.Partner![id] = { archived: false, homeParty: id === 'united-states' };
    }
    for (const id of await linked('agreement_threat_focus_area', 'threat_focus_area_id')) {
      records.ThreatFocusArea![id] = { archived: false };
    }
    for (const id of await linked('agreement_sector', 'sector_id')) records.Sector![id] = { archived: false };
    Object.assign(records.Partner!, { japan: { archived: true, homeParty: false }, canada: { archived: false } });
    Object.assign(records.ThreatFocusArea!, { 'cyber-security': { archived: false } });
    Object.assign(records.Sector!, { energy: { archived: false }, 'retired-sector': { archived: true } });
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
    'Agreements',
  );
  /** Every agreement's id, version and links, and the number of audit rows: what an import may change. */
  const state = async () => ({
    agreements: await subgraph.db.query<{ id: string; version: number }>(
      `SELECT a.id, a.version,
         ARRAY(SELECT p.partner_id FROM agreements.agreement_party p WHERE p.agreement_id = a.id ORDER BY 1) AS parties,
         ARRAY(SELECT t.threat_focus_area_id FROM agreements.agreement_threat_focus_area t
           WHERE t.agreement_id = a.id ORDER BY 1) AS focus_areas,
         ARRAY(SELECT s.sector_id FROM agreements.agreement_sector s WHERE s.agreement_id = a.id ORDER BY 1) AS sectors
       FROM agreements.agreement a ORDER BY a.id`,
    ),
    audit: (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM agreements.audit_log'))[0]!.n,
  });

  it('exports the seeded agreements with their links and imports the export back unchanged, in both formats', async () => {
    const before = await state();
    for (const format of ['CSV', 'JSON'] as const) {
      const exported = await exportFile(format);
      const report = await importFile(format, exported);
      expect(report).toEqual({
        applied: true,
        dryRun: false,
        rows: before.agreements.length,
        created: 0,
        updated: 0,
        unchanged: before.agreements.length,
        errors: [],
      });
      expect(await exportFile(format)).toBe(exported);
    }
    expect(await state()).toEqual(before);
    const csv = await exportFile('CSV');
    expect(csv.split('\r\n')[0]).toBe(`${HEADER},version`);
    expect(csv).toMatch(/\r\nsecurity-and-prosperity-partnership,.*,canada;mexico;united-states,/);
    // One lookup per office per import, however many rows.
    expect(offices.lookups).toBe(2 * 3);
  });

  it('counts a row listing the same links in another order as unchanged: each list is a set', async () => {
    const before = await state();
    const records = JSON.parse(await exportFile('JSON')) as { partyIds: string[]; threatFocusAreaIds: string[] }[];
    for (const record of records) {
      record.partyIds.reverse();
      record.threatFocusAreaIds.reverse();
    }
    expect(await importFile('JSON', JSON.stringify(records))).toMatchObject({
      applied: true,
      updated: 0,
      unchanged: records.length,
      errors: [],
    });
    expect(await state()).toEqual(before);
  });

  it('creates and updates agreements with their links in one go, each change audited under the caller', async () => {
    const exported = await exportFile('JSON');
    const line = exported.split('\n').find((text) => text.startsWith('{"id":"smart-border-declaration"'))!;
    const changed = JSON.parse(line.replace(/,$/, '')) as Record<string, unknown>;
    changed.shortTitle = 'SBD';
    changed.sectorIds = ['energy'];
    const content = JSON.stringify([
      changed,
      {
        id: 'pacific-cyber-declaration',
        title: 'Pacific Cyber Declaration',
        kind: 'DECLARATION',
        scope: 'MULTILATERAL',
        signed: { year: 2006, month: 3 },
        purpose: 'To cooperate on cyber security.',
        partyIds: ['united-states', 'canada', 'mexico'],
        threatFocusAreaIds: ['cyber-security'],
        source: { document: 'Office register', section: 'Review', basis: 'PUBLIC_KNOWLEDGE' },
      },
    ]);
    expect(await importFile('JSON', content)).toMatchObject({ applied: true, created: 1, updated: 1, errors: [] });
    const read = await subgraph.execute(`{
      old: agreement(id: "smart-border-declaration") { shortTitle version sectors { id } }
      new: agreement(id: "pacific-cyber-declaration") {
        version signed { text } parties { id } threatFocusAreas { id } sectors { id } } }`);
    expect(read.data).toEqual({
      old: { shortTitle: 'SBD', version: 2, sectors: [{ id: 'energy' }] },
      new: {
        version: 1,
        signed: { text: 'March 2006' },
        parties: [{ id: 'canada' }, { id: 'mexico' }, { id: 'united-states' }],
        threatFocusAreas: [{ id: 'cyber-security' }],
        sectors: [],
      },
    });
    const audit = await subgraph.execute(
      '{ agreementAuditLog(first: 100) { nodes { actor action agreementId oldValues newValues } } }',
    );
    const nodes = (
      audit.data?.agreementAuditLog as {
        nodes: { action: string; agreementId: string; actor: string; oldValues: string; newValues: string }[];
      }
    ).nodes;
    expect(nodes.slice(-2).map(({ action, agreementId, actor }) => [action, agreementId, actor])).toEqual([
      ['update', 'smart-border-declaration', 'anonymous'],
      ['create', 'pacific-cyber-declaration', 'anonymous'],
    ]);
    // The lists are audited under their field names, as the store holds them (sets of ids: sorted).
    expect(JSON.parse(nodes.at(-2)!.oldValues)).toMatchObject({
      short_title: null,
      version: 1,
      partyIds: ['canada', 'united-states'],
      sectorIds: [],
    });
    expect(JSON.parse(nodes.at(-2)!.newValues)).toMatchObject({
      short_title: 'SBD',
      version: 2,
      sectorIds: ['energy'],
    });
    expect(JSON.parse(nodes.at(-1)!.newValues)).toMatchObject({
      partyIds: ['canada', 'mexico', 'united-states'],
      threatFocusAreaIds: ['cyber-security'],
      sectorIds: [],
    });
    // The same file again: the first row names version 1, and the agreement is at 2 now.
    const stale = await importFile('JSON', content);
    expect(stale.errors.map(({ row, field, code }) => [row, field, code])).toEqual([[1, 'version', 'CONFLICT']]);
  });

  it('names every bad row, unknown records of other offices included, and changes nothing', async () => {
    const before = await state();
    const report = await importFile(
      'CSV',
      [
        HEADER,
        row('good-declaration'),
        row('Bad-Id'),
        row('unknown-party', { parties: 'united-states;atlantis' }),
        row('no-home-party', { parties: 'canada;mexico' }),
        row('too-many-parties', { parties: 'united-states;canada;mexico' }),
        row('archived-party', { scope: 'MULTILATERAL', parties: 'united-states;japan' }),
        row('unknown-area-and-sector', { areas: 'no-such-area', sectors: 'energy;no-such-sector' }),
        row('archived-sector', { sectors: 'retired-sector' }),
        row('month-without-year', { year: '', month: '7' }),
        row('good-declaration', { kind: 'TREATY' }),
      ].join('\r\n'),
    );
    expect(report.applied).toBe(false);
    expect(report.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [2, 'id', 'INVALID_VALUE'],
      [3, 'partyIds', 'UNKNOWN_REFERENCE'],
      [4, 'partyIds', 'INVALID_VALUE'],
      [5, 'partyIds', 'INVALID_VALUE'],
      [6, 'partyIds', 'INVALID_VALUE'],
      [7, 'threatFocusAreaIds', 'UNKNOWN_REFERENCE'],
      [7, 'sectorIds', 'UNKNOWN_REFERENCE'],
      [8, 'sectorIds', 'INVALID_VALUE'],
      [9, 'signed.month', 'INVALID_VALUE'],
      [10, 'kind', 'INVALID_VALUE'],
      [10, 'id', 'DUPLICATE_ID'],
    ]);
    const messages = Object.fromEntries(report.errors.map((error) => [error.row, error.message]));
    expect(messages[3]).toBe('no Partner has the id atlantis');
    expect(messages[4]).toBe('the home party (the United States) is a party to every agreement');
    expect(messages[5]).toBe('a bilateral agreement binds at most 2 parties');
    expect(messages[6]).toBe('partner japan is archived: it cannot be linked');
    expect(offices.lookups).toBe(3);
    expect(report.created).toBe(1);
    expect(await state()).toEqual(before);
  });

  it('checks and counts on a dry run without writing', async () => {
    const before = await state();
    const report = await importFile(
      'CSV',
      [HEADER, row('first-declaration'), row('second-declaration')].join('\n'),
      true,
    );
    expect(report).toEqual({ applied: false, dryRun: true, rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    expect(await state()).toEqual(before);
  });

  it('declares both fields behind the office scopes, so the gateway enforces them', () => {
    const sdl = agreementsSubgraph.typeDefs.loc!.source.body;
    expect(sdl).toMatch(
      /importAgreements\([^)]*\): BulkImportReport! @requiresScopes\(scopes: \[\["agreements:write"\]\]\)/,
    );
    expect(sdl).toMatch(
      /exportAgreements\([^)]*\): String!\s+@requiresScopes\(scopes: \[\["agreements:write"\], \["agreements:audit"\]\]\)/,
    );
  });
});
