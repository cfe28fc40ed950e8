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
  ${sourceColumn('a')}`;

const toAgreement = (row: Record<string, unknown>) => row as unknown as AgreementRow;

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

  /** One page of agreements per linked record (a partner, a focus area, a sector). */
  const agreementsLinkedBy = (table: string, column: string) =>
    childPageLoader(
      db,
      `SELECT l.${column} AS parent_id, a.id AS sort_key, ${AGREEMENT_COLUMNS}
       FROM agreements.${table} l JOIN agreements.agreement a ON a.id = l.agreement_id
       WHERE l.${column} = ANY($1)`,
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
    // An unknown date is NULL, and NULL >= year is not true: undated agreements never match a year.
    return fetchPage(
      db,
      `SELECT a.id AS sort_key, ${AGREEMENT_COLUMNS} FROM agreements.agreement a
       WHERE ($3::text IS NULL OR EXISTS (
           SELECT 1 FROM agreements.agreement_party p WHERE p.agreement_id = a.id AND p.partner_id = $3))
         AND ($4::text[] IS NULL OR EXISTS (
           SELECT 1 FROM agreements.agreement_party p WHERE p.agreement_id = a.id AND p.partner_id = ANY($4::text[])))
         AND ($5::text IS NULL OR EXISTS (
           SELECT 1 FROM agreements.agreement_threat_focus_area f
           WHERE f.agreement_id = a.id AND f.threat_focus_area_id = $5))
         AND ($6::text IS NULL OR EXISTS (
           SELECT 1 FROM agreements.agreement_sector s WHERE s.agreement_id = a.id AND s.sector_id = $6))
         AND ($7::text IS NULL OR a.kind = $7)
         AND ($8::text IS NULL OR a.scope = $8)
         AND ($9::int IS NULL OR a.signed_year >= $9)`,
      [
        filter?.partyId ?? null,
        filter?.partyIdsAny ?? null,
        filter?.threatFocusAreaId ?? null,
        filter?.sectorId ?? null,
        filter?.kind ?? null,
        filter?.scope ?? null,
        fromYear,
      ],
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
