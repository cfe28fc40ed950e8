/** Quotes a table or column name after checking it is a plain lower-case identifier (never user input). */
export function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Invalid SQL identifier ${name}`);
  return `"${name}"`;
}

/** `schema.table`, each part checked and quoted. */
export function qualified(schema: string, table: string): string {
  return `${identifier(schema)}.${identifier(table)}`;
}

/** The longest idempotency key a create takes (the key column's check below). */
export const IDEMPOTENCY_KEY_MAX = 200;

/**
 * The kit's tables for one office schema: idempotency keys and the audit log. An office copies this
 * SQL into one of its migrations (migrations are checksummed files, so the kit does not run it);
 * the kit's tests create them from here.
 */
export function writeTablesSql(schema: string): string {
  const keys = qualified(schema, 'idempotency_key');
  const audit = qualified(schema, 'audit_log');
  return `
CREATE TABLE ${keys} (
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND ${IDEMPOTENCY_KEY_MAX}),
  owner text NOT NULL,
  operation text NOT NULL,
  request_hash text NOT NULL,
  result_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, owner, key)
);
CREATE TABLE ${audit} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  old jsonb,
  new jsonb
);
CREATE INDEX audit_log_entity_idx ON ${audit} (entity_type, entity_id, id);
`;
}

/**
 * The migration that gives an office's idempotency keys their owner (idempotency.ts): a key is
 * unique per operation, owner and value, and a key made before is given to the caller its create's
 * audit row names. Each office copies it as `00N_idempotency_key_owner.sql` (checksummed, like the
 * tables above); test/idempotency-key-owner.test.ts holds the copies to this text.
 */
export function idempotencyKeyOwnerSql(schema: string): string {
  const keys = qualified(schema, 'idempotency_key');
  return `-- Idempotency keys belong to their caller (docs/writes.md): a key is unique per operation, owner
-- and value, so the same key from another caller is another key and never answers with this
-- caller's record. The owner is \`subject:<sub>\`, or \`anonymous\` for callers without a subject.
-- A key made before is given to the caller its create's audit row names, so a retry that spans this
-- migration still replays. (writes kit: idempotencyKeyOwnerSql)
ALTER TABLE ${keys} ADD COLUMN owner text NOT NULL DEFAULT '';
UPDATE ${keys} k
  SET owner = CASE WHEN a.actor = 'anonymous' THEN 'anonymous' ELSE 'subject:' || a.actor END
  FROM ${qualified(schema, 'audit_log')} a
  WHERE a.action = 'create' AND a.entity_id = k.result_id;
ALTER TABLE ${keys} ALTER COLUMN owner DROP DEFAULT;
ALTER TABLE ${keys} DROP CONSTRAINT idempotency_key_pkey;
ALTER TABLE ${keys} ADD PRIMARY KEY (operation, owner, key);
`;
}
