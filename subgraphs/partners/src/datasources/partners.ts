import {
  byIdLoader,
  childPageLoader,
  fetchPage,
  givenFilters,
  groupLoader,
  readRecord,
  recordColumns,
  sourceColumn,
  type Page,
  type Queryable,
  type RecordRead,
} from '@cip/subgraph-kit';
import type { PartnerFilter, Source } from '../__generated__/resolvers-types.js';
import { partnerRecord } from './partnerRecord.js';

/** A partner as read: its fields (partnerRecord.ts), and what the office keeps beside them. */
export type PartnerRow = RecordRead<typeof partnerRecord> & {
  id: string;
  homeParty: boolean;
  version: number;
  archived: boolean;
};

export interface MembershipRow {
  organizationId: string;
  memberId: string;
  asOfYear: number;
  source: Source;
}

export interface PointOfContactRow {
  partnerId: string;
  name: string;
  role: string;
  email: string;
  source: Source;
}

export interface BodyRow {
  id: string;
  partnerId: string;
  name: string;
  description: string;
  advisesId: string | null;
  source: Source;
}

const PARTNER_COLUMNS = `p.id, ${recordColumns(partnerRecord, 'p')}, p.home_party AS "homeParty",
  p.version, p.archived_at IS NOT NULL AS archived`;

const BODY_COLUMNS = `b.id, b.partner_id AS "partnerId", b.name, b.description, b.advises_id AS "advisesId", ${sourceColumn('b')}`;

const toPartner = (row: Record<string, unknown>) => readRecord(partnerRecord, row) as PartnerRow;

/**
 * Every read of the partners office, batched per request: each loader answers any number of keys
 * with one SQL statement.
 */
export function createPartnersStore(db: Queryable) {
  const partnerById = byIdLoader(async (ids) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT ${PARTNER_COLUMNS} FROM partners.partner p WHERE p.id = ANY($1)`,
        [ids],
      )
    ).map(toPartner),
  );

  const bodyById = byIdLoader((ids) =>
    db.query<BodyRow>(`SELECT ${BODY_COLUMNS} FROM partners.body b WHERE b.id = ANY($1)`, [ids]),
  );

  const bodiesOf = groupLoader(
    (partnerIds) =>
      db.query<BodyRow>(`SELECT ${BODY_COLUMNS} FROM partners.body b WHERE b.partner_id = ANY($1) ORDER BY b.id`, [
        partnerIds,
      ]),
    (row) => row.partnerId,
  );

  const membershipsOf = groupLoader(
    (memberIds) =>
      db.query<MembershipRow>(
        `SELECT m.organization_id AS "organizationId", m.member_id AS "memberId", m.as_of_year AS "asOfYear", ${sourceColumn('m')}
         FROM partners.membership m WHERE m.member_id = ANY($1) ORDER BY m.organization_id`,
        [memberIds],
      ),
    (row) => row.memberId,
  );

  const membersOf = childPageLoader(
    db,
    {
      sortKey: 'p.id',
      columns: PARTNER_COLUMNS,
      from: 'partners.membership m JOIN partners.partner p ON p.id = m.member_id',
      where: ['m.organization_id = parent.id'],
      totalsSql: `SELECT m.organization_id AS parent_id, count(*)::int AS total
        FROM partners.membership m WHERE m.organization_id = ANY($1::text[]) GROUP BY 1`,
    },
    toPartner,
  );

  function listPartners(filter: PartnerFilter | null | undefined, page: Page) {
    const { where, params } = givenFilters([
      [filter?.kind, (value) => `p.kind = ${value}::text`],
      [filter?.region, (value) => `p.region = ${value}::text`],
      [filter?.sharesLandBorderWithUnitedStates, (value) => `p.shares_land_border_with_us = ${value}::boolean`],
      [
        filter?.memberOf,
        (value) => `p.id IN (SELECT m.member_id FROM partners.membership m WHERE m.organization_id = ${value}::text)`,
      ],
    ]);
    if (filter?.includeArchived !== true) where.push('p.archived_at IS NULL');
    return fetchPage(
      db,
      { sortKey: 'p.id', columns: PARTNER_COLUMNS, from: 'partners.partner p', where, params },
      page,
      toPartner,
    );
  }

  /** Restricted: the gateway asks for it only for signed-in callers. */
  const pointsOfContactOf = groupLoader(
    (partnerIds) =>
      db.query<PointOfContactRow>(
        `SELECT c.partner_id AS "partnerId", c.name, c.role, c.email, ${sourceColumn('c')}
         FROM partners.point_of_contact c WHERE c.partner_id = ANY($1) ORDER BY c.partner_id, c.position`,
        [partnerIds],
      ),
    (row) => row.partnerId,
  );

  return { partnerById, bodyById, bodiesOf, membershipsOf, membersOf, listPartners, pointsOfContactOf };
}

export type PartnersStore = ReturnType<typeof createPartnersStore>;
