import type { Queryable } from '../database.js';
import { fetchPage, type Connection, type Page } from '../pagination.js';
import { qualified } from './sql.js';

export interface AuditChange {
  actor: string;
  /** What happened, e.g. `create`, `update`, `archive`. */
  action: string;
  entityType: string;
  entityId: string;
  /** The record before the change (null for a create) and after it (null for a delete). */
  old: Record<string, unknown> | null;
  new: Record<string, unknown> | null;
}

export interface AuditEntry extends AuditChange {
  id: string;
  at: Date;
}

/**
 * Writes one audit row. Call it with the transaction's handle, in the same transaction as the
 * change: a change without its audit row (or the reverse) can then never be committed.
 */
export async function writeAudit(tx: Queryable, schema: string, change: AuditChange): Promise<void> {
  await tx.query(
    `INSERT INTO ${qualified(schema, 'audit_log')} (actor, action, entity_type, entity_id, old, new)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    [
      change.actor,
      change.action,
      change.entityType,
      change.entityId,
      change.old === null ? null : JSON.stringify(change.old),
      change.new === null ? null : JSON.stringify(change.new),
    ],
  );
}

export interface AuditFilter {
  entityType?: string | null;
  entityId?: string | null;
}

/** The audit log, oldest first, a page at a time (cursor = the row id, zero-padded so it sorts). */
export function readAuditLog(
  db: Queryable,
  schema: string,
  filter: AuditFilter,
  page: Page,
): Promise<Connection<AuditEntry>> {
  return fetchPage(
    db,
    `SELECT lpad(a.id::text, 19, '0') AS sort_key, a.id::text AS id, a.at, a.actor, a.action,
       a.entity_type AS "entityType", a.entity_id AS "entityId", a.old, a.new
     FROM ${qualified(schema, 'audit_log')} a
     WHERE ($3::text IS NULL OR a.entity_type = $3) AND ($4::text IS NULL OR a.entity_id = $4)`,
    [filter.entityType ?? null, filter.entityId ?? null],
    page,
    (row) => row as unknown as AuditEntry,
  );
}

/** An audit entry as the offices' `<Entity>AuditEntry` types show it, the entity's id under `idField`. */
export type PresentedAuditEntry<IdField extends string> = {
  id: string;
  at: string;
  actor: string;
  action: string;
  oldValues: string | null;
  newValues: string | null;
} & Record<IdField, string>;

/**
 * One page of an entity type's audit log (one entity's when `entityId` is given), shaped for the
 * GraphQL audit-entry types: ISO timestamps, old and new values as JSON text.
 */
export async function readAuditEntries<IdField extends string>(
  db: Queryable,
  schema: string,
  filter: { entityType: string; entityId: string | null | undefined },
  page: Page,
  idField: IdField,
): Promise<Connection<PresentedAuditEntry<IdField>>> {
  const connection = await readAuditLog(
    db,
    schema,
    { entityType: filter.entityType, entityId: filter.entityId ?? null },
    page,
  );
  const present = (entry: AuditEntry) =>
    ({
      id: entry.id,
      at: new Date(entry.at).toISOString(),
      actor: entry.actor,
      action: entry.action,
      [idField]: entry.entityId,
      oldValues: entry.old === null ? null : JSON.stringify(entry.old),
      newValues: entry.new === null ? null : JSON.stringify(entry.new),
    }) as PresentedAuditEntry<IdField>;
  return {
    ...connection,
    edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: present(node) })),
    nodes: connection.nodes.map(present),
  };
}
