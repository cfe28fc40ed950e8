import { migrateSubgraph, type Database } from '@cip/subgraph-kit';
import { countStatements, describeEachStore } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgreementFilter } from '../__generated__/resolvers-types.js';
import { agreementsSubgraph } from '../server.js';
import { agreementFilterSql, createAgreementsStore } from './agreements.js';

// The agreement list's query before filters were built per request: every filter written as
// `($n IS NULL OR ...)`. Kept here as the reference the built query must agree with.
const REFERENCE_SQL = `SELECT a.id FROM agreements.agreement a
  WHERE ($1::text IS NULL OR EXISTS (
      SELECT 1 FROM agreements.agreement_party p WHERE p.agreement_id = a.id AND p.partner_id = $1))
    AND ($2::text[] IS NULL OR EXISTS (
      SELECT 1 FROM agreements.agreement_party p WHERE p.agreement_id = a.id AND p.partner_id = ANY($2::text[])))
    AND ($3::text IS NULL OR EXISTS (
      SELECT 1 FROM agreements.agreement_threat_focus_area f
      WHERE f.agreement_id = a.id AND f.threat_focus_area_id = $3))
    AND ($4::text IS NULL OR EXISTS (
      SELECT 1 FROM agreements.agreement_sector s WHERE s.agreement_id = a.id AND s.sector_id = $4))
    AND ($5::text IS NULL OR a.kind = $5)
    AND ($6::text IS NULL OR a.scope = $6)
    AND ($7::int IS NULL OR a.signed_year >= $7)
    AND ($8::boolean IS TRUE OR a.archived_at IS NULL)
  ORDER BY a.id COLLATE "C"`;

function referenceParams(filter: AgreementFilter): unknown[] {
  return [
    filter.partyId ?? null,
    filter.partyIdsAny ?? null,
    filter.threatFocusAreaId ?? null,
    filter.sectorId ?? null,
    filter.kind ?? null,
    filter.scope ?? null,
    filter.signedOnOrAfterYear ?? null,
    filter.includeArchived ?? null,
  ];
}

// 300 generated agreements beside the seed, every choice a function of the row number: some
// undated, one to three parties, one or two focus areas, no sector or one, every ninth archived.
const GENERATED_AGREEMENTS = `
  INSERT INTO agreements.agreement (id, title, kind, scope, signed_year, signed_month, purpose,
                                    source_document, source_section, source_basis)
  SELECT 't-' || lpad(i::text, 3, '0'), 'Test agreement ' || i,
         (ARRAY['DECLARATION', 'PARTNERSHIP', 'CONTACT_GROUP', 'STATEMENT', 'COMMITTEE'])[1 + i % 5],
         (ARRAY['BILATERAL', 'TRILATERAL', 'MULTILATERAL'])[1 + i % 3],
         CASE WHEN i % 7 = 0 THEN NULL ELSE 1980 + i % 40 END, NULL,
         'Generated for the filter tests.', 'Test data', 'Generated', 'PUBLIC_KNOWLEDGE'
  FROM generate_series(1, 300) AS i;
  INSERT INTO agreements.agreement_party (agreement_id, partner_id)
  SELECT 't-' || lpad(i::text, 3, '0'), 'united-states' FROM generate_series(1, 300) AS i
  UNION SELECT 't-' || lpad(i::text, 3, '0'), 'p-' || i % 11 FROM generate_series(1, 300) AS i
  UNION SELECT 't-' || lpad(i::text, 3, '0'), 'p-' || (20 + i % 7) FROM generate_series(2, 300, 2) AS i;
  INSERT INTO agreements.agreement_threat_focus_area (agreement_id, threat_focus_area_id)
  SELECT 't-' || lpad(i::text, 3, '0'), 'f-' || i % 4 FROM generate_series(1, 300) AS i
  UNION SELECT 't-' || lpad(i::text, 3, '0'), 'f-' || (10 + i % 5) FROM generate_series(3, 300, 3) AS i;
  INSERT INTO agreements.agreement_sector (agreement_id, sector_id)
  SELECT 't-' || lpad(i::text, 3, '0'), 'sec-' || i % 6 FROM generate_series(1, 300) AS i WHERE i % 4 <> 0;
  UPDATE agreements.agreement SET archived_at = now() WHERE id LIKE 't-%' AND substr(id, 3)::int % 9 = 0;`;

