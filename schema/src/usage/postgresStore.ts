import pg from 'pg';
import type { SeenDocument, UsageBatch, UsageCount, UsageSnapshot, UsageStore } from './usage.js';

/** A PostgreSQL schema name we create tables in: plain, so it can be written into the SQL. */
export const USAGE_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const byKey = (a: UsageCount, b: UsageCount) =>
  a.hash.localeCompare(b.hash) ||
  a.clientName.localeCompare(b.clientName) ||
  a.clientVersion.localeCompare(b.clientVersion) ||
  a.hour - b.hour;

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Usage in PostgreSQL, in tables of its own schema: what every replica writes to. A flush is one
 * transaction whose counts add to the rows already there (`ON CONFLICT ... count + excluded.count`),
 * so replicas writing the same document, client and hour add up instead of overwriting each other.
 */
export class PostgresUsageStore implements UsageStore {
  readonly description: string;
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly schema = 'usage',
  ) {
    if (!USAGE_SCHEMA_NAME.test(schema)) throw new Error(`Not a plain PostgreSQL schema name: ${schema}`);
    this.description = `${redactedUrl(url)} (schema ${schema})`;
    this.pool = new pg.Pool({ connectionString: url, max: 2, statement_timeout: 30_000 });
    // An idle client that loses its server must not crash the gateway; the next flush reports it.
    this.pool.on('error', () => undefined);
  }

  /** Creates the schema and tables once; replicas starting together take turns under an advisory lock. */
  private migrate(): Promise<void> {
    this.ready ??= this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('cip-usage:' || $1))`, [this.schema]);
      await client.query(`
        CREATE SCHEMA IF NOT EXISTS ${this.schema};
        CREATE TABLE IF NOT EXISTS ${this.schema}.documents (
          hash text PRIMARY KEY,
          name text,
          body text,
          coordinates jsonb NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${this.schema}.counts (
          hash text NOT NULL,
          client_name text NOT NULL,
          client_version text NOT NULL,
          hour timestamptz NOT NULL,
          count bigint NOT NULL,
          last_seen timestamptz NOT NULL,
          PRIMARY KEY (hash, client_name, client_version, hour)
        );
        CREATE INDEX IF NOT EXISTS counts_last_seen ON ${this.schema}.counts (last_seen);
      `);
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async write(batch: UsageBatch): Promise<void> {
    await this.migrate();
    // In key order, so two replicas writing the same rows wait for each other instead of deadlocking.
    const counts = [...batch.counts].sort(byKey);
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO ${this.schema}.documents (hash, name, body, coordinates)
         SELECT hash, name, body, coordinates FROM jsonb_to_recordset($1::jsonb)
           AS d(hash text, name text, body text, coordinates jsonb)
         ON CONFLICT (hash) DO NOTHING`,
        [JSON.stringify(batch.documents)],
      );
      await client.query(
        `INSERT INTO ${this.schema}.counts (hash, client_name, client_version, hour, count, last_seen)
         SELECT hash, "clientName", "clientVersion", to_timestamp(hour / 1000.0), count, to_timestamp("lastSeen" / 1000.0)
         FROM jsonb_to_recordset($1::jsonb)
           AS c(hash text, "clientName" text, "clientVersion" text, hour bigint, count bigint, "lastSeen" bigint)
         ON CONFLICT (hash, client_name, client_version, hour) DO UPDATE
           SET count = counts.count + excluded.count, last_seen = greatest(counts.last_seen, excluded.last_seen)`,
        [JSON.stringify(counts)],
      );
    });
  }

  async read(since: number, until = Number.POSITIVE_INFINITY): Promise<UsageSnapshot> {
    const window = `last_seen >= to_timestamp($1 / 1000.0) AND hour <= to_timestamp($2 / 1000.0)`;
    const params = [since, Number.isFinite(until) ? until : 8.64e15];
    await this.migrate();
    const counts = await this.pool.query<{
      hash: string;
      client_name: string;
      client_version: string;
      hour: string;
      count: string;
      last_seen: string;
    }>(
      `SELECT hash, client_name, client_version, (extract(epoch FROM hour) * 1000)::bigint AS hour, count,
              (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen
       FROM ${this.schema}.counts WHERE ${window}`,
      params,
    );
    const documents = await this.pool.query<SeenDocument>(
      `SELECT hash, name, body, coordinates FROM ${this.schema}.documents
       WHERE hash IN (SELECT hash FROM ${this.schema}.counts WHERE ${window})`,
      params,
    );
    return {
      documents: new Map(documents.rows.map((document) => [document.hash, document])),
      counts: counts.rows.map((row) => ({
        hash: row.hash,
        clientName: row.client_name,
        clientVersion: row.client_version,
        hour: Number(row.hour),
        count: Number(row.count),
        lastSeen: Number(row.last_seen),
      })),
    };
  }

  async prune(before: number): Promise<void> {
    await this.migrate();
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.schema}.counts WHERE last_seen < to_timestamp($1 / 1000.0)`, [before]);
      await client.query(
        `DELETE FROM ${this.schema}.documents d WHERE NOT EXISTS (SELECT 1 FROM ${this.schema}.counts c WHERE c.hash = d.hash)`,
      );
    });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
