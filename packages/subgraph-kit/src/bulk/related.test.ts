import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Database, Queryable } from '../database.js';
import { describeEachStore } from '@cip/testing/subgraphs';
import { readAuditLog } from '../writes/audit.js';
import { writeTablesSql } from '../writes/sql.js';
import { addRelatedList, bulkExport, bulkImport } from './bulk.js';
import type { BulkFormat, BulkRecordSpec, RelatedLists } from './spec.js';

const SCHEMA = 'kit_bulk_related';

// A box with two lists kept in child tables: its labels (a set) and its steps (in order, by position).
const tablesSql = `CREATE SCHEMA ${SCHEMA};
  CREATE TABLE ${SCHEMA}.box (id text PRIMARY KEY, name text NOT NULL, version int NOT NULL DEFAULT 1);
  CREATE TABLE ${SCHEMA}.box_label (
    box_id text NOT NULL REFERENCES ${SCHEMA}.box (id),
    label text NOT NULL,
    PRIMARY KEY (box_id, label)
  );
  CREATE TABLE ${SCHEMA}.box_step (
    box_id text NOT NULL REFERENCES ${SCHEMA}.box (id),
    step text NOT NULL,
    position int NOT NULL,
    PRIMARY KEY (box_id, position)
  );
  ${writeTablesSql(SCHEMA)}`;

/** The ids each `readRelated` call was given: one call per import or export, with every id at once. */
let readCalls: string[][] = [];

async function readBoxLists(db: Queryable, ids: readonly string[]): Promise<RelatedLists> {
  readCalls.push([...ids]);
  const lists: RelatedLists = new Map();
  addRelatedList(
    lists,
    'labels',
    await db.query<{ id: string; items: string[] }>(
      `SELECT box_id AS id, array_agg(label ORDER BY label) AS items FROM ${SCHEMA}.box_label
       WHERE box_id = ANY($1::text[]) GROUP BY box_id`,
      [ids],
    ),
  );
  addRelatedList(
    lists,
    'steps',
    await db.query<{ id: string; items: string[] }>(
      `SELECT box_id AS id, array_agg(step ORDER BY position) AS items FROM ${SCHEMA}.box_step
       WHERE box_id = ANY($1::text[]) GROUP BY box_id`,
      [ids],
    ),
  );
  return lists;
}

const spec: BulkRecordSpec = {
  entityType: 'Box',
  schema: SCHEMA,
  table: 'box',
  fields: {
    name: { kind: 'text', column: 'name', required: true },
    labels: { kind: 'list', related: true, ordered: false },
    steps: { kind: 'list', related: true, ordered: true },
  },
  readRelated: readBoxLists,
  async writeRelated(tx, records) {
    const ids = records.map((record) => record.id);
    await tx.query(`DELETE FROM ${SCHEMA}.box_label WHERE box_id = ANY($1::text[])`, [ids]);
    await tx.query(`DELETE FROM ${SCHEMA}.box_step WHERE box_id = ANY($1::text[])`, [ids]);
    const labels = records.flatMap((record) =>
      (record.values.labels as string[]).map((label) => ({ box_id: record.id, label })),
    );
    const steps = records.flatMap((record) =>
      (record.values.steps as string[]).map((step, index) => ({ box_id: record.id, step, position: index + 1 })),
    );
    await tx.query(
      `INSERT INTO ${SCHEMA}.box_label SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(box_id text, label text)`,
      [JSON.stringify(labels)],
    );
    await tx.query(
      `INSERT INTO ${SCHEMA}.box_step
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(box_id text, step text, position int)`,
      [JSON.stringify(steps)],
    );
  },
};

const importAs = (db: Database, format: BulkFormat, content: string) =>
  bulkImport(db, spec, { format, content, actor: 'importer', context: {} });

const SEED = 'id,name,labels,steps\r\nalpha,Alpha,red;blue,open;fill;close\r\nbeta,Beta,,\r\n';

