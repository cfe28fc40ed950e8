import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database } from './database.js';
import { migrate, type Migration } from './migrations.js';
import { describeEachStore } from '@cip/testing/subgraphs';

function migration(version: string, sql: string): Migration {
  return { version, name: `step_${version}`, sql, checksum: `sum-${sql}` };
}

const first = migration('001', 'CREATE TABLE office.record (id text PRIMARY KEY);');
const second = migration('002', "INSERT INTO office.record VALUES ('a'), ('b');");

describeEachStore('migrations on $kind', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.open();
  });
  afterEach(() => db.close());

  it('apply from empty, and a second run is a no-op', async () => {
    expect(await migrate(db, 'office', [first, second])).toEqual({ applied: ['001', '002'], alreadyApplied: [] });
    expect(await migrate(db, 'office', [first, second])).toEqual({ applied: [], alreadyApplied: ['001', '002'] });
    expect(await db.query('SELECT id FROM office.record ORDER BY id')).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('apply all or nothing: a failing migration leaves no trace of the run', async () => {
    const broken = migration('003', "INSERT INTO office.record VALUES ('c'); INSERT INTO office.nowhere VALUES (1);");
    await expect(migrate(db, 'office', [first, second, broken])).rejects.toThrow(/nowhere/);
    const schemas = await db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'office'");
    expect(schemas).toEqual([]);
  });

  it('refuse a migration edited after it ran', async () => {
    await migrate(db, 'office', [first]);
    const edited = { ...first, sql: `${first.sql} -- edited`, checksum: 'other' };
    await expect(migrate(db, 'office', [edited])).rejects.toThrow(/001_step_001 was changed after it was applied/);
  });

  it('let concurrent runs apply each migration once', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migrate(db, 'office', [first, second])));
    expect(results.flatMap((result) => result.applied).sort()).toEqual(['001', '002']);
    expect(await db.query('SELECT count(*)::int AS n FROM office.record')).toEqual([{ n: 2 }]);
  });
});
