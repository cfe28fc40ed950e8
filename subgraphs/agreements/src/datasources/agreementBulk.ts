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
  type ValidRecord,
  SOURCE_FIELDS,
} from '@cip/subgraph-kit';
import { MAX_PARTIES, MIN_PARTIES } from './agreementInput.js';
import { EARLIEST_SIGNED_YEAR, LATEST_SIGNED_YEAR } from './agreements.js';

const ID_ITEM = {
  max: 64,
  pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
  patternHint: 'an id: lower-case words joined by hyphens',
};

/**
 * Each list of the file: the office whose records it names (asked through its entity lookup, like
 * `createAgreement`), and the child table that stores it.
 */
const LISTS = {
  partyIds: { subgraph: 'partners', typename: 'Partner', selection: 'id archived homeParty', noun: 'partner' },
  threatFocusAreaIds: {
    subgraph: 'threat-focus-areas',
    typename: 'ThreatFocusArea',
    selection: 'id archived',
    noun: 'threat focus area',
  },
  sectorIds: { subgraph: 'sectors', typename: 'Sector', selection: 'id archived', noun: 'sector' },
} as const;

type ListName = keyof typeof LISTS;
const LIST_NAMES = Object.keys(LISTS) as ListName[];

const CHILD_TABLES: Record<ListName, { table: string; column: string }> = {
  partyIds: { table: 'agreement_party', column: 'partner_id' },
  threatFocusAreaIds: { table: 'agreement_threat_focus_area', column: 'threat_focus_area_id' },
  sectorIds: { table: 'agreement_sector', column: 'sector_id' },
};

interface Referenced {
  archived?: boolean;
  homeParty?: boolean;
}

/** What the other offices answered for the file's references, and the links the store holds already. */
interface Lookups {
  found: Record<ListName, Map<string, Referenced>>;
  /** Agreement id → the ids each list links today: an archived record may stay linked, not be newly linked. */
  linked: RelatedLists;
}

function noLookups(): Lookups {
  return { found: { partyIds: new Map(), threatFocusAreaIds: new Map(), sectorIds: new Map() }, linked: new Map() };
}

/** Agreement id → each list's ids as its child table holds them, sorted: one statement per list for all the ids. */
async function readLinks(db: Queryable, ids: readonly string[]): Promise<RelatedLists> {
  const lists: RelatedLists = new Map();
  for (const field of LIST_NAMES) {
    const { table, column } = CHILD_TABLES[field];
    const rows = await db.query<{ id: string; items: string[] }>(
      `SELECT agreement_id AS id, array_agg(${column} ORDER BY ${column}) AS items
       FROM agreements.${table} WHERE agreement_id = ANY($1::text[]) GROUP BY agreement_id`,
      [ids],
    );
    addRelatedList(lists, field, rows);
  }
  return lists;
}

/**
 * An agreement as a row of an import or export file: the `agreement` table's columns, and its
 * three lists of links kept in child tables (`related` fields, sets of ids). The same rules as `createAgreement` (agreementInput.ts,
 * agreementWrites.ts): the lists name records of other offices, each asked once per import.
 */
