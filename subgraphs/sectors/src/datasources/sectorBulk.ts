import {
  addRelatedList,
  bulkExport,
  bulkImport,
  knownLocally,
  toBulkSpec,
  type BulkFormat,
  type BulkImportRequest,
  type Database,
} from '@cip/subgraph-kit';
import { sectorRecord } from './sectorRecord.js';

/** An agency of the file's `agencies` list: `DOE`, or `USCG (maritime)` when it leads only part of the sector. */
const AGENCY_ITEM = /^([^()]+?)(?: \(([^()]+)\))?$/;

const { abbreviation, scope } = sectorRecord.fields.agencies.item.fields;

export function parseAgency(item: string): { abbreviation: string; scope: string | null } {
  const [, parsedAbbreviation, parsedScope] = AGENCY_ITEM.exec(item) ?? [];
  return { abbreviation: parsedAbbreviation ?? item, scope: parsedScope ?? null };
}

/**
 * A sector as a row of an import or export file: the fields of `sectorRecord`, with its rules, its
 * agencies one text each (`DHS (pipelines)`), kept in `sector_agency` in the plan's order (an
 * ordered list: a reordered list is a change).
 */
const sectorBulkSpec = toBulkSpec(sectorRecord, {
  itemsAsText: {
    agencies: {
      max: abbreviation.max + ' ()'.length + scope.max,
      pattern: AGENCY_ITEM,
      patternHint: 'an abbreviation, or an abbreviation and (its scope)',
    },
  },
  references: [
    {
      field: 'agencies',
      entity: abbreviation.references.entity,
      known: async (items, { db }) => {
        const known = await knownLocally(
          db,
          sectorRecord.schema,
          abbreviation.references,
          items.map((item) => parseAgency(item).abbreviation),
        );
        return items.filter((item) => known.has(parseAgency(item).abbreviation));
      },
    },
  ],
  checkRow(record, fail) {
    const seen = new Set<string>();
    for (const item of record.agencies as string[]) {
      const agency = parseAgency(item);
      if (agency.abbreviation.length > abbreviation.max) {
        fail('agencies', `${agency.abbreviation}: an abbreviation has at most ${abbreviation.max} characters`);
      }
      if (agency.scope !== null && agency.scope.length > scope.max) {
        fail('agencies', `${agency.abbreviation}: a scope has at most ${scope.max} characters`);
      }
      if (seen.has(agency.abbreviation)) fail('agencies', `${agency.abbreviation} is named twice`);
      seen.add(agency.abbreviation);
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
});

/** The sectors office's bulk import and export (docs/bulk.md). */
export function createSectorBulk(db: Database) {
  return {
    import: (request: BulkImportRequest) => bulkImport(db, sectorBulkSpec, request),
    export: (format: BulkFormat) => bulkExport(db, sectorBulkSpec, format),
  };
}

export type SectorBulk = ReturnType<typeof createSectorBulk>;
