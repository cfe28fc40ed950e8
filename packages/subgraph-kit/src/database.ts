import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { identifier } from './writes/sql.js';

/** What resolvers and migrations need from a store: parameterised queries and multi-statement scripts. */
export interface Queryable {
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (a migration); no parameters. */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Observes every statement sent through this handle (statement-count tests, metrics). */
  onStatement(listener: (sql: string) => void): () => void;
  /**
   * Listens to a `NOTIFY` channel (changes/: an office's committed changes). PostgreSQL delivers a
   * notification only when the transaction that sent it commits, in commit order; PGlite too (it is
   * PostgreSQL in process). On PostgreSQL the listener holds a connection of its own, outside the
   * pool; `onLost` is called if that connection fails (notifications sent meanwhile are not seen).
   * Resolves once listening, with the function that stops it.
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost: (error: Error) => void): Promise<Unlisten>;
  /** Closes the store if this handle owns it; a shared handle leaves it open for its owner. */
  close(): Promise<void>;
}

export type Unlisten = () => Promise<void>;

type Listener = (sql: string) => void;

abstract class ObservedDatabase {
  private readonly listeners = new Set<Listener>();

  onStatement(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected observe(sql: string): void {
    for (const listener of this.listeners) listener(sql);
  }
}

export class PgliteDatabase extends ObservedDatabase implements Database {
  readonly kind = 'pglite';

  constructor(
    readonly pglite: PGlite,
    private readonly owned = true,
  ) {
    super();
  }

  /**
   * Another handle on the same PGlite instance. The embedded system runs every office's subgraph in
   * one process over one instance (each in its own schema), since each cold instance costs ~4 s and
   * hundreds of MB.
   */
  share(): PgliteDatabase {
    return new PgliteDatabase(this.pglite, false);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    this.observe(sql);
    return (await this.pglite.query<Row>(sql, params as unknown[])).rows;
  }

  async exec(sql: string): Promise<void> {
    this.observe(sql);
    await this.pglite.exec(sql);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx) => work(this.wrapTransaction(tx)));
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten> {
    // One process, one store: nothing to lose but the store itself, so no `onLost`.
    const unlisten = await this.pglite.listen(channel, onPayload);
    return async () => {
      if (!this.pglite.closed) await unlisten();
    };
  }

  private wrapTransaction(tx: Transaction): Queryable {
    return {
      query: async <Row>(sql: string, params: readonly unknown[] = []) => {
        this.observe(sql);
        return (await tx.query<Row>(sql, params as unknown[])).rows;
      },
      exec: async (sql: string) => {
        this.observe(sql);
        await tx.exec(sql);
      },
    };
  }

  async close(): Promise<void> {
    if (this.owned && !this.pglite.closed) await this.pglite.close();
  }
}

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  statementTimeoutMs: number;
}

export class PostgresDatabase extends ObservedDatabase implements Database {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;

  constructor(private readonly options: PostgresOptions) {
    super();
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    this.observe(sql);
    return (await this.pool.query(sql, params as unknown[])).rows as Row[];
  }

  async exec(sql: string): Promise<void> {
    this.observe(sql);
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      query: async <Row>(sql: string, params: readonly unknown[] = []) => {
        this.observe(sql);
        return (await client.query(sql, params as unknown[])).rows as Row[];
      },
      exec: async (sql: string) => {
        this.observe(sql);
        await client.query(sql);
      },
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    onLost: (error: Error) => void,
  ): Promise<Unlisten> {
    // A connection of its own: LISTEN belongs to a session, and a pooled client is shared.
    const client = new pg.Client({ connectionString: this.options.connectionString });
    let stopped = false;
    const lost = (error: Error) => {
      if (stopped) return;
      stopped = true;
      client.end().catch(() => undefined);
      onLost(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${identifier(channel)}`);
    return async () => {
      if (stopped) return;
      stopped = true;
      await client.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
