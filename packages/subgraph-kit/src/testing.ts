import { randomBytes } from 'node:crypto';
import type { BaseContext } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import pg from 'pg';
import { pino } from 'pino';
import { PgliteDatabase, PostgresDatabase, type Database } from './database.js';
import { openPglite } from './pglite.js';
import { httpPeers } from './writes/peers.js';
import { processSigningSecret } from '@cip/core';
import {
  buildSubgraphApp,
  migrateSubgraph,
  type SubgraphApp,
  type SubgraphDeps,
  type SubgraphModule,
} from './server.js';

/** A kind of store the data-layer tests run against, with a fresh, empty database each time. */
export interface TestStore {
  kind: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

/**
 * PGlite always; PostgreSQL too when TEST_DATABASE_URL names a server (CI sets it). Each `open`
 * on PostgreSQL creates a database of its own, dropped again when the returned handle closes.
 */
export function testStores(env: Readonly<Record<string, string | undefined>> = process.env): TestStore[] {
  const stores: TestStore[] = [{ kind: 'pglite', open: async () => new PgliteDatabase(await openPglite()) }];
  const adminUrl = env.TEST_DATABASE_URL;
  if (adminUrl) stores.push({ kind: 'postgres', open: () => openScratchPostgres(adminUrl) });
  return stores;
}

async function openScratchPostgres(adminUrl: string): Promise<Database> {
  const name = `cip_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new PostgresDatabase({ connectionString: url.toString(), poolSize: 4, statementTimeoutMs: 10_000 });
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
  return db;
}

/** An empty PostgreSQL database of its own, for tests that hand a URL to another process. */
export interface ScratchPostgres {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the server `adminUrl` names; `drop` removes it, connections and all. */
export async function createScratchPostgres(adminUrl: string): Promise<ScratchPostgres> {
  const name = `cip_test_${randomBytes(6).toString('hex')}`;
  const withAdmin = async (sql: string) => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await withAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Counts the SQL statements sent while `work` runs: the proof that reads are batched. */
export async function countStatements<T>(
  db: Database,
  work: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const stop = db.onStatement((sql) => statements.push(sql));
  try {
    return { result: await work(), statements };
  } finally {
    stop();
  }
}

export interface TestSubgraph<TContext extends BaseContext> {
  app: SubgraphApp<TContext>;
  db: Database;
  /** Runs an operation in-process with a fresh request context; returns the single result. */
  execute(query: string, variables?: Record<string, unknown>): Promise<FormattedExecutionResult>;
  close(): Promise<void>;
}

/** Builds a subgraph over a fresh, migrated store, for in-process tests of its resolvers and data access. */
export async function buildTestSubgraph<TContext extends BaseContext>(
  module: SubgraphModule<TContext>,
  store: TestStore,
  mode: SubgraphDeps['mode'] = 'test',
  /** Other offices' subgraphs (name → `/graphql` URL), for writes that check references. */
  peers: Readonly<Record<string, string>> = {},
): Promise<TestSubgraph<TContext>> {
  const db = await store.open();
  await migrateSubgraph(module, db);
  const app = await buildSubgraphApp(module, {
    db,
    logger: pino({ level: 'silent' }),
    mode,
    maxBodyBytes: 1_048_576,
    peers,
  });
  const lookups = httpPeers({ urls: peers, signingSecret: processSigningSecret(), self: module.name });
  return {
    app,
    db,
    async execute(query, variables) {
      const response = await app.apollo.executeOperation(
        { query, ...(variables ? { variables } : {}) },
        { contextValue: Object.assign(module.createContext(db), { peers: lookups }) },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult;
    },
    async close() {
      await app.stop();
      await db.close();
    },
  };
}
