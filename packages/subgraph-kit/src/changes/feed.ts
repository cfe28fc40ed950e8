import { codedError, type Logger } from '@cip/core';
import type { Database, Unlisten } from '../database.js';
import { qualified } from '../writes/sql.js';
import { changeChannel } from './channel.js';

/** What happened to a record, as the offices' `ChangeKind` enum names it. */
export type ChangeKind = 'CREATED' | 'UPDATED' | 'ARCHIVED' | 'DELETED';

/** One committed change of one record, read from its audit row (the outbox). */
export interface ChangeEvent {
  /** The audit row's id (the order the office's changes were written in). */
  auditId: string;
  kind: ChangeKind;
  entityType: string;
  /** The record's id. */
  id: string;
  /** The record's version after the change. */
  version: number;
  /** Who made it: the audit row's actor. */
  actor: string;
  /** When it was committed (the audit row's time, ISO 8601). */
  at: string;
}

/** The audit actions that are not updates; every other action (`update`, `addSector`…) changes a record in place. */
const KIND_OF_ACTION: Readonly<Record<string, ChangeKind>> = {
  create: 'CREATED',
  archive: 'ARCHIVED',
  delete: 'DELETED',
};

export interface ChangeFeedOptions {
  /** Events a subscriber may have waiting before it is dropped (with `CHANGE_BACKLOG_EXCEEDED`). */
  maxBufferedEvents: number;
  logger: Logger;
  /** Called when the store's notifications were lost (the listening connection failed), before every subscriber is ended. */
  onLost?: (error: Error) => void;
}

/** A subscriber's choice of events: of one entity type, and of those the ones `accept` keeps. */
export interface ChangeSelection {
  entityType: string;
  /** Called for each event of the type, in order; unset: every event. */
  accept?: (change: ChangeEvent) => boolean | Promise<boolean>;
}

/** An office's committed changes, heard from its store and handed to each subscriber in commit order. */
export interface ChangeFeed {
  /** Starts listening if nobody did yet; the iterator sees every change committed after it resolves. */
  subscribe(selection: ChangeSelection): Promise<AsyncIterableIterator<ChangeEvent>>;
  /** How many subscribers are listening now. */
  readonly subscribers: number;
  /** Ends every subscriber and stops listening. */
  close(): Promise<void>;
}

interface Subscriber {
  selection: ChangeSelection;
  push(change: ChangeEvent): void;
  end(error?: Error): void;
}

interface AuditRow {
  id: string;
  at: Date | string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  version: number | null;
}

/**
 * The live changes of the office whose tables live in `schema`. Each committed audit row's id is
 * announced on the office's channel (writeAudit); the feed reads the announced rows themselves,
 * by id, in the order announced: PostgreSQL announces at commit, in commit order, so a row
 * committed late with a lower id (ids are taken at insert, not at commit) is still read, which a
 * cursor over `max(id)` would skip. On PostgreSQL one connection per process listens, so every
 * replica on the database hears every replica's writes.
 */
