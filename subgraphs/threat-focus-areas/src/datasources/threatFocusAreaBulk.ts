import {
  bulkExport,
  bulkImport,
  identifier,
  peersOf,
  qualified,
  readChildLists,
  recordReferences,
  toBulkSpec,
  validateRecords,
  type BulkFormat,
  type BulkImportRequest,
  type BulkRecordSpec,
  type Database,
  type PeerReference,
} from '@cip/subgraph-kit';
import { threatFocusAreaRecord } from './threatFocusAreaRecord.js';

/** The file's fields that name another office's records, each with the office the spec says owns them. */
const REFERENCES = recordReferences(threatFocusAreaRecord).map(({ field, reference }) => ({
  field,
  reference: reference as PeerReference,
}));

/** What the other offices answered (id → archived?), and what the store's focus areas name today. */
interface Lookups {
  /** Field → id → what its office answered; an id its office does not know is absent. */
  found: Map<string, Map<string, { archived?: boolean }>>;
  /** Focus area id → the ids it names now: an archived record may stay named, not be newly named. */
  named: Map<string, Set<string>>;
}

function noLookups(): Lookups {
  const found = REFERENCES.map(({ field }) => [field, new Map<string, { archived?: boolean }>()] as const);
  return { found: new Map(found), named: new Map() };
}

function idsOf(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/**
 * A threat focus area as a row of an import or export file: the fields of `threatFocusAreaRecord`,
 * with its rules; the sectors and the naming agreement are asked of their offices, once per import.
 */
function threatFocusAreaBulkSpec(lookups: Lookups): BulkRecordSpec {
  const answer = (field: string, id: string) => lookups.found.get(field)?.get(id);
  return toBulkSpec(threatFocusAreaRecord, {
    // Answered from the one lookup per office made before the import (lookUpReferences).
    known: (field, ids) => ids.filter((id) => answer(field, id) !== undefined),
    checkRow(record, fail) {
      const named = lookups.named.get(record.id as string);
      for (const { field, reference } of REFERENCES) {
        for (const id of idsOf(record[field])) {
          if (answer(field, id)?.archived && !named?.has(id)) {
            fail(field, `${reference.noun} ${id} is archived: it cannot be linked`);
          }
        }
      }
    },
  });
}

/**
 * Asks the sectors and agreements offices once each (at once) about every id the file's rows name,
 * and reads what the store's focus areas name today. Rows that fail their own checks are left out.
 */
async function lookUpReferences(db: Database, request: BulkImportRequest): Promise<Lookups> {
  const lookups = noLookups();
  const { records } = validateRecords(threatFocusAreaBulkSpec(lookups), request.format, request.content);
  if (records.length === 0) return lookups;
  const peers = peersOf(request.context);
  await Promise.all(
    REFERENCES.map(async ({ field, reference }) => {
      const ids = [...new Set(records.flatMap((record) => idsOf(record.values[field])))];
      const answers = await peers.lookup(reference.office, reference.entity, ids, 'id archived');
      ids.forEach((id, index) => {
        const found = answers[index] as { archived?: boolean } | null | undefined;
        if (found) lookups.found.get(field)?.set(id, found);
      });
    }),
  );
  const ids = records.map((record) => record.id);
  const { schema, table, fields } = threatFocusAreaRecord;
  const origins = await db.query<{ id: string; origin: string | null }>(
    `SELECT id, ${identifier(fields.origin.fields.namedById.column)} AS origin FROM ${qualified(schema, table)}
     WHERE id = ANY($1::text[])`,
    [ids],
  );
  const affected = await readChildLists(threatFocusAreaRecord, db, ids);
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
      bulkImport(db, threatFocusAreaBulkSpec(await lookUpReferences(db, request)), request),
    export: (format: BulkFormat) => bulkExport(db, threatFocusAreaBulkSpec(noLookups()), format),
  };
}

export type ThreatFocusAreaBulk = ReturnType<typeof createThreatFocusAreaBulk>;
