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
