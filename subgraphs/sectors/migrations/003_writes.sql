-- Offices edit their sectors through the graph (docs/writes.md): every sector carries a version for
-- optimistic concurrency (a change of its dependencies names the version it read). The idempotency
-- keys and the audit log are the writes kit's tables (writeTablesSql in @cip/subgraph-kit).
ALTER TABLE sectors.sector ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1);
CREATE TABLE "sectors"."idempotency_key" (
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  operation text NOT NULL,
  request_hash text NOT NULL,
  result_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, key)
);
CREATE TABLE "sectors"."audit_log" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  old jsonb,
  new jsonb
);
CREATE INDEX audit_log_entity_idx ON "sectors"."audit_log" (entity_type, entity_id, id);
