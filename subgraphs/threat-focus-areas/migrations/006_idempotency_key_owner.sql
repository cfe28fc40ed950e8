-- Idempotency keys belong to their caller (docs/writes.md): a key is unique per operation, owner
-- and value, so the same key from another caller is another key and never answers with this
-- caller's record. The owner is `subject:<sub>`, or `anonymous` for callers without a subject.
-- A key made before is given to the caller its create's audit row names, so a retry that spans this
-- migration still replays. (writes kit: idempotencyKeyOwnerSql)
ALTER TABLE "threat_focus_areas"."idempotency_key" ADD COLUMN owner text NOT NULL DEFAULT '';
UPDATE "threat_focus_areas"."idempotency_key" k
  SET owner = CASE WHEN a.actor = 'anonymous' THEN 'anonymous' ELSE 'subject:' || a.actor END
  FROM "threat_focus_areas"."audit_log" a
  WHERE a.action = 'create' AND a.entity_id = k.result_id;
ALTER TABLE "threat_focus_areas"."idempotency_key" ALTER COLUMN owner DROP DEFAULT;
ALTER TABLE "threat_focus_areas"."idempotency_key" DROP CONSTRAINT idempotency_key_pkey;
ALTER TABLE "threat_focus_areas"."idempotency_key" ADD PRIMARY KEY (operation, owner, key);
