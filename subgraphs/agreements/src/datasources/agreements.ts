import { badUserInput } from '@cip/core';
import {
  byIdLoader,
  childPageLoader,
  fetchPage,
  givenFilters,
  groupLoader,
  readRecord,
  recordColumns,
  type Page,
  type Queryable,
  type RecordRead,
} from '@cip/subgraph-kit';
import type { AgreementFilter, NegotiationStatus, PartialDate } from '../__generated__/resolvers-types.js';
import { agreementRecord, EARLIEST_SIGNED_YEAR, LATEST_SIGNED_YEAR } from './agreementRecord.js';

/** An agreement as read: its fields (agreementRecord.ts), its date as a person writes it, and the restricted fields. */
export type AgreementRow = Omit<RecordRead<typeof agreementRecord>, 'signed'> & {
  id: string;
  signed: PartialDate;
  internalNotes: string | null;
  negotiationStatus: NegotiationStatus | null;
  version: number;
  archived: boolean;
};

/** Partners, sectors and focus areas are other offices' records: this office knows only their ids. */
export interface PartnerRef {
  id: string;
}

export interface SectorRef {
  id: string;
}

export interface ThreatFocusAreaRef {
  id: string;
}

/** A link of an agreement to another office's record: the record's id, and the agreement it belongs to. */
interface LinkRow {
  agreementId: string;
  id: string;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * The signing date as the graph gives it, built in the row mapping so every reader of an
 * agreement gets the same text: the English month name (whatever the server's locale), the year.
 */
export function partialDate(signed: { year: number; month: number | null } | null): PartialDate {
  if (signed === null) return { year: null, month: null, precision: 'UNKNOWN', text: 'unknown' };
  const { year, month } = signed;
  if (month === null) return { year, month, precision: 'YEAR', text: String(year) };
  return { year, month, precision: 'MONTH', text: `${MONTHS[month - 1]} ${year}` };
}

const AGREEMENT_COLUMNS = `a.id, ${recordColumns(agreementRecord, 'a')},
  a.internal_notes AS "internalNotes", a.negotiation_status AS "negotiationStatus",
  a.version, a.archived_at IS NOT NULL AS archived`;

const toAgreement = (row: Record<string, unknown>): AgreementRow => {
  const { signed, ...agreement } = readRecord(agreementRecord, row);
  return { ...agreement, signed: partialDate(signed) } as AgreementRow;
};

const { partyIds, threatFocusAreaIds, sectorIds } = agreementRecord.fields;

/** A child table of links: the agreement's id in `parent`, the linked record's in `column`. */
interface LinkTable {
  table: string;
  parent: string;
  column: string;
}

type FilterName = Exclude<keyof AgreementFilter, 'includeArchived'>;

/** The filters on a link table: which table, and how its linked ids must match the value's placeholder. */
const LINK_FILTERS: {
  [Name in Extract<FilterName, 'partyId' | 'partyIdsAny' | 'threatFocusAreaId' | 'sectorId'>]-?: {
    link: LinkTable;
    matches: (placeholder: string) => string;
  };
} = {
  partyId: { link: partyIds.table, matches: (value) => `= ${value}::text` },
  partyIdsAny: { link: partyIds.table, matches: (values) => `= ANY(${values}::text[])` },
  threatFocusAreaId: { link: threatFocusAreaIds.table, matches: (value) => `= ${value}::text` },
  sectorId: { link: sectorIds.table, matches: (value) => `= ${value}::text` },
};

/** The filters on the agreement's own columns, each as the condition it puts on `a`. */
const ROW_FILTERS: { [Name in Exclude<FilterName, keyof typeof LINK_FILTERS>]-?: (placeholder: string) => string } = {
  kind: (value) => `a.kind = ${value}::text`,
  scope: (value) => `a.scope = ${value}::text`,
  // An unknown date is NULL, and NULL >= year is not true: undated agreements never match a year.
  signedOnOrAfterYear: (value) => `a.signed_year >= ${value}::int`,
};

/**
 * How many agreements a link table links to the records matching `matches` (per record with
 * `perRecord`, as `parent_id` and `total`), archived ones left out unless `includeArchived`: the
 * links counted on their own index, less the archived agreements' links, found from the few
 * archived agreements. Joining every link to its agreement to read `archived_at` is most of the
 * cost of a count over thousands of agreements.
 */
function linkedAgreementCount(
  { table, parent, column }: LinkTable,
  matches: string,
  { perRecord, includeArchived }: { perRecord: boolean; includeArchived: boolean },
): string {
  // A record's links are unique; links to any of several records together may name an agreement twice.
  const count = !perRecord && matches.includes('ANY(') ? `count(DISTINCT l.${parent})::int` : 'count(*)::int';
  const group = perRecord ? { select: `l.${column} AS parent_id, `, by: ' GROUP BY 1' } : { select: '', by: '' };
  const linked = `SELECT ${group.select}${count} AS total FROM agreements.${table} l WHERE l.${column} ${matches}${group.by}`;
  if (includeArchived) return linked;
  const archived = `SELECT ${group.select}${count} AS total
    FROM agreements.agreement a JOIN agreements.${table} l ON l.${parent} = a.id
    WHERE a.archived_at IS NOT NULL AND l.${column} ${matches}${group.by}`;
  return perRecord
    ? `SELECT linked.parent_id, linked.total - COALESCE(archived.total, 0) AS total
       FROM (${linked}) linked LEFT JOIN (${archived}) archived ON archived.parent_id = linked.parent_id`
    : `SELECT (${linked}) - (${archived}) AS total`;
}

/**
 * The agreement list's conditions, a condition for each filter given and none for the others
 * (givenFilters), their values as parameters from `$1` on, and for a list filtered by one link
 * alone a count over that link's index.
 */
export function agreementFilterSql(filter: AgreementFilter | null | undefined): {
  where: string[];
  params: unknown[];
  totalSql?: string;
} {
  const includeArchived = filter?.includeArchived === true;
  const given = (Object.keys(LINK_FILTERS) as (keyof typeof LINK_FILTERS)[]).filter(
    (name) => filter?.[name] !== null && filter?.[name] !== undefined,
  );
  const { where, params } = givenFilters([
    ...(
      Object.entries(LINK_FILTERS) as [keyof typeof LINK_FILTERS, (typeof LINK_FILTERS)[keyof typeof LINK_FILTERS]][]
    ).map(
      ([name, { link, matches }]) =>
        [
          filter?.[name],
          (value: string) =>
            `a.id IN (SELECT l.${link.parent} FROM agreements.${link.table} l WHERE l.${link.column} ${matches(value)})`,
        ] as const,
    ),
    ...(Object.entries(ROW_FILTERS) as [keyof typeof ROW_FILTERS, (value: string) => string][]).map(
      ([name, condition]) => [filter?.[name], condition] as const,
    ),
  ]);
  // Archived agreements are out of the list unless asked for: a condition on the row, no parameter.
  if (!includeArchived) where.push('a.archived_at IS NULL');
  const onlyLink = given.length === 1 && params.length === 1 ? LINK_FILTERS[given[0]!] : undefined;
  if (!onlyLink) return { where, params };
  const totalSql = linkedAgreementCount(onlyLink.link, onlyLink.matches('$1'), { perRecord: false, includeArchived });
  return { where, params, totalSql };
}

/**
 * Every read of the agreements office, batched per request: each loader answers any number of keys
 * with one SQL statement.
 */
export function createAgreementsStore(db: Queryable) {
  const agreementById = byIdLoader(async (ids) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT ${AGREEMENT_COLUMNS} FROM agreements.agreement a WHERE a.id = ANY($1)`,
        [ids],
      )
    ).map(toAgreement),
  );

  /** The ids one link table holds for each agreement, ordered by id. */
  const linksOf = ({ table, parent, column }: LinkTable) =>
    groupLoader(
      (agreementIds) =>
        db.query<LinkRow>(
          `SELECT l.${parent} AS "agreementId", l.${column} AS id FROM agreements.${table} l
           WHERE l.${parent} = ANY($1) ORDER BY l.${column}`,
          [agreementIds],
        ),
      (row) => row.agreementId,
    );

  const partiesOf = linksOf(partyIds.table);
  const focusAreasOf = linksOf(threatFocusAreaIds.table);
  const sectorsOf = linksOf(sectorIds.table);

  /** One page of agreements in use per linked record (a partner, a focus area, a sector): archived ones are left out. */
  const agreementsLinkedBy = (link: LinkTable) =>
    childPageLoader(
      db,
      {
        // The link's own agreement id: its index (record, agreement id) gives each record's page in order.
        sortKey: `l.${link.parent}`,
        columns: AGREEMENT_COLUMNS,
        from: `agreements.${link.table} l JOIN agreements.agreement a ON a.id = l.${link.parent}`,
        where: [`l.${link.column} = parent.id`, 'a.archived_at IS NULL'],
        totalsSql: linkedAgreementCount(link, '= ANY($1::text[])', { perRecord: true, includeArchived: false }),
      },
      toAgreement,
    );

  const agreementsOfParty = agreementsLinkedBy(partyIds.table);
  const agreementsOfFocusArea = agreementsLinkedBy(threatFocusAreaIds.table);
  const agreementsOfSector = agreementsLinkedBy(sectorIds.table);

  function listAgreements(filter: AgreementFilter | null | undefined, page: Page) {
    const fromYear = filter?.signedOnOrAfterYear ?? null;
    if (fromYear !== null && (fromYear < EARLIEST_SIGNED_YEAR || fromYear > LATEST_SIGNED_YEAR)) {
      throw badUserInput(
        `signedOnOrAfterYear must be between ${EARLIEST_SIGNED_YEAR} and ${LATEST_SIGNED_YEAR}; got ${fromYear}.`,
        'filter.signedOnOrAfterYear',
      );
    }
    const { where, params, totalSql } = agreementFilterSql(filter);
    return fetchPage(
      db,
      {
        sortKey: 'a.id',
        columns: AGREEMENT_COLUMNS,
        from: 'agreements.agreement a',
        where,
        params,
        ...(totalSql ? { totalSql } : {}),
      },
      page,
      toAgreement,
    );
  }

  return {
    agreementById,
    partiesOf,
    focusAreasOf,
    sectorsOf,
    agreementsOfParty,
    agreementsOfFocusArea,
    agreementsOfSector,
    listAgreements,
  };
}

export type AgreementsStore = ReturnType<typeof createAgreementsStore>;
