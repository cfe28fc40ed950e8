import {
  createOnce,
  insertRecord,
  invalidInput,
  readAuditEntries,
  updateVersioned,
  writeAudit,
  type Database,
  type Page,
  archiveVersioned,
  isUniqueViolation,
} from '@cip/subgraph-kit';
import type { PartnerKind, SourceBasis } from '../__generated__/resolvers-types.js';

const SCHEMA = 'partners';
const ENTITY = 'Partner';

/** The stored columns an office may set, already checked (partnerInput.ts). */
export interface PartnerFields {
  name?: string;
  shortName?: string;
  kind?: PartnerKind;
  region?: string;
  sharesLandBorderWithUnitedStates?: boolean;
  source?: { document: string; section: string; basis: SourceBasis };
}

export interface NewPartner extends Required<PartnerFields> {
  id: string;
}

function toColumns(fields: PartnerFields): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (fields.name !== undefined) columns.name = fields.name;
  if (fields.shortName !== undefined) columns.short_name = fields.shortName;
  if (fields.kind !== undefined) columns.kind = fields.kind;
  if (fields.region !== undefined) columns.region = fields.region;
  if (fields.sharesLandBorderWithUnitedStates !== undefined) {
    columns.shares_land_border_with_us = fields.sharesLandBorderWithUnitedStates;
  }
  if (fields.source !== undefined) {
    columns.source_document = fields.source.document;
    columns.source_section = fields.source.section;
    columns.source_basis = fields.source.basis;
  }
  return columns;
}

/**
 * Every write of the partners office: each one transaction holding the change and its audit row,
 * so the log has exactly the committed changes.
 */
export function createPartnerWrites(db: Database) {
  async function create(actor: string, partner: NewPartner, idempotencyKey: string | null | undefined) {
    const created = db.transaction((tx) =>
      createOnce(tx, { schema: SCHEMA, operation: 'createPartner', key: idempotencyKey, input: partner }, async () => {
        const [taken] = await tx.query('SELECT 1 FROM partners.partner WHERE id = $1', [partner.id]);
        if (taken) throw invalidInput('input.id', `a partner with the id ${partner.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, 'partner', { id: partner.id, ...toColumns(partner) });
        await writeAudit(tx, SCHEMA, {
          actor,
          action: 'create',
          entityType: ENTITY,
          entityId: partner.id,
          old: null,
          new: row,
        });
        return partner.id;
      }),
    );
    // Two creates of the same id racing past the check above: the primary key refuses the second.
    return created.catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw invalidInput('input.id', `a partner with the id ${partner.id} exists already`);
      }
      throw error;
    });
  }

  async function update(actor: string, id: string, expectedVersion: number, fields: PartnerFields) {
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, {
        schema: SCHEMA,
        table: 'partner',
        id,
        expectedVersion,
        set: toColumns(fields),
      });
      await writeAudit(tx, SCHEMA, { actor, action: 'update', entityType: ENTITY, entityId: id, ...change });
    });
  }

  async function archive(actor: string, id: string, expectedVersion: number) {
    await db.transaction(async (tx) => {
      const change = await archiveVersioned(tx, {
        schema: SCHEMA,
        table: 'partner',
        id,
        expectedVersion,
        label: 'partner',
      });
      if (change.old.home_party === true) {
        throw invalidInput('id', 'the home party is a party to every agreement and cannot be archived');
      }
      await writeAudit(tx, SCHEMA, { actor, action: 'archive', entityType: ENTITY, entityId: id, ...change });
    });
  }

  function auditLog(partnerId: string | null | undefined, page: Page) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: partnerId }, page, 'partnerId');
  }

  return { create, update, archive, auditLog };
}

export type PartnerWrites = ReturnType<typeof createPartnerWrites>;
