import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database.js';
import { describeEachStore } from '@cip/testing/subgraphs';
import { readAuditLog, writeAudit } from './audit.js';
import { insertRecord, updateVersioned } from './concurrency.js';
import { createOnce, earlierCreate, requestHash, type IdempotentCreate } from './idempotency.js';
import { writeTablesSql } from './sql.js';
import { InputChecks } from './validation.js';

const SCHEMA = 'kit_writes';

async function codeOf(promise: Promise<unknown>): Promise<{ code: unknown; extensions: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const extensions = (error as { extensions?: Record<string, unknown> }).extensions ?? {};
    return { code: extensions.code, extensions };
  }
  throw new Error('expected the write to fail');
}

describeEachStore('the writes kit on $kind', (store) => {
  let db: Database;
  beforeAll(async () => {
    db = await store.open();
    await db.exec(`CREATE SCHEMA ${SCHEMA};
      CREATE TABLE ${SCHEMA}.thing (id text PRIMARY KEY, name text NOT NULL, version int NOT NULL DEFAULT 1);
      ${writeTablesSql(SCHEMA)}`);
  });
  afterAll(() => db.close());

  const create = (id: string, name: string, key: string | null, owner = 'subject:tester') =>
    db.transaction((tx) =>
      createOnce(
        tx,
        { schema: SCHEMA, operation: 'createThing', key: { value: key, owner }, input: { id, name } },
        async () => {
          const row = await insertRecord(tx, SCHEMA, 'thing', { id, name });
          await writeAudit(tx, SCHEMA, {
            actor: 'tester',
            action: 'create',
            entityType: 'thing',
            entityId: id,
            old: null,
            new: row,
          });
          return id;
        },
      ),
    );

  const rename = (id: string, expectedVersion: number, name: string) =>
    db.transaction(async (tx) => {
      const change = await updateVersioned(tx, { schema: SCHEMA, table: 'thing', id, expectedVersion, set: { name } });
      await writeAudit(tx, SCHEMA, {
        actor: 'tester',
        action: 'update',
        entityType: 'thing',
        entityId: id,
        ...change,
      });
      return change;
    });

  const things = (id: string) =>
    db.query<{ name: string; version: number }>(`SELECT name, version FROM ${SCHEMA}.thing WHERE id = $1`, [id]);
  const auditOf = async (id: string) =>
    (await readAuditLog(db, SCHEMA, { entityType: 'thing', entityId: id }, { size: 100, afterKey: null })).nodes;

  it('creates at version 1 and bumps the version on each update, auditing old and new', async () => {
    expect(await create('alpha', 'Alpha', null)).toEqual({ id: 'alpha', replayed: false });
    const change = await rename('alpha', 1, 'Alpha 2');
    expect(change.old).toMatchObject({ name: 'Alpha', version: 1 });
    expect(change.new).toMatchObject({ name: 'Alpha 2', version: 2 });
    expect(await things('alpha')).toEqual([{ name: 'Alpha 2', version: 2 }]);
    const audit = await auditOf('alpha');
    expect(audit.map((entry) => [entry.action, entry.old?.name ?? null, entry.new?.name ?? null])).toEqual([
      ['create', null, 'Alpha'],
      ['update', 'Alpha', 'Alpha 2'],
    ]);
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    await create('beta', 'Beta', null);
    await rename('beta', 1, 'Beta 2');
    const refused = await codeOf(rename('beta', 1, 'Lost update'));
    expect(refused).toEqual({
      code: 'CONFLICT',
      extensions: { code: 'CONFLICT', expectedVersion: 1, currentVersion: 2 },
    });
    expect(await things('beta')).toEqual([{ name: 'Beta 2', version: 2 }]);
    expect(await auditOf('beta')).toHaveLength(2);
  });

  it('names the id field when no record has it', async () => {
    const refused = await codeOf(rename('nobody', 1, 'x'));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.extensions.field).toBe('id');
  });

  it('lets exactly one of many concurrent updates with the same version win', async () => {
    await create('gamma', 'Gamma', null);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => rename('gamma', 1, `Gamma ${n}`)));
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.map((outcome) => (outcome.reason as { extensions: { code: string } }).extensions.code)).toEqual(
      Array(7).fill('CONFLICT'),
    );
    const [row] = await things('gamma');
    expect(row!.version).toBe(2);
    const updates = (await auditOf('gamma')).filter((entry) => entry.action === 'update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.new?.name).toBe(row!.name);
  });

  it('creates once per idempotency key, even when the retries race', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => create('delta', 'Delta', 'key-1')));
    expect(outcomes.filter((outcome) => !outcome.replayed)).toHaveLength(1);
    expect(new Set(outcomes.map((outcome) => outcome.id))).toEqual(new Set(['delta']));
    expect(await auditOf('delta')).toHaveLength(1);
    expect(await create('delta', 'Delta', 'key-1')).toEqual({ id: 'delta', replayed: true });
  });

  it('refuses the same key with different input with CONFLICT, creating nothing', async () => {
    await create('epsilon', 'Epsilon', 'key-2');
    const refused = await codeOf(create('zeta', 'Zeta', 'key-2'));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.extensions.field).toBe('idempotencyKey');
    expect(await things('zeta')).toEqual([]);
  });

  it("keeps each caller's keys apart: the same key and input from another caller creates its own record", async () => {
    // The same create from three callers, each making its record under an id of its own.
    const request = (owner: string): IdempotentCreate => ({
      schema: SCHEMA,
      operation: 'createThing',
      key: { value: 'shared-key', owner },
      input: { name: 'Theta' },
    });
    const createAs = (owner: string, id: string) =>
      db.transaction((tx) =>
        createOnce(
          tx,
          request(owner),
          async () => (await insertRecord(tx, SCHEMA, 'thing', { id, name: 'Theta' })).id as string,
        ),
      );
    expect(await createAs('subject:alice', 'theta-alice')).toEqual({ id: 'theta-alice', replayed: false });
    expect(await earlierCreate(db, request('subject:bob'))).toBeNull();
    expect(await createAs('subject:bob', 'theta-bob')).toEqual({ id: 'theta-bob', replayed: false });
    expect(await createAs('anonymous', 'theta-anonymous')).toEqual({ id: 'theta-anonymous', replayed: false });
    // Each caller's retry replays its own record.
    expect(await createAs('subject:alice', 'unused')).toEqual({ id: 'theta-alice', replayed: true });
    expect(await createAs('subject:bob', 'unused')).toEqual({ id: 'theta-bob', replayed: true });
    expect(await earlierCreate(db, request('anonymous'))).toBe('theta-anonymous');
    expect(await things('unused')).toEqual([]);
  });

  it("a key another caller used with other input is no CONFLICT; reusing one's own is", async () => {
    await create('iota', 'Iota', 'key-3', 'subject:alice');
    expect(await create('kappa', 'Kappa', 'key-3', 'subject:bob')).toEqual({ id: 'kappa', replayed: false });
    expect((await codeOf(create('lambda', 'Lambda', 'key-3', 'subject:bob'))).code).toBe('CONFLICT');
    expect(await things('lambda')).toEqual([]);
  });

  it('rolls the audit row back with the change when the transaction fails', async () => {
    await create('eta', 'Eta', null);
    await expect(
      db.transaction(async (tx) => {
        await updateVersioned(tx, {
          schema: SCHEMA,
          table: 'thing',
          id: 'eta',
          expectedVersion: 1,
          set: { name: 'Eta 2' },
        });
        await writeAudit(tx, SCHEMA, {
          actor: 't',
          action: 'update',
          entityType: 'thing',
          entityId: 'eta',
          old: null,
          new: null,
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await things('eta')).toEqual([{ name: 'Eta', version: 1 }]);
    expect(await auditOf('eta')).toHaveLength(1);
  });
});

describe('input checks', () => {
  it('collects every bad field and throws the first as BAD_USER_INPUT with its path', () => {
    const checks = new InputChecks();
    expect(checks.text('input.name', '  Canada  ')).toBe('Canada');
    checks.text('input.shortName', '   ');
    checks.slug('input.id', 'Not A Slug');
    checks.version('expectedVersion', 0);
    let thrown: unknown;
    try {
      checks.throwIfInvalid();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      message: 'input.shortName: must not be empty',
      extensions: {
        code: 'BAD_USER_INPUT',
        field: 'input.shortName',
        issues: [
          { field: 'input.shortName', message: 'must not be empty' },
          { field: 'input.id', message: expect.stringContaining('lower-case') },
          { field: 'expectedVersion', message: 'must be the positive version you read' },
        ],
      },
    });
  });

  it('passes valid input', () => {
    const checks = new InputChecks();
    checks.slug('input.id', 'new-zealand');
    expect(() => checks.throwIfInvalid()).not.toThrow();
  });

  it('hashes the same input the same whatever the key order', () => {
    expect(requestHash({ a: 1, b: { c: 2, d: 3 } })).toBe(requestHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});