function agreementRecordSpec(lookups: Lookups): BulkRecordSpec {
  const reference = (field: ListName) => ({
    field,
    entity: LISTS[field].typename,
    // Answered from the one lookup per office made before the import (lookUpReferences).
    known: (ids: readonly string[]) => Promise.resolve(ids.filter((id) => lookups.found[field].has(id))),
  });
  return {
    entityType: 'Agreement',
    schema: 'agreements',
    table: 'agreement',
    fields: {
      title: { kind: 'text', column: 'title', required: true, max: 300 },
      shortTitle: { kind: 'text', column: 'short_title', max: 60 },
      kind: {
        kind: 'enum',
        column: 'kind',
        required: true,
        values: ['DECLARATION', 'PARTNERSHIP', 'CONTACT_GROUP', 'STATEMENT', 'COMMITTEE'],
      },
      scope: { kind: 'enum', column: 'scope', required: true, values: ['BILATERAL', 'TRILATERAL', 'MULTILATERAL'] },
      'signed.year': { kind: 'integer', column: 'signed_year', min: EARLIEST_SIGNED_YEAR, max: LATEST_SIGNED_YEAR },
      'signed.month': { kind: 'integer', column: 'signed_month', min: 1, max: 12 },
      purpose: { kind: 'text', column: 'purpose', required: true, max: 2000 },
      partyIds: { kind: 'list', related: true, ordered: false, required: true, item: ID_ITEM },
      threatFocusAreaIds: { kind: 'list', related: true, ordered: false, item: ID_ITEM },
      sectorIds: { kind: 'list', related: true, ordered: false, item: ID_ITEM },
      ...SOURCE_FIELDS,
    },
    references: LIST_NAMES.map(reference),
    checkRow(record, fail) {
      const parties = record.partyIds as string[];
      const scope = record.scope as string;
      if (record['signed.month'] !== null && record['signed.year'] === null) {
        fail('signed.month', 'a month needs its year');
      }
      const maxParties = MAX_PARTIES[scope];
      if (parties.length < MIN_PARTIES) fail('partyIds', `an agreement binds at least ${MIN_PARTIES} parties`);
      else if (maxParties !== undefined && parties.length > maxParties) {
        fail('partyIds', `a ${scope.toLowerCase()} agreement binds at most ${maxParties} parties`);
      }
      // Unknown ids are UNKNOWN_REFERENCE (references above); known ones may still be refused here.
      const known = parties.filter((id) => lookups.found.partyIds.has(id));
      if (known.length === parties.length && !known.some((id) => lookups.found.partyIds.get(id)?.homeParty)) {
        fail('partyIds', 'the home party (the United States) is a party to every agreement');
      }
      const linked = lookups.linked.get(record.id as string);
      for (const field of LIST_NAMES) {
        for (const id of record[field] as string[]) {
          if (lookups.found[field].get(id)?.archived && !linked?.[field]?.includes(id)) {
            fail(field, `${LISTS[field].noun} ${id} is archived: it cannot be linked`);
          }
        }
      }
    },
    readRelated: readLinks,
    // Each written record's links are replaced by its file lists.
    async writeRelated(tx, records) {
      const ids = records.map((record) => record.id);
      for (const field of LIST_NAMES) {
        const { table, column } = CHILD_TABLES[field];
        await tx.query(`DELETE FROM agreements.${table} WHERE agreement_id = ANY($1::text[])`, [ids]);
        await tx.query(
          `INSERT INTO agreements.${table} (agreement_id, ${column})
           SELECT x.e->>'id', jsonb_array_elements_text(x.e->'ids') FROM jsonb_array_elements($1::jsonb) AS x(e)`,
          [JSON.stringify(records.map((record) => ({ id: record.id, ids: record.values[field] })))],
        );
      }
    },
  };
}

/**
 * Asks each other office once about every id the file's rows name (the three at once), and reads
 * the links the store holds for the file's agreements. Rows that fail their own checks are left
 * out: the import reports them without asking anyone about them.
 */
async function lookUpReferences(db: Database, request: BulkImportRequest): Promise<Lookups> {
  const lookups = noLookups();
  const { records } = validateRecords(agreementRecordSpec(lookups), request.format, request.content);
  if (records.length === 0) return lookups;
  const idsOf = (field: ListName) => [
    ...new Set(records.flatMap((record: ValidRecord) => record.values[field] as string[])),
  ];
  const peers = peersOf(request.context);
  await Promise.all(
    LIST_NAMES.map(async (field) => {
      const { subgraph, typename, selection } = LISTS[field];
      const ids = idsOf(field);
      const answers = await peers.lookup(subgraph, typename, ids, selection);
      ids.forEach((id, index) => {
        const answer = answers[index] as Referenced | null | undefined;
        if (answer) lookups.found[field].set(id, answer);
      });
    }),
  );
  lookups.linked = await readLinks(
    db,
    records.map((record) => record.id),
  );
  return lookups;
}

/** The agreements office's bulk import and export (docs/bulk.md). */
export function createAgreementBulk(db: Database) {
  return {
    import: async (request: BulkImportRequest) =>
      bulkImport(db, agreementRecordSpec(await lookUpReferences(db, request)), request),
    export: (format: BulkFormat) => bulkExport(db, agreementRecordSpec(noLookups()), format),
  };
}

export type AgreementBulk = ReturnType<typeof createAgreementBulk>;
