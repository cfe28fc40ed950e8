import type { Queryable } from '../database.js';
import { peersOf } from '../writes/peers.js';
import { identifier, qualified } from '../writes/sql.js';
import type { LocalReference, PeerReference } from './spec.js';

/** Which of these ids (or texts) a table of the office's own schema holds, in its reference column: one statement. */
export async function knownLocally(
  db: Queryable,
  schema: string,
  reference: LocalReference,
  ids: readonly string[],
): Promise<Set<string>> {
  const column = identifier(reference.column);
  const rows = await db.query<{ id: string }>(
    `SELECT ${column} AS id FROM ${qualified(schema, reference.table)} WHERE ${column} = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((row) => row.id));
}

/** Which of these ids the office that owns them knows: one entity lookup (the request's `peersOf`). */
export async function knownByPeer(
  context: object,
  reference: PeerReference,
  ids: readonly string[],
): Promise<Set<string>> {
  const answers = await peersOf(context).lookup(reference.office, reference.entity, ids, 'id');
  return new Set(ids.filter((_, index) => answers[index] !== null && answers[index] !== undefined));
}
