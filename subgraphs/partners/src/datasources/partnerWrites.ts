import {
  createOnce,
  insertRecord,
  invalidInput,
  readAuditEntries,
  recordToColumns,
  updateVersioned,
  writeAudit,
  type AuditReader,
  type Database,
  type IdempotencyKey,
  type Page,
  archiveVersioned,
  isUniqueViolation,
} from '@cip/subgraph-kit';
import { partnerRecord, type NewPartner, type PartnerChanges } from './partnerRecord.js';

const { schema: SCHEMA, table: TABLE, entityType: ENTITY } = partnerRecord;

/**
 * Every write of the partners office: each one transaction holding the change and its audit row,
 * so the log has exactly the committed changes.
 */
export function createPartnerWrites(db: Database) {
  async function create(actor: string, partner: NewPartner, idempotencyKey: IdempotencyKey) {
    const created = db.transaction((tx) =>
      createOnce(tx, { schema: SCHEMA, operation: 'createPartner', key: idempotencyKey, input: partner }, async () => {
        const [taken] = await tx.query('SELECT 1 FROM partners.partner WHERE id = $1', [partner.id]);
        if (taken) throw invalidInput('input.id', `a partner with the id ${partner.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, TABLE, {
          id: partner.id,
          ...recordToColumns(partnerRecord, partner),
        });
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

  async function update(actor: string, id: string, expectedVersion: number, fields: PartnerChanges) {
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
        id,
        expectedVersion,
        set: recordToColumns(partnerRecord, fields),
      });
      await writeAudit(tx, SCHEMA, { actor, action: 'update', entityType: ENTITY, entityId: id, ...change });
    });
  }

  async function archive(actor: string, id: string, expectedVersion: number) {
    await db.transaction(async (tx) => {
      const change = await archiveVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
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

  /** One page of the audit log (one partner's when given), as `reader` may see it. */
  function auditLog(partnerId: string | null | undefined, page: Page, reader: AuditReader) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: partnerId }, page, 'partnerId', reader);
  }

  return { create, update, archive, auditLog };
}

export type PartnerWrites = ReturnType<typeof createPartnerWrites>;
