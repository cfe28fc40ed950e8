import { identifier } from '../writes/sql.js';

/**
 * The `NOTIFY` channel an office's committed changes are announced on: one per office schema, so
 * offices sharing a store (the embedded stack) or a database never hear each other's changes.
 */
export function changeChannel(schema: string): string {
  // Checked as an identifier: the channel is named in LISTEN, which takes no parameter.
  identifier(schema);
  return `cip_changes_${schema}`;
}

/**
 * Inserts audit rows and announces each row's id on the office's channel (the parameter
 * `channelParameter` names, holding `changeChannel(schema)`), in one statement: `insertSql` is an
 * `INSERT` without `RETURNING`. The announcement is part of the write's transaction:
 * PostgreSQL delivers it only if that transaction commits, never on a rollback.
 */
export function insertAndAnnounceSql(insertSql: string, channelParameter: string): string {
  return `WITH written AS (${insertSql} RETURNING id)
     SELECT pg_notify(${channelParameter}, written.id::text) FROM written ORDER BY written.id`;
}
