import {
  bulkExport,
  bulkImport,
  peersOf,
  readChildLists,
  recordReferences,
  toBulkSpec,
  validateRecords,
  type BulkFormat,
  type BulkImportRequest,
  type BulkRecordSpec,
  type Database,
  type PeerReference,
  type RelatedLists,
  type ValidRecord,
} from '@cip/subgraph-kit';
import { agreementRecord } from './agreementRecord.js';

/** The file's lists that name other offices' records (`partyIds`, ...), each with the office the spec says owns them. */
const LISTS = recordReferences(agreementRecord).map(({ field, reference }) => ({
  field,
  reference: reference as PeerReference,
}));

interface Referenced {
  archived?: boolean;
  homeParty?: boolean;
}

/** What the other offices answered for the file's references, and the links the store holds already. */
interface Lookups {
  /** List field → id → what its office answered; an id its office does not know is absent. */
  found: Map<string, Map<string, Referenced>>;
  /** Agreement id → the ids each list links today: an archived record may stay linked, not be newly linked. */
  linked: RelatedLists;
}

function noLookups(): Lookups {
  return { found: new Map(LISTS.map(({ field }) => [field, new Map<string, Referenced>()])), linked: new Map() };
}

/**
 * An agreement as a row of an import or export file: the fields of `agreementRecord`, with its
 * rules; its three lists of links are sets of ids, each asked of its office once per import.
 */
function agreementBulkSpec(lookups: Lookups): BulkRecordSpec {
  const answer = (field: string, id: string) => lookups.found.get(field)?.get(id);
  return toBulkSpec(agreementRecord, {
    // Answered from the one lookup per office made before the import (lookUpReferences).
    known: (field, ids) => ids.filter((id) => answer(field, id) !== undefined),
    checkRow(record, fail) {
      // Unknown ids are UNKNOWN_REFERENCE; known ones may still be refused here.
      const parties = record.partyIds as string[];
      const known = parties.filter((id) => answer('partyIds', id) !== undefined);
      if (known.length === parties.length && !known.some((id) => answer('partyIds', id)?.homeParty)) {
        fail('partyIds', 'the home party (the United States) is a party to every agreement');
      }
      const linked = lookups.linked.get(record.id as string);
      for (const { field, reference } of LISTS) {
        for (const id of record[field] as string[]) {
          if (answer(field, id)?.archived && !linked?.[field]?.includes(id)) {
            fail(field, `${reference.noun} ${id} is archived: it cannot be linked`);
          }
        }
      }
    },
  });
}

/**
 * Asks each other office once about every id the file's rows name (the three at once), and reads
 * the links the store holds for the file's agreements. Rows that fail their own checks are left
 * out: the import reports them without asking anyone about them.
 */
async function lookUpReferences(db: Database, request: BulkImportRequest): Promise<Lookups> {
  const lookups = noLookups();
  const { records } = validateRecords(agreementBulkSpec(lookups), request.format, request.content);
  if (records.length === 0) return lookups;
  const peers = peersOf(request.context);
  await Promise.all(
    LISTS.map(async ({ field, reference }) => {
      const ids = [...new Set(records.flatMap((record: ValidRecord) => record.values[field] as string[]))];
      const answers = await peers.lookup(reference.office, reference.entity, ids, reference.selection ?? 'id archived');
      ids.forEach((id, index) => {
        const found = answers[index] as Referenced | null | undefined;
        if (found) lookups.found.get(field)?.set(id, found);
      });
    }),
  );
  lookups.linked = await readChildLists(
    agreementRecord,
    db,
    records.map((record) => record.id),
  );
  return lookups;
}

/** The agreements office's bulk import and export (docs/bulk.md). */
export function createAgreementBulk(db: Database) {
  return {
    import: async (request: BulkImportRequest) =>
      bulkImport(db, agreementBulkSpec(await lookUpReferences(db, request)), request),
    export: (format: BulkFormat) => bulkExport(db, agreementBulkSpec(noLookups()), format),
  };
}

export type AgreementBulk = ReturnType<typeof createAgreementBulk>;
