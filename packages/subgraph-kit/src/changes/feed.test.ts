import { POSTGRES_SKIP_REASON, describeEachStore, testStores, type TestStore } from '@cip/testing/subgraphs';
import { describeUnless } from '@cip/testing/suites';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../database.js';
import { writeAudit, type AuditChange } from '../writes/audit.js';
import { writeTablesSql } from '../writes/sql.js';
import { createChangeFeed, type ChangeEvent, type ChangeFeed } from './feed.js';

const SCHEMA = 'live_changes_test';
const logger = pino({ level: 'silent' });

const change = (entityId: string, version: number, action = 'update'): AuditChange => ({
  actor: 'ana',
  action,
  entityType: 'Thing',
  entityId,
  old: action === 'create' ? null : { version: version - 1 },
  new: { version },
});

async function openStore(store: TestStore): Promise<Database> {
  const db = await store.open();
  await db.exec(`CREATE SCHEMA ${SCHEMA}; ${writeTablesSql(SCHEMA)}`);
  return db;
}

/** The next `count` events of `events`. */
async function take(events: AsyncIterator<ChangeEvent>, count: number): Promise<ChangeEvent[]> {
  const taken: ChangeEvent[] = [];
  while (taken.length < count) {
    const next = await events.next();
    if (next.done) throw new Error(`ended after ${taken.length} of ${count}`);
    taken.push(next.value);
  }
  return taken;
}

function feedTests(store: TestStore, suite: (context: () => { db: Database; feed: ChangeFeed }) => void) {
  let db: Database;
  let feed: ChangeFeed;
  beforeAll(async () => {
    db = await openStore(store);
    feed = createChangeFeed(db, SCHEMA, { maxBufferedEvents: 100, logger });
  });
  afterAll(async () => {
    await feed.close();
    await db.close();
  });
  suite(() => ({ db, feed }));
}

describeEachStore('an office change feed on $kind', (store) => {
  feedTests(store, (context) => {
    it('hands out each committed audit row once, as its kind, id, version, actor and time', async () => {
      const { db, feed } = context();
      const events = await feed.subscribe({ entityType: 'Thing' });
      await db.transaction((tx) => writeAudit(tx, SCHEMA, change('a', 1, 'create')));
      await db.transaction((tx) => writeAudit(tx, SCHEMA, change('a', 2, 'archive')));
      const [created, archived] = await take(events, 2);
      expect(created).toEqual({
        auditId: expect.stringMatching(/^\d+$/),
        kind: 'CREATED',
        entityType: 'Thing',
        id: 'a',
        version: 1,
        actor: 'ana',
        at: expect.stringMatching(/Z$/),
      });
      expect(archived).toMatchObject({ kind: 'ARCHIVED', version: 2 });
      await events.return?.();
    });

    it('hands out nothing of a rolled-back transaction, and each row of a committed one in order', async () => {
      const { db, feed } = context();
      const events = await feed.subscribe({ entityType: 'Thing' });
      await expect(
        db.transaction(async (tx) => {
          await writeAudit(tx, SCHEMA, change('b', 2));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await db.transaction(async (tx) => {
        for (const version of [2, 3, 4]) await writeAudit(tx, SCHEMA, change('c', version));
      });
      expect((await take(events, 3)).map((event) => [event.id, event.version])).toEqual([
        ['c', 2],
        ['c', 3],
        ['c', 4],
      ]);
      await events.return?.();
    });

    it('keeps a subscriber to its entity type and accepted changes', async () => {
      const { db, feed } = context();
      const events = await feed.subscribe({ entityType: 'Thing', accept: (event) => event.id === 'd' });
      await db.transaction(async (tx) => {
        await writeAudit(tx, SCHEMA, { ...change('d', 1, 'create'), entityType: 'Other' });
        await writeAudit(tx, SCHEMA, change('e', 1, 'create'));
        await writeAudit(tx, SCHEMA, change('d', 2));
      });
      expect(await take(events, 1)).toMatchObject([{ id: 'd', version: 2, entityType: 'Thing' }]);
      await events.return?.();
      expect(feed.subscribers).toBe(0);
    });

    it('drops a subscriber that lets more than its limit wait, with CHANGE_BACKLOG_EXCEEDED', async () => {
      const { db } = context();
      const small = createChangeFeed(db, SCHEMA, { maxBufferedEvents: 2, logger });
      try {
        const events = await small.subscribe({ entityType: 'Thing' });
        const seen = await small.subscribe({ entityType: 'Thing' });
        await db.transaction(async (tx) => {
          for (const version of [2, 3, 4]) await writeAudit(tx, SCHEMA, change('f', version));
        });
        // The other subscriber reads as they come and keeps up.
        expect(await take(seen, 3)).toHaveLength(3);
        await expect(events.next()).rejects.toMatchObject({ extensions: { code: 'CHANGE_BACKLOG_EXCEEDED' } });
        expect(small.subscribers).toBe(1);
      } finally {
        await small.close();
      }
    });
  });
});

describeUnless(
  process.env.TEST_DATABASE_URL ? undefined : POSTGRES_SKIP_REASON,
  'an office change feed on PostgreSQL, concurrent transactions',
  () => {
    const postgres = testStores().find((store) => store.kind === 'postgres');
    feedTests(postgres!, (context) => {
      it('hands out a row committed after a higher id, in commit order (no max(id) cursor skips it)', async () => {
        const { db, feed } = context();
        const events = await feed.subscribe({ entityType: 'Thing' });
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let written!: () => void;
        const lowerIdWritten = new Promise<void>((resolve) => (written = resolve));
        // The first transaction takes the lower id, then waits while the second commits.
        const first = db.transaction(async (tx) => {
          await writeAudit(tx, SCHEMA, change('g', 1, 'create'));
          written();
          await held;
        });
        await lowerIdWritten;
        await db.transaction((tx) => writeAudit(tx, SCHEMA, change('h', 1, 'create')));
        const [second] = await take(events, 1);
        release();
        await first;
        const [late] = await take(events, 1);
        expect([second!.id, late!.id]).toEqual(['h', 'g']);
        expect(Number(late!.auditId)).toBeLessThan(Number(second!.auditId));
        await events.return?.();
      });

      it('ends every subscriber with CHANGE_FEED_LOST when its listening connection dies, and listens again after', async () => {
        const { db } = context();
        const lost: Error[] = [];
        const feed = createChangeFeed(db, SCHEMA, {
          maxBufferedEvents: 10,
          logger,
          onLost: (error) => lost.push(error),
        });
        try {
          const events = await feed.subscribe({ entityType: 'Thing' });
          await db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
          );
          await expect(events.next()).rejects.toMatchObject({ extensions: { code: 'CHANGE_FEED_LOST' } });
          expect(lost).toHaveLength(1);
          const again = await feed.subscribe({ entityType: 'Thing' });
          await db.transaction((tx) => writeAudit(tx, SCHEMA, change('i', 1, 'create')));
          expect(await take(again, 1)).toMatchObject([{ id: 'i' }]);
        } finally {
          await feed.close();
        }
      });
    });
  },
);
