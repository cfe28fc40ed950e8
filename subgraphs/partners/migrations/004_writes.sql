-- Offices edit their partners through the graph (docs/writes.md): every partner carries a version
-- for optimistic concurrency (an update names the version it read) and can be archived rather than
-- deleted, since agreements of other offices refer to partners by id. The idempotency keys of
-- creates and the audit log are the writes kit's tables (writeTablesSql in @cip/subgraph-kit).
ALTER TABLE partners.partner ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE partners.partner ADD COLUMN archived_at timestamptz;
CREATE TABLE "partners"."idempotency_key" (
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  operation text NOT NULL,
  request_hash text NOT NULL,
  result_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation, key)
);
CREATE TABLE "partners"."audit_log" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  old jsonb,
  new jsonb
);
CREATE INDEX audit_log_entity_idx ON "partners"."audit_log" (entity_type, entity_id, id);
