import { loadSubgraphModules } from '@cip/stack';
import { idempotencyKeyOwnerSql, migrate, readMigrations, type Database } from '@cip/subgraph-kit';
import { describeEachStore } from '@cip/testing/subgraphs';
import { afterEach, describe, expect, it } from 'vitest';

const OFFICES = ['partners', 'agreements', 'sectors', 'threat-focus-areas'];

describe("the offices' copies of the writes kit's idempotency-key-owner migration", () => {
  it.each(OFFICES)('%s: the text the kit gives (idempotencyKeyOwnerSql)', async (name) => {
    const office = (await loadSubgraphModules()).find((module) => module.name === name)!;
    const migration = (await readMigrations(office.migrationsDirectory)).find(
      (candidate) => candidate.name === 'idempotency_key_owner',
    );
    expect(migration?.sql).toBe(idempotencyKeyOwnerSql(office.storeSchema));
  });
});

/**
 * Every office's migration that makes idempotency keys their caller's gives a key made before it to
 * the caller its create's audit row names, so a retry that spans the upgrade still replays.
 */
describeEachStore('idempotency keys made before they had owners, on $kind', (store) => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it.each(OFFICES)('%s: each earlier key goes to the caller its create was audited for', async (name) => {
    const office = (await loadSubgraphModules()).find((module) => module.name === name)!;
    const migrations = await readMigrations(office.migrationsDirectory);
    const owners = migrations.findIndex((migration) => migration.name === 'idempotency_key_owner');
    expect(owners).toBeGreaterThan(0);
    db = await store.open();
    await migrate(db, office.storeSchema, migrations.slice(0, owners));
    const schema = office.storeSchema;
    for (const [key, id, actor] of [
      ['key-a', 'made-by-alice', 'alice'],
      ['key-b', 'made-anonymously', 'anonymous'],
    ] as const) {
      await db.query(
        `INSERT INTO ${schema}.idempotency_key (key, operation, request_hash, result_id) VALUES ($1, 'createThing', 'hash', $2)`,
        [key, id],
      );
      await db.query(
        `INSERT INTO ${schema}.audit_log (actor, action, entity_type, entity_id, old, new) VALUES ($1, 'create', 'Thing', $2, NULL, '{}')`,
        [actor, id],
      );
    }
    await migrate(db, schema, migrations);
    const rows = await db.query<{ key: string; owner: string }>(
      `SELECT key, owner FROM ${schema}.idempotency_key ORDER BY key`,
    );
    expect(rows).toEqual([
      { key: 'key-a', owner: 'subject:alice' },
      { key: 'key-b', owner: 'anonymous' },
    ]);
    // The same key value is free for another owner.
    await db.query(
      `INSERT INTO ${schema}.idempotency_key (key, owner, operation, request_hash) VALUES ('key-a', 'subject:bob', 'createThing', 'hash')`,
    );
  });
});