describeEachStore('bulk lists kept in child tables on $kind', (store) => {
  let db: Database;
  beforeAll(async () => {
    db = await store.open();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; ${tablesSql}`);
    expect(await importAs(db, 'CSV', SEED)).toMatchObject({ applied: true, created: 2, errors: [] });
    readCalls = [];
  });

  it('writes the lists through writeRelated, not the entity table, and exports them from readRelated', async () => {
    expect(await db.query(`SELECT box_id, label FROM ${SCHEMA}.box_label ORDER BY label`)).toEqual([
      { box_id: 'alpha', label: 'blue' },
      { box_id: 'alpha', label: 'red' },
    ]);
    // The set is exported sorted, the ordered list in its stored order; no list is empty, not absent.
    expect(await bulkExport(db, spec, 'CSV')).toBe(
      'id,name,labels,steps,version\r\nalpha,Alpha,blue;red,open;fill;close,1\r\nbeta,Beta,,,1\r\n',
    );
    expect(await bulkExport(db, spec, 'JSON')).toBe(
      '[\n{"id":"alpha","name":"Alpha","labels":["blue","red"],"steps":["open","fill","close"],"version":1},\n' +
        '{"id":"beta","name":"Beta","labels":[],"steps":[],"version":1}\n]\n',
    );
    expect(readCalls).toEqual([
      ['alpha', 'beta'],
      ['alpha', 'beta'],
    ]);
  });

  it('counts a set in another order as unchanged, and an ordered list in another order as a change', async () => {
    const report = await importAs(
      db,
      'CSV',
      'id,name,labels,steps\nalpha,Alpha,red;blue,open;fill;close\nbeta,Beta,,\ngamma,Gamma,x,y\n',
    );
    expect(report).toMatchObject({ applied: true, created: 1, updated: 0, unchanged: 2, errors: [] });
    // The stored lists are read once for every stored record the file names.
    expect(readCalls).toEqual([['alpha', 'beta']]);

    const reordered = await importAs(db, 'CSV', 'id,name,labels,steps\nalpha,Alpha,blue;red,fill;open;close\n');
    expect(reordered).toMatchObject({ applied: true, updated: 1, unchanged: 0, errors: [] });
    const versions = await db.query<{ id: string; version: number }>(
      `SELECT id, version FROM ${SCHEMA}.box ORDER BY id`,
    );
    expect(versions).toEqual([
      { id: 'alpha', version: 2 },
      { id: 'beta', version: 1 },
      { id: 'gamma', version: 1 },
    ]);
  });

  it('audits the lists under their field names: old as stored, new as written', async () => {
    const report = await importAs(
      db,
      'JSON',
      JSON.stringify([{ id: 'alpha', name: 'Alpha', labels: ['green', 'blue'] }]),
    );
    expect(report).toMatchObject({ applied: true, updated: 1, errors: [] });
    const audit = (await readAuditLog(db, SCHEMA, { entityType: 'Box' }, { size: 100, afterKey: null })).nodes;
    const update = audit.at(-1)!;
    expect([update.action, update.entityId]).toEqual(['update', 'alpha']);
    expect(update.old).toEqual({
      id: 'alpha',
      name: 'Alpha',
      version: 1,
      labels: ['blue', 'red'],
      steps: ['open', 'fill', 'close'],
    });
    expect(update.new).toEqual({ id: 'alpha', name: 'Alpha', version: 2, labels: ['blue', 'green'], steps: [] });
    expect(audit[0]!.new).toMatchObject({ id: 'alpha', labels: ['blue', 'red'] });
  });

  it('refuses a spec with a related list it cannot read', async () => {
    const withoutReader: BulkRecordSpec = { ...spec };
    delete withoutReader.readRelated;
    await expect(bulkExport(db, withoutReader, 'CSV')).rejects.toThrow(/need readRelated and writeRelated/);
    await expect(
      bulkImport(db, withoutReader, { format: 'CSV', content: SEED, actor: 'importer', context: {} }),
    ).rejects.toThrow(/need readRelated and writeRelated/);
  });
});
