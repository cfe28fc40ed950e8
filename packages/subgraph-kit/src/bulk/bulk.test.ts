import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Database, Queryable } from '../database.js';
import { describeEachStore } from '@cip/testing/subgraphs';
import { readAuditLog } from '../writes/audit.js';
import { writeTablesSql } from '../writes/sql.js';
import { bulkExport, bulkImport } from './bulk.js';
import type { BulkFormat, BulkRecordSpec } from './spec.js';

const SCHEMA = 'kit_bulk';

const tablesSql = `CREATE SCHEMA ${SCHEMA};
  CREATE TABLE ${SCHEMA}.thing (
    id text PRIMARY KEY,
    name text NOT NULL,
    size int,
    colour text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    tags text[] NOT NULL DEFAULT '{}',
    parent_id text,
    note text,
    version int NOT NULL DEFAULT 1
  );
  CREATE TABLE ${SCHEMA}.thing_touch (thing_id text NOT NULL);
  ${writeTablesSql(SCHEMA)}`;

/** Set by a test to make the related-table write fail half-way through an import. */
let failRelatedWrite = false;

const spec: BulkRecordSpec = {
  entityType: 'Thing',
  schema: SCHEMA,
  table: 'thing',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 20 },
    size: { kind: 'integer', column: 'size', min: 0, max: 100 },
    colour: { kind: 'enum', column: 'colour', required: true, values: ['RED', 'GREEN'] },
    active: { kind: 'boolean', column: 'active', default: true },
    tags: { kind: 'list', column: 'tags', maxItems: 3, item: { max: 10, pattern: /^[a-z]+$/, patternHint: 'letters' } },
    parent: { kind: 'text', column: 'parent_id' },
    'detail.note': { kind: 'text', column: 'note', max: 100 },
  },
  references: [
    {
      field: 'parent',
      entity: 'Thing',
      inFile: true,
      known: async (ids, { db }) =>
        (await db.query<{ id: string }>(`SELECT id FROM ${SCHEMA}.thing WHERE id = ANY($1::text[])`, [ids])).map(
          (row) => row.id,
        ),
    },
  ],
  checkRow: (record, fail) => {
    if (record.colour === 'GREEN' && record.size === 0) fail('size', 'a green thing has a size');
  },
  async writeRelated(tx, records) {
    for (const record of records) {
      await tx.query(`INSERT INTO ${SCHEMA}.thing_touch (thing_id) VALUES ($1)`, [record.id]);
      if (failRelatedWrite && record.row === records.length) throw new Error('the store failed mid-import');
    }
  },
};

const importAs = (db: Database, format: BulkFormat, content: string, dryRun = false) =>
  bulkImport(db, spec, { format, content, dryRun, actor: 'importer', context: {} });

interface StoredThing {
  id: string;
  name: string;
  size: number | null;
  tags: string[];
  version: number;
}

async function snapshot(db: Queryable) {
  const things = await db.query<StoredThing>(`SELECT id, name, size, tags, version FROM ${SCHEMA}.thing ORDER BY id`);
  const [audit] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${SCHEMA}.audit_log`);
  const [touched] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${SCHEMA}.thing_touch`);
  return { things, auditRows: audit!.count, touched: touched!.count };
}

const SEED_CSV = 'id,name,size,colour,tags\r\nalpha,Alpha,1,RED,a;b\r\nbeta,Beta,2,GREEN,\r\n';

