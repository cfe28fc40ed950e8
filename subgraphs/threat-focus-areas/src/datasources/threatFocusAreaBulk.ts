import {
  addRelatedList,
  bulkExport,
  bulkImport,
  peersOf,
  validateRecords,
  type BulkFormat,
  type BulkImportRequest,
  type BulkRecordSpec,
  type Database,
  type Queryable,
  type RelatedLists,
  SOURCE_FIELDS,
} from '@cip/subgraph-kit';

const ID = { max: 64, pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/, patternHint: 'an id: lower-case words joined by hyphens' };

/** The fields that name another office's records, and the office asked about them. */
const REFERENCES = {
  affectedSectorIds: { subgraph: 'sectors', typename: 'Sector', noun: 'sector' },
  'origin.namedById': { subgraph: 'agreements', typename: 'Agreement', noun: 'agreement' },
} as const;

type ReferenceField = keyof typeof REFERENCES;
const REFERENCE_FIELDS = Object.keys(REFERENCES) as ReferenceField[];

/** What the other offices answered (id → archived?), and what the store's focus areas name today. */
interface Lookups {
  found: Record<ReferenceField, Map<string, { archived?: boolean }>>;
  /** Focus area id → the ids it names now: an archived record may stay named, not be newly named. */
  named: Map<string, Set<string>>;
}

function noLookups(): Lookups {
  return { found: { affectedSectorIds: new Map(), 'origin.namedById': new Map() }, named: new Map() };
}

function idsOf(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/** Focus area id → the sectors it affects, sorted (one statement for all the ids). */
async function readAffectedSectors(db: Queryable, ids: readonly string[]): Promise<RelatedLists> {
  const rows = await db.query<{ id: string; items: string[] }>(
    `SELECT threat_focus_area_id AS id, array_agg(sector_id ORDER BY sector_id) AS items
     FROM threat_focus_areas.affected_sector WHERE threat_focus_area_id = ANY($1::text[]) GROUP BY threat_focus_area_id`,
    [ids],
  );
  return addRelatedList(new Map(), 'affectedSectorIds', rows);
}

/**
 * A threat focus area as a row of an import or export file: the `threat_focus_area` table's
 * columns, and the sectors it affects, kept in `affected_sector` (a `related` set of ids). The same rules as `createThreatFocusArea`
 * (threatFocusAreaInput.ts, threatFocusAreaWrites.ts): the sectors and the naming agreement are
 * asked of their offices, once per import.
 */
function threatFocusAreaRecordSpec(lookups: Lookups): BulkRecordSpec {
  return {
    entityType: 'ThreatFocusArea',
    schema: 'threat_focus_areas',
    table: 'threat_focus_area',
    fields: {
      name: { kind: 'text', column: 'name', required: true, max: 200 },
      description: { kind: 'text', column: 'description', required: true, max: 2000 },
      category: {
        kind: 'enum',
        column: 'category',
        required: true,
        values: ['COUNTER_TERRORISM', 'CROSS_SECTOR', 'GLOBAL_INFRASTRUCTURE'],
      },
      'origin.statement': { kind: 'text', column: 'origin_statement', required: true, max: 300 },
      'origin.namedById': { kind: 'text', column: 'origin_agreement_id', ...ID },
      affectedSectorIds: { kind: 'list', related: true, ordered: false, item: ID },
      ...SOURCE_FIELDS,
    },
    // Answered from the one lookup per office made before the import (lookUpReferences).
    references: REFERENCE_FIELDS.map((field) => ({
      field,
      entity: REFERENCES[field].typename,
      known: (ids: readonly string[]) => Promise.resolve(ids.filter((id) => lookups.found[field].has(id))),
    })),
    checkRow(record, fail) {
      const named = lookups.named.get(record.id as string);
      for (const field of REFERENCE_FIELDS) {
        for (const id of idsOf(record[field])) {
          if (lookups.found[field].get(id)?.archived && !named?.has(id)) {
            fail(field, `${REFERENCES[field].noun} ${id} is archived: it cannot be linked`);
          }
        }
      }
    },
    readRelated: readAffectedSectors,
    // Each written focus area's list replaces the stored one.
    async writeRelated(tx, records) {
      await tx.query('DELETE FROM threat_focus_areas.affected_sector WHERE threat_focus_area_id = ANY($1::text[])', [
        records.map((record) => record.id),
      ]);
      await tx.query(
        `INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id)
         SELECT x.e->>'id', jsonb_array_elements_text(x.e->'ids') FROM jsonb_array_elements($1::jsonb) AS x(e)`,
        [JSON.stringify(records.map((record) => ({ id: record.id, ids: record.values.affectedSectorIds })))],
      );
    },
  };
}

/**
 * Asks the sectors and agreements offices once each (at once) about every id the file's rows name,
 * and reads what the store's focus areas name today. Rows that fail their own checks are left out.
 */
async function lookUpReferences(db: Database, request: BulkImportRequest): Promise<Lookups> {
  const lookups = noLookups();
  const { records } = validateRecords(threatFocusAreaRecordSpec(lookups), request.format, request.content);
  if (records.length === 0) return lookups;
  const peers = peersOf(request.context);
  await Promise.all(
    REFERENCE_FIELDS.map(async (field) => {
      const ids = [...new Set(records.flatMap((record) => idsOf(record.values[field])))];
      const { subgraph, typename } = REFERENCES[field];
      const answers = await peers.lookup(subgraph, typename, ids, 'id archived');
      ids.forEach((id, index) => {
        const answer = answers[index] as { archived?: boolean } | null | undefined;
        if (answer) lookups.found[field].set(id, answer);
      });
    }),
  );
  const ids = records.map((record) => record.id);
  const origins = await db.query<{ id: string; origin: string | null }>(
    'SELECT id, origin_agreement_id AS origin FROM threat_focus_areas.threat_focus_area WHERE id = ANY($1::text[])',
    [ids],
  );
  const affected = await readAffectedSectors(db, ids);
  for (const { id, origin } of origins) {
    lookups.named.set(
      id,
      new Set([...(affected.get(id)?.affectedSectorIds ?? []), ...(origin === null ? [] : [origin])]),
    );
  }
  return lookups;
}

/** The threat-focus-areas office's bulk import and export (docs/bulk.md). */
export function createThreatFocusAreaBulk(db: Database) {
  return {
    import: async (request: BulkImportRequest) =>
      bulkImport(db, threatFocusAreaRecordSpec(await lookUpReferences(db, request)), request),
    export: (format: BulkFormat) => bulkExport(db, threatFocusAreaRecordSpec(noLookups()), format),
  };
}

export type ThreatFocusAreaBulk = ReturnType<typeof createThreatFocusAreaBulk>;
