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

/** The name a link's counts go by in `agreements.linked_agreement_count` (migration 008): `party` for `agreement_party`. */
const countedLink = ({ table }: LinkTable) => table.replace(/^agreement_/, '');

/**
 * How many agreements in use each record in `$1` (a text[]) has through a link, as `parent_id`
 * and `total`: counts kept by the store's triggers on every write (migration 008), so a count of
 * thousands is one row read.
 */
function countedPerRecord(link: LinkTable): string {
  return `SELECT c.record_id AS parent_id, c.total FROM agreements.linked_agreement_count c
    WHERE c.link = '${countedLink(link)}' AND c.record_id = ANY($1::text[])`;
}

/**
 * The count of a list filtered by one link alone, value `$1`: the kept count of the record for
 * agreements in use; otherwise (archived ones too, or links to any of several records) the links
 * counted on their own index, less the archived agreements' links where those are left out.
 */
function linkedAgreementCount(
  filter: keyof typeof LINK_FILTERS,
  { link, matches }: (typeof LINK_FILTERS)[keyof typeof LINK_FILTERS],
  includeArchived: boolean,
): string {
  if (filter !== 'partyIdsAny' && !includeArchived) {
    return `SELECT COALESCE((SELECT c.total FROM agreements.linked_agreement_count c
      WHERE c.link = '${countedLink(link)}' AND c.record_id = $1::text), 0) AS total`;
  }
  // Links to any of several records together may name an agreement twice.
  const count = filter === 'partyIdsAny' ? `count(DISTINCT l.${link.parent})::int` : 'count(*)::int';
  const linked = `SELECT ${count} AS total FROM agreements.${link.table} l WHERE l.${link.column} ${matches('$1')}`;
  if (includeArchived) return linked;
  return `SELECT (${linked}) - (SELECT ${count} AS total
    FROM agreements.agreement a JOIN agreements.${link.table} l ON l.${link.parent} = a.id
    WHERE a.archived_at IS NOT NULL AND l.${link.column} ${matches('$1')}) AS total`;
}

/**
 * The agreement list's conditions, a condition for each filter given and none for the others
 * (givenFilters), their values as parameters from `$1` on, and where one is cheaper than counting
 * the matching rows (one link filter alone, one year filter alone, none), the count's statement.
 */
export function agreementFilterSql(filter: AgreementFilter | null | undefined): {
  where: string[];
  params: unknown[];
  totalSql?: string;
} {
  const includeArchived = filter?.includeArchived === true;
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
  const given = (Object.keys(filter ?? {}) as (keyof AgreementFilter)[]).filter(
    (name) => name !== 'includeArchived' && filter?.[name] !== null && filter?.[name] !== undefined,
  );
  const [only] = given;
  if (given.length > 1) return { where, params };
  if (only !== undefined && only in LINK_FILTERS) {
    const name = only as keyof typeof LINK_FILTERS;
    return { where, params, totalSql: linkedAgreementCount(name, LINK_FILTERS[name], includeArchived) };
  }
  if (includeArchived || (only !== undefined && only !== 'signedOnOrAfterYear')) return { where, params };
  // Agreements in use signed since a year, or all of them: the kept counts per year (undated under 0).
  const since = only === undefined ? '' : ' WHERE c.signed_year >= $1::int';
  const totalSql = `SELECT COALESCE(sum(c.total), 0)::int AS total FROM agreements.agreement_year_count c${since}`;
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
        totalsSql: countedPerRecord(link),
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

  /** Whether the agreement `id` matches `filter` as stored now (a live change's filter, Subscription.ts). */
  async function matchesFilter(id: string, filter: AgreementFilter): Promise<boolean> {
    const { where, params } = agreementFilterSql(filter);
    const rows = await db.query(
      `SELECT 1 FROM agreements.agreement a WHERE ${[...where, `a.id = $${params.length + 1}`].join(' AND ')}`,
      [...params, id],
    );
    return rows.length > 0;
  }

  return {
    agreementById,
    matchesFilter,
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
