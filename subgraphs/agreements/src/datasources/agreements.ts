import { badUserInput } from '@cip/core';
import {
  byIdLoader,
  childPageLoader,
  fetchPage,
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

/** The filters of the agreement list, each as the condition it puts on `a`, given its value's placeholder. */
const FILTER_CONDITIONS: {
  [Name in Exclude<keyof AgreementFilter, 'includeArchived'>]-?: (placeholder: string) => string;
} = {
  partyId: (value) => `a.id IN (SELECT agreement_id FROM agreements.agreement_party WHERE partner_id = ${value}::text)`,
  partyIdsAny: (values) =>
    `a.id IN (SELECT agreement_id FROM agreements.agreement_party WHERE partner_id = ANY(${values}::text[]))`,
  threatFocusAreaId: (value) =>
    `a.id IN (SELECT agreement_id FROM agreements.agreement_threat_focus_area WHERE threat_focus_area_id = ${value}::text)`,
  sectorId: (value) =>
    `a.id IN (SELECT agreement_id FROM agreements.agreement_sector WHERE sector_id = ${value}::text)`,
  kind: (value) => `a.kind = ${value}::text`,
  scope: (value) => `a.scope = ${value}::text`,
  // An unknown date is NULL, and NULL >= year is not true: undated agreements never match a year.
  signedOnOrAfterYear: (value) => `a.signed_year >= ${value}::int`,
};

/**
 * The WHERE clause of the agreement list, with a condition for each filter given and none for the
 * others, and the filters' values as parameters from `$3` on (`fetchPage` holds `$1` and `$2`).
 * A condition per filter given, rather than `($n IS NULL OR ...)` for every filter, lets PostgreSQL
 * plan each link filter as a semi-join on its index instead of a sub-plan run for every agreement.
 * Values are only ever parameters; the SQL text depends on which filters are given, not their values.
 */
export function agreementFilterSql(filter: AgreementFilter | null | undefined): { where: string; params: unknown[] } {
  // Archived agreements are out of the list unless asked for: a condition on the row, no parameter.
  const conditions: string[] = filter?.includeArchived === true ? [] : ['a.archived_at IS NULL'];
  const params: unknown[] = [];
  for (const name of Object.keys(FILTER_CONDITIONS) as (keyof typeof FILTER_CONDITIONS)[]) {
    const value = filter?.[name];
    if (value === null || value === undefined) continue;
    params.push(value);
    conditions.push(FILTER_CONDITIONS[name](`$${params.length + 2}`));
  }
  return { where: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
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
  const agreementsLinkedBy = ({ table, parent, column }: LinkTable) =>
    childPageLoader(
      db,
      `SELECT l.${column} AS parent_id, a.id AS sort_key, ${AGREEMENT_COLUMNS}
       FROM agreements.${table} l JOIN agreements.agreement a ON a.id = l.${parent}
       WHERE l.${column} = ANY($1) AND a.archived_at IS NULL`,
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
    const { where, params } = agreementFilterSql(filter);
    return fetchPage(
      db,
      `SELECT a.id AS sort_key, ${AGREEMENT_COLUMNS} FROM agreements.agreement a${where}`,
      params,
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