describeEachStore('bulk import and export on $kind', (store) => {
  let db: Database;
  beforeAll(async () => {
    db = await store.open();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    failRelatedWrite = false;
    await db.exec(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; ${tablesSql}`);
    const seeded = await importAs(db, 'CSV', SEED_CSV);
    expect(seeded).toMatchObject({ applied: true, created: 2, errors: [] });
  });

  it('creates new ids at version 1 and updates changed records to version + 1, an audit row each', async () => {
    const report = await importAs(
      db,
      'CSV',
      [
        'id,name,size,colour,active,tags,parent,detail.note',
        'alpha,Alpha renamed,1,RED,false,a;b,,"a note, with a comma"',
        'beta,Beta,2,GREEN,,,,',
        'gamma,Gamma,,RED,TRUE,x,alpha,',
        'delta,Delta,5,GREEN,,,gamma,',
      ].join('\n'),
    );
    expect(report).toEqual({ applied: true, dryRun: false, rows: 4, created: 2, updated: 1, unchanged: 1, errors: [] });
    const { things, auditRows, touched } = await snapshot(db);
    expect(things).toEqual([
      { id: 'alpha', name: 'Alpha renamed', size: 1, tags: ['a', 'b'], version: 2 },
      { id: 'beta', name: 'Beta', size: 2, tags: [], version: 1 },
      { id: 'delta', name: 'Delta', size: 5, tags: [], version: 1 },
      { id: 'gamma', name: 'Gamma', size: null, tags: ['x'], version: 1 },
    ]);
    expect(auditRows).toBe(2 + 3);
    expect(touched).toBe(2 + 3);
    const audit = (await readAuditLog(db, SCHEMA, { entityType: 'Thing' }, { size: 100, afterKey: null })).nodes;
    expect(audit.slice(2).map((entry) => [entry.actor, entry.action, entry.entityId])).toEqual([
      ['importer', 'update', 'alpha'],
      ['importer', 'create', 'gamma'],
      ['importer', 'create', 'delta'],
    ]);
    expect(audit[2]!.old).toMatchObject({ name: 'Alpha', version: 1, active: true });
    expect(audit[2]!.new).toMatchObject({
      name: 'Alpha renamed',
      version: 2,
      active: false,
      note: 'a note, with a comma',
    });
  });

  it('names every bad row (row, field, code) and then writes nothing at all', async () => {
    const before = await snapshot(db);
    const report = await importAs(
      db,
      'CSV',
      [
        'id,name,size,colour,tags,parent',
        'alpha,Alpha changed,1,RED,,', // fine on its own: must not be written either
        'Not An Id,,101,BLUE,,', // four problems on one row
        'epsilon,Epsilon,x,GREEN,a;B2,nobody',
        'alpha,Again,1,RED,,',
        'zeta,"Zeta, a name much too long",0,GREEN,a;b;c;d,',
        'eta,Eta,1,RED',
      ].join('\r\n'),
    );
    expect(report.applied).toBe(false);
    expect(report.rows).toBe(6);
    expect(report.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [2, 'id', 'INVALID_VALUE'],
      [2, 'name', 'REQUIRED'],
      [2, 'size', 'INVALID_VALUE'],
      [2, 'colour', 'INVALID_VALUE'],
      [3, 'size', 'INVALID_TYPE'],
      [3, 'tags', 'INVALID_VALUE'],
      [4, 'id', 'DUPLICATE_ID'],
      [5, 'name', 'TOO_LONG'],
      [5, 'tags', 'INVALID_VALUE'],
      [6, null, 'FIELD_COUNT'],
    ]);
    expect(report.errors.find((error) => error.code === 'DUPLICATE_ID')?.message).toBe('the id alpha is also on row 1');
    expect(report.errors.find((error) => error.field === 'colour')?.message).toContain('RED, GREEN');
    expect(await snapshot(db)).toEqual(before);
  });

  it('reports references to unknown records and cross-field rules, with everything else', async () => {
    const report = await importAs(
      db,
      'CSV',
      'id,name,size,colour,parent\r\nepsilon,Epsilon,1,RED,nobody\r\nzeta,Zeta,0,GREEN,epsilon\r\neta,Eta,1,RED,alpha\r\n',
    );
    expect(report.errors).toEqual([
      {
        row: 1,
        field: 'parent',
        code: 'UNKNOWN_REFERENCE',
        message: 'no Thing has the id nobody, in the store or in this file',
      },
      { row: 2, field: 'size', code: 'INVALID_VALUE', message: 'a green thing has a size' },
    ]);
    expect(report).toMatchObject({ applied: false, created: 1 });
  });

  it('refuses the whole file when a row names a version the record is no longer at', async () => {
    const before = await snapshot(db);
    const report = await importAs(
      db,
      'JSON',
      JSON.stringify([
        { id: 'alpha', name: 'Alpha 2', colour: 'RED', version: 1 },
        { id: 'beta', name: 'Beta 2', colour: 'GREEN', size: 2, version: 7 },
      ]),
    );
    expect(report.errors).toEqual([
      {
        row: 2,
        field: 'version',
        code: 'CONFLICT',
        message: 'Thing beta is at version 1, not 7: it changed since it was exported',
      },
    ]);
    expect(await snapshot(db)).toEqual(before);
  });

  it('rolls everything back when the store fails half-way through the transaction', async () => {
    const before = await snapshot(db);
    failRelatedWrite = true;
    await expect(
      importAs(db, 'CSV', 'id,name,colour\nalpha,Alpha 3,RED\ntheta,Theta,RED\niota,Iota,GREEN\n'),
    ).rejects.toThrow('the store failed mid-import');
    expect(await snapshot(db)).toEqual(before);
  });

  it('checks everything on a dry run, counts what it would do, and writes nothing', async () => {
    const before = await snapshot(db);
    const content = 'id,name,size,colour\nalpha,Alpha 4,1,RED\nbeta,Beta,2,GREEN\nkappa,Kappa,3,RED\n';
    expect(await importAs(db, 'CSV', content, true)).toEqual({
      applied: false,
      dryRun: true,
      rows: 3,
      created: 1,
      updated: 1,
      unchanged: 1,
      errors: [],
    });
    expect(await snapshot(db)).toEqual(before);
    const bad = await importAs(db, 'CSV', 'id,name,colour\nkappa,,RED\n', true);
    expect(bad.errors).toEqual([{ row: 1, field: 'name', code: 'REQUIRED', message: 'is required' }]);
  });

  it('reads JSON records with nested fields, and names unknown fields, wrong types and non-objects', async () => {
    const ok = await importAs(
      db,
      'JSON',
      JSON.stringify([{ id: 'lambda', name: 'Lambda', colour: 'RED', tags: ['q'], detail: { note: 'nested' } }]),
    );
    expect(ok).toMatchObject({ applied: true, created: 1 });
    const [row] = await db.query<{ note: string }>(`SELECT note FROM ${SCHEMA}.thing WHERE id = 'lambda'`);
    expect(row!.note).toBe('nested');
    const bad = await importAs(
      db,
      'JSON',
      JSON.stringify([
        { id: 'mu', name: 'Mu', colour: 'RED', colour2: 'x', detail: { note: 'n', extra: 1 } },
        'not a record',
        { id: 'nu', name: 42, colour: 'RED', size: '3', active: 'yes', tags: 'a', detail: 'flat' },
      ]),
    );
    expect(bad.errors.map(({ row, field, code }) => [row, field, code])).toEqual([
      [1, 'colour2', 'UNKNOWN_FIELD'],
      [1, 'detail.extra', 'UNKNOWN_FIELD'],
      [2, null, 'INVALID_TYPE'],
      [3, 'detail', 'INVALID_TYPE'],
      [3, 'name', 'INVALID_TYPE'],
      [3, 'size', 'INVALID_TYPE'],
      [3, 'active', 'INVALID_TYPE'],
      [3, 'tags', 'INVALID_TYPE'],
    ]);
  });

  it('reports a file it cannot read as a whole: bad JSON, bad quoting, a wrong header, no records', async () => {
    const codes = async (format: BulkFormat, content: string) =>
      (await importAs(db, format, content)).errors.map(({ row, field, code }) => [row, field, code]);
    expect(await codes('JSON', '[{"id": ')).toEqual([[0, null, 'PARSE_ERROR']]);
    expect(await codes('JSON', '{"id": "a"}')).toEqual([[0, null, 'PARSE_ERROR']]);
    expect(await codes('CSV', 'id,name,colour\na,A,RED\nb,"B,RED\n')).toEqual([[2, null, 'PARSE_ERROR']]);
    expect(await codes('CSV', 'id,nam,colour,colour\na,A,RED,RED\n')).toEqual([
      [0, 'nam', 'UNKNOWN_FIELD'],
      [0, 'colour', 'PARSE_ERROR'],
      [0, 'name', 'MISSING_COLUMN'],
    ]);
    expect(await codes('CSV', '\uFEFFid,name,colour\r\n')).toEqual([[0, null, 'EMPTY']]);
    expect(await codes('JSON', '[]')).toEqual([[0, null, 'EMPTY']]);
  });

  it.each(['JSON', 'CSV'] as const)(
    'round-trips: a %s export imports back unchanged, here and into an empty store',
    async (format) => {
      await importAs(
        db,
        'JSON',
        JSON.stringify([
          { id: 'omicron', name: 'Omicron, "quoted"', colour: 'GREEN', size: 9, active: false, tags: ['p', 'q'] },
          { id: 'pi', name: 'Pi', colour: 'RED', parent: 'omicron', detail: { note: 'line one\nline two' } },
        ]),
      );
      const exported = await bulkExport(db, spec, format);
      const before = await snapshot(db);
      expect(await importAs(db, format, exported)).toEqual({
        applied: true,
        dryRun: false,
        rows: 4,
        created: 0,
        updated: 0,
        unchanged: 4,
        errors: [],
      });
      expect(await snapshot(db)).toEqual(before);

      await db.exec(`DROP SCHEMA ${SCHEMA} CASCADE; ${tablesSql}`);
      expect(await importAs(db, format, exported)).toMatchObject({ applied: true, created: 4, errors: [] });
      expect(await bulkExport(db, spec, format)).toBe(exported);
    },
  );

  it('exports JSON one record per line, nested fields nested, empty values left out', async () => {
    expect(await bulkExport(db, spec, 'JSON')).toBe(
      '[\n{"id":"alpha","name":"Alpha","size":1,"colour":"RED","active":true,"tags":["a","b"],"version":1},\n' +
        '{"id":"beta","name":"Beta","size":2,"colour":"GREEN","active":true,"tags":[],"version":1}\n]\n',
    );
    expect(await bulkExport(db, spec, 'CSV')).toBe(
      'id,name,size,colour,active,tags,parent,detail.note,version\r\n' +
        'alpha,Alpha,1,RED,true,a;b,,,1\r\nbeta,Beta,2,GREEN,true,,,,1\r\n',
    );
  });
});
