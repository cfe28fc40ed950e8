import { badUserInput } from '@cip/core';
import {
  byIdLoader,
  childPageLoader,
  fetchPage,
  groupLoader,
  sourceColumn,
  type Page,
  type Queryable,
} from '@cip/subgraph-kit';
import type {
  AgreementFilter,
  AgreementKind,
  AgreementScope,
  NegotiationStatus,
  PartialDate,
  Source,
} from '../__generated__/resolvers-types.js';

export interface AgreementRow {
  id: string;
  title: string;
  shortTitle: string | null;
  kind: AgreementKind;
  scope: AgreementScope;
  signed: PartialDate;
  purpose: string;
  source: Source;
  internalNotes: string | null;
  negotiationStatus: NegotiationStatus | null;
  version: number;
  archived: boolean;
}

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

export const EARLIEST_SIGNED_YEAR = 1900;
export const LATEST_SIGNED_YEAR = 2100;

// The date is built where the columns are, so every reader of an agreement gets the same text;
// `FMMonth` is the English month name whatever the server's locale, without padding.
const SIGNED_COLUMN = `json_build_object(
    'year', a.signed_year,
    'month', a.signed_month,
    'precision', CASE WHEN a.signed_month IS NOT NULL THEN 'MONTH' WHEN a.signed_year IS NOT NULL THEN 'YEAR' ELSE 'UNKNOWN' END,
    'text', CASE
      WHEN a.signed_month IS NOT NULL THEN to_char(make_date(a.signed_year, a.signed_month, 1), 'FMMonth') || ' ' || a.signed_year
      WHEN a.signed_year IS NOT NULL THEN a.signed_year::text
      ELSE 'unknown' END
  ) AS signed`;

const AGREEMENT_COLUMNS = `a.id, a.title, a.short_title AS "shortTitle", a.kind, a.scope, ${SIGNED_COLUMN}, a.purpose,
  ${sourceColumn('a')}, a.internal_notes AS "internalNotes", a.negotiation_status AS "negotiationStatus",
  a.version, a.archived_at IS NOT NULL AS archived`;

const toAgreement = (row: Record<string, unknown>) => row as unknown as AgreementRow;

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
  const agreementById = byIdLoader((ids) =>
    db.query<AgreementRow>(`SELECT ${AGREEMENT_COLUMNS} FROM agreements.agreement a WHERE a.id = ANY($1)`, [ids]),
  );

  /** The ids one link table holds for each agreement, ordered by id. */
  const linksOf = (table: string, column: string) =>
    groupLoader(
      (agreementIds) =>
        db.query<LinkRow>(
          `SELECT l.agreement_id AS "agreementId", l.${column} AS id FROM agreements.${table} l
           WHERE l.agreement_id = ANY($1) ORDER BY l.${column}`,
          [agreementIds],
        ),
      (row) => row.agreementId,
    );

  const partiesOf = linksOf('agreement_party', 'partner_id');
  const focusAreasOf = linksOf('agreement_threat_focus_area', 'threat_focus_area_id');
  const sectorsOf = linksOf('agreement_sector', 'sector_id');

  /** One page of agreements in use per linked record (a partner, a focus area, a sector): archived ones are left out. */
  const agreementsLinkedBy = (table: string, column: string) =>
    childPageLoader(
      db,
      `SELECT l.${column} AS parent_id, a.id AS sort_key, ${AGREEMENT_COLUMNS}
       FROM agreements.${table} l JOIN agreements.agreement a ON a.id = l.agreement_id
       WHERE l.${column} = ANY($1) AND a.archived_at IS NULL`,
      toAgreement,
    );

  const agreementsOfParty = agreementsLinkedBy('agreement_party', 'partner_id');
  const agreementsOfFocusArea = agreementsLinkedBy('agreement_threat_focus_area', 'threat_focus_area_id');
  const agreementsOfSector = agreementsLinkedBy('agreement_sector', 'sector_id');

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