export function createChangeFeed(db: Database, schema: string, options: ChangeFeedOptions): ChangeFeed {
  const subscribers = new Set<Subscriber>();
  const channel = changeChannel(schema);
  let listening: Promise<Unlisten> | null = null;
  const announced: string[] = [];
  let reading: Promise<void> | null = null;

  async function readAnnounced(): Promise<void> {
    while (announced.length > 0) {
      const ids = announced.splice(0, announced.length);
      // Nobody to hand them to (the listener stays open once started): committed before anyone asked.
      if (subscribers.size === 0) continue;
      const rows = await db.query<AuditRow>(
        `SELECT a.id::text AS id, a.at, a.actor, a.action, a.entity_type, a.entity_id,
           COALESCE(a.new->>'version', a.old->>'version')::int AS version
         FROM ${qualified(schema, 'audit_log')} a WHERE a.id = ANY($1::bigint[])`,
        [ids],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      // In the order announced (commit order), not id order.
      for (const id of ids) {
        const row = byId.get(id);
        if (row) deliver(toChange(row));
      }
    }
  }

  function deliver(change: ChangeEvent): void {
    for (const subscriber of subscribers) {
      if (subscriber.selection.entityType === change.entityType) subscriber.push(change);
    }
  }

  function heard(payload: string): void {
    if (!/^\d+$/.test(payload)) return;
    announced.push(payload);
    readInTurn();
  }

  /** One read at a time, so changes are handed out in the order they were announced. */
  function readInTurn(): void {
    if (reading) return;
    reading = readAnnounced()
      .catch((error: unknown) => {
        // The store failed to answer: these changes cannot be delivered, so no subscriber may
        // go on believing it sees every change.
        lose(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        reading = null;
        if (announced.length > 0) readInTurn();
      });
  }

  function lose(error: Error): void {
    options.logger.warn({ err: error, schema }, 'live changes lost: ending every subscription');
    listening = null;
    announced.length = 0;
    // The sockets first (closed with a code the gateway re-subscribes on), then anyone else.
    options.onLost?.(error);
    const lost = codedError('CHANGE_FEED_LOST', 'The office lost its change feed; subscribe again.');
    for (const subscriber of [...subscribers]) subscriber.end(lost);
  }

  function listen(): Promise<Unlisten> {
    listening ??= db.listen(channel, heard, lose).catch((error: unknown) => {
      listening = null;
      throw error;
    });
    return listening;
  }

  return {
    async subscribe(selection) {
      await listen();
      return subscriberIterator(selection, options.maxBufferedEvents, subscribers);
    },
    get subscribers() {
      return subscribers.size;
    },
    async close() {
      for (const subscriber of [...subscribers]) subscriber.end();
      const unlisten = listening;
      listening = null;
      if (unlisten) await (await unlisten.catch(() => async () => undefined))();
    },
  };
}

function toChange(row: AuditRow): ChangeEvent {
  return {
    auditId: row.id,
    kind: KIND_OF_ACTION[row.action] ?? 'UPDATED',
    entityType: row.entity_type,
    id: row.entity_id,
    version: row.version ?? 0,
    actor: row.actor,
    at: new Date(row.at).toISOString(),
  };
}

/**
 * One subscriber's queue as an async iterator. `return()` (the client completes, the socket
 * closes) takes it out at once, even while a `next()` waits, so nothing is kept for a reader gone.
 */
function subscriberIterator(
  selection: ChangeSelection,
  maxBuffered: number,
  subscribers: Set<Subscriber>,
): AsyncIterableIterator<ChangeEvent> {
  const queue: ChangeEvent[] = [];
  let waiting: { resolve: (result: IteratorResult<ChangeEvent>) => void; reject: (error: Error) => void } | null = null;
  let failure: Error | null = null;
  let done = false;
  // Accept checks may read the store: run them one at a time so events keep their order.
  let accepting = Promise.resolve();

  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    subscribers.delete(subscriber);
    // Ended by a failure: what waited is dropped, the reader gets the failure next.
    if (error) {
      queue.length = 0;
      failure = error;
    }
    if (waiting) {
      const { resolve, reject } = waiting;
      waiting = null;
      if (error) reject(error);
      else resolve({ value: undefined, done: true });
    }
  };

  const enqueue = (change: ChangeEvent) => {
    if (done) return;
    if (waiting) {
      const { resolve } = waiting;
      waiting = null;
      resolve({ value: change, done: false });
      return;
    }
    if (queue.length >= maxBuffered) {
      finish(
        codedError(
          'CHANGE_BACKLOG_EXCEEDED',
          `More than ${maxBuffered} changes waited for this subscriber; subscribe again.`,
        ),
      );
      return;
    }
    queue.push(change);
  };

  const subscriber: Subscriber = {
    selection,
    push(change) {
      const { accept } = selection;
      if (!accept) return enqueue(change);
      accepting = accepting
        .then(async () => {
          if (!done && (await accept(change))) enqueue(change);
        })
        .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    },
    end: finish,
  };
  subscribers.add(subscriber);

  const iterator: AsyncIterableIterator<ChangeEvent> = {
    next() {
      const change = queue.shift();
      if (change) return Promise.resolve({ value: change, done: false });
      if (failure) {
        const error = failure;
        failure = null;
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
