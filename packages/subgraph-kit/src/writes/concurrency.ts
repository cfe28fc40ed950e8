import { codedError } from '@cip/core';
import type { Queryable } from '../database.js';
import { identifier, qualified } from './sql.js';
import { invalidInput } from './validation.js';

/** A record as its table row (column names), as the audit log stores it. */
export type RecordRow = Record<string, unknown> & { version: number };

export interface RecordChange {
  old: RecordRow;
  new: RecordRow;
}

export interface VersionedUpdate {
  schema: string;
  table: string;
  id: string;
  /** The version the caller read; the update applies only if the record is still at it. */
  expectedVersion: number;
  /** Column name → new value. `version` is bumped by the kit, never set here. */
  set: Readonly<Record<string, unknown>>;
  /** The input path of the id, for the error when no record has it (default `id`). */
  idField?: string;
}

/** The `CONFLICT` a stale write gets: nothing was written, the caller must read again. */
export function staleVersion(entity: string, id: string, expectedVersion: number, currentVersion: number) {
  return codedError(
    'CONFLICT',
    `${entity} ${id} is at version ${currentVersion}, not ${expectedVersion}: it changed since you read it. Read it again and reapply your change.`,
    { extensions: { expectedVersion, currentVersion } },
  );
}

/**
 * Optimistic concurrency: `UPDATE ... WHERE id = $1 AND version = $2`, bumping the version, inside
 * the caller's transaction. The row is read `FOR UPDATE` first so the audit log gets the exact
 * values it replaced: a concurrent writer of the same row waits for this transaction, then sees
 * the new version and gets `CONFLICT`. Exactly one of N writers with the same version wins.
 */
export async function updateVersioned(tx: Queryable, update: VersionedUpdate): Promise<RecordChange> {
  const table = qualified(update.schema, update.table);
  const [current] = await tx.query<{ row: RecordRow }>(
    `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.id = $1 FOR UPDATE`,
    [update.id],
  );
  if (!current) throw invalidInput(update.idField ?? 'id', `no ${update.table} has the id ${update.id}`);
  if (current.row.version !== update.expectedVersion) {
    throw staleVersion(update.table, update.id, update.expectedVersion, current.row.version);
  }
  const columns = Object.keys(update.set).filter((column) => column !== 'version');
  const assignments = columns.map((column, index) => `${identifier(column)} = $${index + 3}`);
  const [updated] = await tx.query<{ row: RecordRow }>(
    `UPDATE ${table} t SET ${[...assignments, 'version = t.version + 1'].join(', ')}
     WHERE t.id = $1 AND t.version = $2 RETURNING to_jsonb(t) AS row`,
    [update.id, update.expectedVersion, ...columns.map((column) => update.set[column])],
  );
  // Unreachable while the row lock holds; kept so a lost race can never pass silently.
  if (!updated) throw staleVersion(update.table, update.id, update.expectedVersion, current.row.version + 1);
  return { old: current.row, new: updated.row };
}

/** PostgreSQL's unique_violation: a primary key or unique index refused a row another write made first. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/**
 * Archives a record at `expectedVersion` (`archived_at` set, version bumped), refusing one archived
 * already. Inside the caller's transaction, so a check the caller makes afterwards rolls it back too.
 */
export async function archiveVersioned(
  tx: Queryable,
  target: { schema: string; table: string; id: string; expectedVersion: number; label: string },
): Promise<RecordChange> {
  const { schema, table, id, expectedVersion, label } = target;
  const change = await updateVersioned(tx, {
    schema,
    table,
    id,
    expectedVersion,
    set: { archived_at: new Date().toISOString() },
  });
  if (change.old.archived_at !== null) throw invalidInput('id', `${label} ${id} is archived already`);
  return change;
}

/** Inserts one record (its `version` starts at the column default, 1); returns the stored row. */
export async function insertRecord(
  tx: Queryable,
  schema: string,
  table: string,
  values: Readonly<Record<string, unknown>>,
): Promise<RecordRow> {
  const columns = Object.keys(values);
  const [inserted] = await tx.query<{ row: RecordRow }>(
    `INSERT INTO ${qualified(schema, table)} AS t (${columns.map(identifier).join(', ')})
     VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')}) RETURNING to_jsonb(t) AS row`,
    columns.map((column) => values[column]),
  );
  return inserted!.row;
}
