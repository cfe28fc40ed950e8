import { createHash } from 'node:crypto';
import { codedError } from '@cip/core';
import type { Queryable } from '../database.js';
import { keyOwnerOf } from './actor.js';
import { qualified } from './sql.js';

/**
 * A create's idempotency key: the client's value, and whose it is (`keyOwnerOf`). The same value
 * from another caller is another key: it creates anew, or conflicts with that caller's own create,
 * and never answers with the record someone else made.
 */
export interface IdempotencyKey {
  /** The client's key; null or absent creates without one. */
  value: string | null | undefined;
  owner: string;
}

/** The key a create's `idempotencyKey` argument names, owned by the request's caller. */
export function idempotencyKeyOf(context: object, value: string | null | undefined): IdempotencyKey {
  return { value, owner: keyOwnerOf(context) };
}

export interface IdempotentCreate {
  schema: string;
  /** The mutation, e.g. `createPartner`: a key is unique per operation and owner. */
  operation: string;
  key: IdempotencyKey;
  /** The create's input: the same key with different input is refused. */
  input: unknown;
}

export interface CreateOutcome {
  id: string;
  /** True when the key had been used already: nothing was created, the first result is returned. */
  replayed: boolean;
}

/** JSON with object keys sorted, so the same input always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, entry]) => `${JSON.stringify(name)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/**
 * The id a create with this key already made from the same input, read without a lock, or null: a
 * retried create can answer before asking other offices (a record it links may have been archived
 * since, or an office be down). Anything else goes through `createOnce`, which decides under its lock.
 */
export async function earlierCreate(db: Queryable, request: IdempotentCreate): Promise<string | null> {
  const { value, owner } = request.key;
  if (value === null || value === undefined) return null;
  const [earlier] = await db.query<{ requestHash: string; resultId: string | null }>(
    `SELECT request_hash AS "requestHash", result_id AS "resultId" FROM ${qualified(request.schema, 'idempotency_key')}
     WHERE operation = $1 AND owner = $2 AND key = $3`,
    [request.operation, owner, value],
  );
  return earlier?.resultId && earlier.requestHash === requestHash(request.input) ? earlier.resultId : null;
}

/**
 * Runs `create` at most once per (operation, owner, key), inside the caller's transaction. The key row is
 * inserted first (`ON CONFLICT DO NOTHING`): a concurrent create with the same key waits on that
 * row until this transaction ends, then finds it and replays its result, so two retries racing
 * each other still create one record. The same key with different input is a `CONFLICT`
 * (the client reused a key for another create; a new key is what it needs).
 */
export async function createOnce(
  tx: Queryable,
  request: IdempotentCreate,
  create: () => Promise<string>,
): Promise<CreateOutcome> {
  const { value, owner } = request.key;
  if (value === null || value === undefined) return { id: await create(), replayed: false };
  const table = qualified(request.schema, 'idempotency_key');
  const hash = requestHash(request.input);
  const claimed = await tx.query(
    `INSERT INTO ${table} (key, owner, operation, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (operation, owner, key) DO NOTHING RETURNING key`,
    [value, owner, request.operation, hash],
  );
  if (claimed.length === 0) {
    const [earlier] = await tx.query<{ requestHash: string; resultId: string }>(
      `SELECT request_hash AS "requestHash", result_id AS "resultId" FROM ${table}
       WHERE operation = $1 AND owner = $2 AND key = $3`,
      [request.operation, owner, value],
    );
    if (!earlier || earlier.requestHash !== hash) {
      throw codedError(
        'CONFLICT',
        `The idempotency key was already used for a ${request.operation} with different input: use a new key for a different create.`,
        { extensions: { field: 'idempotencyKey' } },
      );
    }
    return { id: earlier.resultId, replayed: true };
  }
  const id = await create();
  await tx.query(`UPDATE ${table} SET result_id = $4 WHERE operation = $1 AND owner = $2 AND key = $3`, [
    request.operation,
    owner,
    value,
    id,
  ]);
  return { id, replayed: false };
}