// Values tried for each filter: ones matching many agreements, few, seeded ones, and none.
const FILTER_VALUES: { [Name in keyof AgreementFilter]-?: NonNullable<AgreementFilter[Name]>[] } = {
  partyId: ['p-3', 'canada', 'united-states', 'nobody'],
  partyIdsAny: [['p-3', 'p-21'], ['canada', 'united-kingdom'], [], ['p-0', 'p-1', 'p-2', 'mexico']],
  threatFocusAreaId: ['f-1', 'cross-border-ci-kr', 'f-12', 'none'],
  sectorId: ['sec-2', 'transportation-systems', 'sec-5'],
  kind: ['DECLARATION', 'COMMITTEE', 'STATEMENT'],
  scope: ['BILATERAL', 'MULTILATERAL', 'TRILATERAL'],
  signedOnOrAfterYear: [2005, 1900, 2019, 2100],
  includeArchived: [true, false],
};
const FILTER_NAMES = Object.keys(FILTER_VALUES) as (keyof AgreementFilter)[];

/** Each filter alone with each of its values, then every combination of filters (128), values varied. */
function filtersToTry(): AgreementFilter[] {
  const filters: AgreementFilter[] = [{}];
  for (const name of FILTER_NAMES) for (const value of FILTER_VALUES[name]) filters.push({ [name]: value });
  for (let mask = 1; mask < 1 << FILTER_NAMES.length; mask++) {
    const filter: Record<string, unknown> = {};
    FILTER_NAMES.forEach((name, position) => {
      const values = FILTER_VALUES[name];
      if (mask & (1 << position)) filter[name] = values[(mask + position) % values.length];
    });
    filters.push(filter);
  }
  return filters;
}

describe('agreementFilterSql', () => {
  it('leaves only archived agreements out when no filter is given, and nothing with includeArchived', () => {
    const inUse = {
      where: ['a.archived_at IS NULL'],
      params: [],
      totalSql: 'SELECT COALESCE(sum(c.total), 0)::int AS total FROM agreements.agreement_year_count c',
    };
    expect(agreementFilterSql(undefined)).toEqual(inUse);
    expect(agreementFilterSql(null)).toEqual(inUse);
    expect(agreementFilterSql({ partyId: null, kind: null, includeArchived: false })).toEqual(inUse);
    expect(agreementFilterSql({ includeArchived: true })).toEqual({ where: [], params: [] });
  });

  it('numbers the placeholders of the filters given from $1, in order, and passes their values', () => {
    const { where, params } = agreementFilterSql({ sectorId: 'energy', partyId: "x' OR '1'='1", scope: 'BILATERAL' });
    const sql = where.join(' AND ');
    expect(params).toEqual(["x' OR '1'='1", 'energy', 'BILATERAL']);
    expect(sql).toContain('partner_id = $1::text');
    expect(sql).toContain('sector_id = $2::text');
    expect(sql).toContain('a.scope = $3::text');
    expect(sql).not.toContain('$4');
    expect(sql).not.toContain("'1'='1");
  });

  it('counts a list filtered by one link or one year alone from the kept counts, any other over its rows', () => {
    expect(agreementFilterSql({ threatFocusAreaId: 'cyber-security' }).totalSql).toContain(
      "c.link = 'threat_focus_area' AND c.record_id = $1::text",
    );
    expect(agreementFilterSql({ threatFocusAreaId: 'cyber-security', kind: 'STATEMENT' }).totalSql).toBeUndefined();
    expect(agreementFilterSql({ signedOnOrAfterYear: 2000 }).totalSql).toContain('agreement_year_count');
    expect(agreementFilterSql({ kind: 'STATEMENT' }).totalSql).toBeUndefined();
  });
});

