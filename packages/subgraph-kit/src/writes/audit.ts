import type { VerifiedClaims } from '@cip/core';
import type { GraphQLSchema } from 'graphql';
import type { Queryable } from '../database.js';
import { mayRead, ruledFields, type RuledField } from '../fieldAccess.js';
import { callerOf } from '../gatewaySignature.js';
import { fetchPage, givenFilters, type Connection, type Page } from '../pagination.js';
import { qualified } from './sql.js';
import { changeChannel, insertAndAnnounceSql } from '../changes/channel.js';

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
 * change, after the change's row write: a change without its audit row (or the reverse) can then
 * never be committed. The row is the office's outbox of live changes (changes/): its id is
 * announced on the office's channel, heard only once the transaction commits.
 */
export async function writeAudit(tx: Queryable, schema: string, change: AuditChange): Promise<void> {
  await tx.query(
    insertAndAnnounceSql(
      `INSERT INTO ${qualified(schema, 'audit_log')} (actor, action, entity_type, entity_id, old, new)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
      '$7',
    ),
    [
      change.actor,
      change.action,
      change.entityType,
      change.entityId,
      change.old === null ? null : JSON.stringify(change.old),
      change.new === null ? null : JSON.stringify(change.new),
      changeChannel(schema),
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
  const { where, params } = givenFilters([
    [filter.entityType, (value) => `a.entity_type = ${value}::text`],
    [filter.entityId, (value) => `a.entity_id = ${value}::text`],
  ]);
  return fetchPage(
    db,
    {
      sortKey: `lpad(a.id::text, 19, '0')`,
      columns: `a.id::text AS id, a.at, a.actor, a.action, a.entity_type AS "entityType", a.entity_id AS "entityId", a.old, a.new`,
      from: `${qualified(schema, 'audit_log')} a`,
      where,
      params,
    },
    page,
    (row) => row as unknown as AuditEntry,
  );
}

/**
 * Who reads an audit log, and the office schema whose field rules its values obey: the audit scope
 * shows who changed what when, never a value the reader could not read from the record itself.
 */
export interface AuditReader {
  /** The office's subgraph schema (a resolver's `info.schema`), its SDL directives on each field. */
  schema: GraphQLSchema;
  caller: VerifiedClaims;
}

/** The reader of a resolver's request: its caller as the gateway verified it (`callerOf`). */
export function auditReaderOf(context: object, info: { schema: GraphQLSchema }): AuditReader {
  return { schema: info.schema, caller: callerOf(context) };
}

/** `internalNotes` -> `internal_notes`: the column a field is stored in, by the stores' convention. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const keyedFields = new WeakMap<ReadonlyMap<string, RuledField>, ReadonlyMap<string, RuledField>>();

/** A type's fields by the keys a stored value may name them with: the field's name and its column's. */
function fieldsByKey(reader: AuditReader, typeName: string): ReadonlyMap<string, RuledField> {
  const fields = ruledFields(reader.schema, typeName);
  let byKey = keyedFields.get(fields);
  if (!byKey) {
    byKey = new Map(
      [...fields.values()].flatMap((field) => [[columnName(field.name), field] as const, [field.name, field] as const]),
    );
    keyedFields.set(fields, byKey);
  }
  return byKey;
}

/**
 * A stored value as the reader may see it, `typeName` being its GraphQL type. Of an object, every
 * key that names a field of the type (by the field's name, `pointsOfContact`, or its column's,
 * `internal_notes`) that the reader may not see (`@authenticated`, `@requiresScopes` in the SDL) is
 * left out; the values of the fields it may see are cleaned the same way, by their own type (an
 * email inside a point of contact). Keys that name no field (`archived_at`, `source_basis`) stay.
 */
export function visibleValues(reader: AuditReader, typeName: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => visibleValues(reader, typeName, item));
  if (value === null || typeof value !== 'object') return value;
  const byKey = fieldsByKey(reader, typeName);
  if (byKey.size === 0) return value;
  const visible: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const field = byKey.get(key);
    if (!field) visible[key] = inner;
    else if (mayRead(field.rule, reader.caller)) visible[key] = visibleValues(reader, field.type.name, inner);
  }
  return visible;
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
 * GraphQL audit-entry types: ISO timestamps, old and new values as JSON text, holding only what
 * `reader` may see of the entity type (`visibleValues`: a restricted field is left out, not masked,
 * since a mask would still say whether it was set or changed).
 */
export async function readAuditEntries<IdField extends string>(
  db: Queryable,
  schema: string,
  filter: { entityType: string; entityId: string | null | undefined },
  page: Page,
  idField: IdField,
  reader: AuditReader,
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
      oldValues: entry.old === null ? null : JSON.stringify(visibleValues(reader, filter.entityType, entry.old)),
      newValues: entry.new === null ? null : JSON.stringify(visibleValues(reader, filter.entityType, entry.new)),
    }) as PresentedAuditEntry<IdField>;
  return {
    ...connection,
    edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: present(node) })),
    nodes: connection.nodes.map(present),
  };
}
