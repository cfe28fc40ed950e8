import {
  addRelatedList,
  bulkExport,
  bulkImport,
  type BulkFormat,
  type BulkImportRequest,
  type BulkRecordSpec,
  type Database,
  SOURCE_FIELDS,
} from '@cip/subgraph-kit';

/** An agency of the file's `agencies` list: `DOE`, or `USCG (maritime)` when it leads only part of the sector. */
const AGENCY_ITEM = /^([^()]+?)(?: \(([^()]+)\))?$/;

export function parseAgency(item: string): { abbreviation: string; scope: string | null } {
  const [, abbreviation, scope] = AGENCY_ITEM.exec(item) ?? [];
  return { abbreviation: abbreviation ?? item, scope: scope ?? null };
}

/**
 * A sector as a row of an import or export file: the `sector` table's columns, and its agencies,
 * kept in `sector_agency` in the plan's order (a `related`, ordered list). The same rules as `createSector` (sectorInput.ts): at least one agency, none
 * twice, each one this office knows. Dependencies are not in the file: they have their own
 * mutations (`addSectorDependency`), with their own degree and source.
 */
export const sectorRecordSpec: BulkRecordSpec = {
  entityType: 'Sector',
  schema: 'sectors',
  table: 'sector',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 200 },
    agencies: {
      kind: 'list',
      related: true,
      // The order is the plan's (a position column): a reordered list is a change.
      ordered: true,
      required: true,
      item: { max: 123, pattern: AGENCY_ITEM, patternHint: 'an abbreviation, or an abbreviation and (its scope)' },
    },
    ...SOURCE_FIELDS,
  },
  references: [
    {
      field: 'agencies',
      entity: 'agency',
      known: async (items, { db }) => {
        const rows = await db.query<{ abbreviation: string }>(
          'SELECT abbreviation FROM sectors.agency WHERE abbreviation = ANY($1::text[])',
          [items.map((item) => parseAgency(item).abbreviation)],
        );
        const known = new Set(rows.map((row) => row.abbreviation));
        return items.filter((item) => known.has(parseAgency(item).abbreviation));
      },
    },
  ],
  checkRow(record, fail) {
    const seen = new Set<string>();
    for (const item of record.agencies as string[]) {
      const { abbreviation, scope } = parseAgency(item);
      if (abbreviation.length > 20) fail('agencies', `${abbreviation}: an abbreviation has at most 20 characters`);
      if (scope !== null && scope.length > 100) fail('agencies', `${abbreviation}: a scope has at most 100 characters`);
      if (seen.has(abbreviation)) fail('agencies', `${abbreviation} is named twice`);
      seen.add(abbreviation);
    }
  },
  async readRelated(db, ids) {
    const rows = await db.query<{ id: string; items: string[] }>(
      `SELECT sector_id AS id, array_agg(abbreviation || coalesce(' (' || scope || ')', '') ORDER BY position) AS items
       FROM sectors.sector_agency WHERE sector_id = ANY($1::text[]) GROUP BY sector_id`,
      [ids],
    );
    return addRelatedList(new Map(), 'agencies', rows);
  },
  // Each written sector's list replaces the stored one, in order.
  async writeRelated(tx, records) {
    await tx.query('DELETE FROM sectors.sector_agency WHERE sector_id = ANY($1::text[])', [
      records.map((record) => record.id),
    ]);
    const rows = records.flatMap((record) =>
      (record.values.agencies as string[]).map((item, index) => ({
        sector_id: record.id,
        ...parseAgency(item),
        position: index + 1,
      })),
    );
    await tx.query(
      `INSERT INTO sectors.sector_agency (sector_id, abbreviation, scope, position)
       SELECT x.sector_id, x.abbreviation, x.scope, x.position
       FROM jsonb_to_recordset($1::jsonb) AS x(sector_id text, abbreviation text, scope text, position int)`,
      [JSON.stringify(rows)],
    );
  },
};

/** The sectors office's bulk import and export (docs/bulk.md). */
export function createSectorBulk(db: Database) {
  return {
    import: (request: BulkImportRequest) => bulkImport(db, sectorRecordSpec, request),
    export: (format: BulkFormat) => bulkExport(db, sectorRecordSpec, format),
  };
}

export type SectorBulk = ReturnType<typeof createSectorBulk>;