describeEachStore('listAgreements on $kind', (store) => {
  let db: Database;
  beforeAll(async () => {
    db = await store.open();
    await migrateSubgraph(agreementsSubgraph, db);
    await db.exec(GENERATED_AGREEMENTS);
  });
  afterAll(() => db.close());

  /** Every id the list gives for a filter, page by page, and the total it reports. */
  async function listAll(filter: AgreementFilter) {
    const store = createAgreementsStore(db);
    const ids: string[] = [];
    let afterKey: string | null = null;
    for (;;) {
      const connection = await store.listAgreements(filter, { size: 100, afterKey });
      ids.push(...connection.nodes.map((node) => node.id));
      if (!connection.pageInfo.hasNextPage) return { ids, totalCount: connection.totalCount };
      afterKey = ids.at(-1)!;
    }
  }

  it('gives the same agreements as the former query for every filter alone and in combination', async () => {
    const filters = filtersToTry();
    let nonEmpty = 0;
    for (const filter of filters) {
      const expected = (await db.query<{ id: string }>(REFERENCE_SQL, referenceParams(filter))).map((row) => row.id);
      const { ids, totalCount } = await listAll(filter);
      expect({ filter, ids, totalCount }).toEqual({ filter, ids: expected, totalCount: expected.length });
      // A query that asks only for the count gets it from its own statement (a link's index for one link filter).
      const countOnly = { size: 10, afterKey: null, parts: { totalCount: true, rows: false } };
      const counted = await createAgreementsStore(db).listAgreements(filter, countOnly);
      expect({ filter, totalCount: counted.totalCount }).toEqual({ filter, totalCount: expected.length });
      if (expected.length > 0) nonEmpty++;
    }
    // The comparison means something only if many filters match something.
    expect(filters.length).toBe(1 + 27 + 255);
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it("gives each linked record's agreements in use, page by page, and their count, archived ones left out", async () => {
    const cases = [
      {
        loader: 'agreementsOfParty',
        table: 'agreement_party',
        column: 'partner_id',
        ids: ['p-3', 'p-21', 'canada', 'nobody'],
      },
      {
        loader: 'agreementsOfFocusArea',
        table: 'agreement_threat_focus_area',
        column: 'threat_focus_area_id',
        ids: ['f-1', 'f-12', 'cross-border-ci-kr'],
      },
      {
        loader: 'agreementsOfSector',
        table: 'agreement_sector',
        column: 'sector_id',
        ids: ['sec-2', 'transportation-systems', 'none'],
      },
    ] as const;
    for (const { loader, table, column, ids } of cases) {
      for (const id of ids) {
        const expected = (
          await db.query<{ id: string }>(
            `SELECT a.id FROM agreements.agreement a JOIN agreements.${table} l ON l.agreement_id = a.id
             WHERE l.${column} = $1 AND a.archived_at IS NULL ORDER BY a.id COLLATE "C"`,
            [id],
          )
        ).map((row) => row.id);
        const seen: string[] = [];
        let afterKey: string | null = null;
        for (;;) {
          const page = await createAgreementsStore(db)[loader].load({ parentId: id, page: { size: 7, afterKey } });
          expect({ id, totalCount: page.totalCount }).toEqual({ id, totalCount: expected.length });
          seen.push(...page.nodes.map((node) => node.id));
          if (!page.pageInfo.hasNextPage) break;
          afterKey = seen.at(-1)!;
        }
        expect({ id, seen }).toEqual({ id, seen: expected });
        const countOnly = { size: 7, afterKey: null, parts: { totalCount: true, rows: false } };
        const counted = await createAgreementsStore(db)[loader].load({ parentId: id, page: countOnly });
        expect({ id, totalCount: counted.totalCount }).toEqual({ id, totalCount: expected.length });
      }
    }
  });

  it('sends filter values as parameters, never in the statement text', async () => {
    const hostile = "canada') OR 1=1 --";
    const { result, statements } = await countStatements(db, () =>
      createAgreementsStore(db).listAgreements(
        { partyId: hostile, threatFocusAreaId: hostile, kind: 'DECLARATION' },
        { size: 10, afterKey: null },
      ),
    );
    expect(result.totalCount).toBe(0);
    expect(statements).toHaveLength(1);
    expect(statements[0]).not.toContain(hostile);
    expect(statements[0]).not.toContain('DECLARATION');
  });

  // Last: it changes the data the tests above read.
  it('keeps its counts exact through every kind of write, in one statement or several', async () => {
    const recount = `
      SELECT 'year ' || COALESCE(a.signed_year, 0) AS key, count(*)::int AS total FROM agreements.agreement a
        WHERE a.archived_at IS NULL GROUP BY 1
      UNION ALL SELECT links.link || ' ' || links.record_id, count(*)::int FROM (
        SELECT 'party' AS link, partner_id AS record_id, agreement_id FROM agreements.agreement_party
        UNION ALL SELECT 'threat_focus_area', threat_focus_area_id, agreement_id FROM agreements.agreement_threat_focus_area
        UNION ALL SELECT 'sector', sector_id, agreement_id FROM agreements.agreement_sector
      ) links JOIN agreements.agreement a ON a.id = links.agreement_id WHERE a.archived_at IS NULL GROUP BY 1`;
    const kept = `
      SELECT 'year ' || signed_year AS key, total FROM agreements.agreement_year_count WHERE total > 0
      UNION ALL SELECT link || ' ' || record_id, total FROM agreements.linked_agreement_count WHERE total > 0`;
    const sorted = async (sql: string) =>
      (await db.query<{ key: string; total: number }>(sql)).sort((a, b) => (a.key < b.key ? -1 : 1));
    const writes = [
      `UPDATE agreements.agreement SET archived_at = NULL WHERE id IN ('t-009', 't-018')`,
      `UPDATE agreements.agreement SET archived_at = now() WHERE id IN ('t-001', 't-002', 'smart-border-declaration')`,
      `UPDATE agreements.agreement SET signed_year = 1999 WHERE id IN ('t-003', 't-027', 't-007')`,
      `UPDATE agreements.agreement SET signed_year = NULL, archived_at = NULL WHERE id = 't-036'`,
      `DELETE FROM agreements.agreement_party WHERE partner_id = 'p-3'`,
      `DELETE FROM agreements.agreement_sector WHERE agreement_id IN ('t-004', 't-002')`,
      `UPDATE agreements.agreement_threat_focus_area SET threat_focus_area_id = 'f-99' WHERE threat_focus_area_id = 'f-1'`,
      `INSERT INTO agreements.agreement_party (agreement_id, partner_id) VALUES ('t-001', 'p-3'), ('t-005', 'p-3')`,
      `DELETE FROM agreements.agreement_threat_focus_area WHERE agreement_id = 't-010';
       DELETE FROM agreements.agreement_party WHERE agreement_id = 't-010';
       DELETE FROM agreements.agreement_sector WHERE agreement_id = 't-010';
       DELETE FROM agreements.agreement WHERE id = 't-010'`,
    ];
    expect(await sorted(kept)).toEqual(await sorted(recount));
    for (const write of writes) {
      await db.exec(write);
      expect({ write, kept: await sorted(kept) }).toEqual({ write, kept: await sorted(recount) });
    }
    // A write rolled back leaves the counts as they were.
    const before = await sorted(kept);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`DELETE FROM agreements.agreement_party WHERE partner_id = 'united-states'`);
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(await sorted(kept)).toEqual(before);
  });

  it.each([1899, 2101])('refuses signedOnOrAfterYear %i before querying', async (year) => {
    const { statements } = await countStatements(db, async () => {
      expect(() =>
        createAgreementsStore(db).listAgreements({ signedOnOrAfterYear: year }, { size: 10, afterKey: null }),
      ).toThrow(/signedOnOrAfterYear must be between 1900 and 2100/);
    });
    expect(statements).toHaveLength(0);
  });
});
