import { describeEachStore } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkExport, bulkImport } from '../bulk/bulk.js';
import type { Database } from '../database.js';
import { writeTablesSql } from '../writes/sql.js';
import { readChildLists, toBulkSpec } from './bulk.js';
import { defineRecord } from './spec.js';

const SCHEMA = 'kit_records_bulk';

// A box with its owners (a set of ids, each a row of the owner table) and its steps (texts in order).
const tablesSql = `CREATE SCHEMA ${SCHEMA};
  CREATE TABLE ${SCHEMA}.owner (id text PRIMARY KEY);
  INSERT INTO ${SCHEMA}.owner (id) VALUES ('ann'), ('bob');
  CREATE TABLE ${SCHEMA}.box (
    id text PRIMARY KEY, name text NOT NULL, size int, made_year int, version int NOT NULL DEFAULT 1
  );
  CREATE TABLE ${SCHEMA}.box_owner (box_id text NOT NULL, owner_id text NOT NULL, PRIMARY KEY (box_id, owner_id));
  CREATE TABLE ${SCHEMA}.box_step (box_id text NOT NULL, step text NOT NULL, position int NOT NULL);
  ${writeTablesSql(SCHEMA)}`;

const box = defineRecord({
  entityType: 'Box',
  schema: SCHEMA,
  table: 'box',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 10 },
    size: {
      kind: 'integer',
      column: 'size',
      min: 1,
      max: 9,
      check: (size) => (size === 7 ? 'no box has size 7' : undefined),
    },
    made: { kind: 'group', fields: { year: { kind: 'integer', column: 'made_year', required: true } } },
    ownerIds: {
      kind: 'list',
      required: true,
      item: { kind: 'id', references: { table: 'owner', column: 'id', entity: 'Owner', noun: 'owner' } },
      table: { table: 'box_owner', parent: 'box_id', column: 'owner_id' },
    },
    steps: {
      kind: 'list',
      item: { kind: 'text', max: 20 },
      table: { table: 'box_step', parent: 'box_id', column: 'step', position: 'position' },
    },
  },
});

describe('toBulkSpec', () => {
  it('gives the file a field per record field, a group’s as dotted names, each with the same rules', () => {
    const spec = toBulkSpec(box);
    expect(spec).toMatchObject({ entityType: 'Box', schema: SCHEMA, table: 'box' });
    expect(spec.fields).toEqual({
      name: { kind: 'text', column: 'name', required: true, max: 10 },
      size: { kind: 'integer', column: 'size', required: false, min: 1, max: 9 },
      'made.year': { kind: 'integer', column: 'made_year', required: false },
      ownerIds: {
        kind: 'list',
        related: true,
        ordered: false,
        required: true,
        item: {
          max: 64,
          pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
          patternHint: 'an id: lower-case words joined by hyphens',
        },
      },
      steps: { kind: 'list', related: true, ordered: true, required: false, item: { max: 20 } },
    });
    expect(spec.references?.map(({ field, entity }) => [field, entity])).toEqual([['ownerIds', 'Owner']]);
  });

  it('needs to be told how a file spells a list of records', () => {
    const withParts = defineRecord({
      entityType: 'Box',
      schema: SCHEMA,
      table: 'box',
      fields: {
        parts: {
          kind: 'list',
          item: { kind: 'record', fields: { code: { kind: 'text', column: 'code' } } },
          table: { table: 'box_part', parent: 'box_id' },
        },
      },
    });
    expect(() => toBulkSpec(withParts)).toThrow(/parts is a list of records; say how a file spells one/);
  });
});

describeEachStore('a bulk spec from a record spec on $kind', (store) => {
  let db: Database;
  const spec = toBulkSpec(box);
  const importAs = (format: 'JSON' | 'CSV', content: string) =>
    bulkImport(db, spec, { format, content, actor: 'tester', context: {} });
  beforeAll(async () => {
    db = await store.open();
    await db.exec(tablesSql);
  });
  afterAll(() => db.close());

  it('writes the child-table lists, reads them back (a set sorted, a list in order) and exports them', async () => {
    const created = await importAs(
      'CSV',
      ['id,name,size,made.year,ownerIds,steps', 'red,Red,2,2005,bob;ann,cut;fold;glue', 'blue,Blue,,,ann,'].join('\n'),
    );
    expect(created).toMatchObject({ applied: true, created: 2, errors: [] });
    expect(await readChildLists(box, db, ['red', 'blue'])).toEqual(
      new Map([
        ['blue', { ownerIds: ['ann'] }],
        ['red', { ownerIds: ['ann', 'bob'], steps: ['cut', 'fold', 'glue'] }],
      ]),
    );
    const exported = await bulkExport(db, spec, 'JSON');
    expect(exported).toBe(
      [
        '[',
        '{"id":"blue","name":"Blue","ownerIds":["ann"],"steps":[],"version":1},',
        '{"id":"red","name":"Red","size":2,"made":{"year":2005},"ownerIds":["ann","bob"],"steps":["cut","fold","glue"],"version":1}',
        ']',
        '',
      ].join('\n'),
    );
    expect(await importAs('JSON', exported)).toMatchObject({ applied: true, unchanged: 2, errors: [] });
  });

  it('asks the store about the ids a field names, and runs each field’s own check', async () => {
    const report = await importAs('CSV', ['id,name,size,ownerIds', 'green,Green,7,ann', 'grey,Grey,3,carl'].join('\n'));
    expect(report.applied).toBe(false);
    expect(report.errors).toEqual([
      { row: 1, field: 'size', code: 'INVALID_VALUE', message: 'no box has size 7' },
      { row: 2, field: 'ownerIds', code: 'UNKNOWN_REFERENCE', message: 'no Owner has the id carl' },
    ]);
  });
});
