// The offices as the benchmarks run them: the four real subgraphs over a scratch PostgreSQL database
// holding the generated data set (bench/data/generate.sql), or over one PGlite data directory
// holding the same rows, as `npm start` runs them. Shared by bench/lib/backend.mjs,
// bench/questions.mjs and bench/explain.mjs.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createLogger } from '@cip/core';
import { PgliteDatabase, PostgresDatabase, buildSubgraphApp, migrateSubgraph, openPglite } from '@cip/subgraph-kit';
import { agreementsSubgraph } from '@cip/subgraph-agreements';
import { partnersSubgraph } from '@cip/subgraph-partners';
import { sectorsSubgraph } from '@cip/subgraph-sectors';
import { threatFocusAreasSubgraph } from '@cip/subgraph-threat-focus-areas';

export const modules = [partnersSubgraph, agreementsSubgraph, sectorsSubgraph, threatFocusAreasSubgraph];
export const defaultDatabaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cip_bench';
const generatedData = new URL('../data/generate.sql', import.meta.url);

/** Migrates a store and loads the generated data set into it unless it holds it already. */
async function migrateAndLoad(db) {
  for (const module of modules) await migrateSubgraph(module, db);
  const [{ count }] = await db.query("SELECT count(*)::int AS count FROM partners.partner WHERE id LIKE 'p-%'");
  if (count === 0) {
    await db.exec(await readFile(generatedData, 'utf8'));
    // As a store in service is: statistics known, and pages marked all-visible, so that counts
    // run on an index alone (autovacuum would get there minutes later, in the middle of a run).
    await db.exec('VACUUM ANALYZE');
  }
}

/** Creates the scratch database if missing, migrates it, and loads the generated data set once. */
export async function prepareDatabase(databaseUrl = defaultDatabaseUrl) {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected benchmark database name ${name}`);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).href });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const migrator = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 1, statementTimeoutMs: 600_000 });
  await migrateAndLoad(migrator);
  await migrator.close();
}

/**
 * A PGlite data directory holding the seed and the generated data set, made once (about a minute)
 * and migrated on every use; `npm start` runs on it with PGLITE_DATA_DIR set to it.
 */
export async function preparePgliteDirectory(dataDir) {
  const db = new PgliteDatabase(await openPglite(dataDir));
  await migrateAndLoad(db);
  await db.close();
}

/**
 * Starts the four offices, each over its own PostgreSQL pool, on free loopback ports, accepting
 * unsigned requests (only our gateway can sign). `wrap` may replace each office's store (to record
 * its statements). Resolves with each office's `/graphql` URL and a `stop()`.
 */
export async function startOffices(databaseUrl = defaultDatabaseUrl, { wrap = (db) => db } = {}) {
  const logger = createLogger('bench-offices', 'warn');
  const apps = [];
  const urls = {};
  for (const module of modules) {
    const db = wrap(
      new PostgresDatabase({ connectionString: databaseUrl, poolSize: 10, statementTimeoutMs: 30_000 }),
      module.name,
    );
    const app = await buildSubgraphApp(module, {
      db,
      logger,
      mode: 'production',
      maxBodyBytes: 16 * 1_048_576,
      // signing null: the offices accept unsigned requests, so every contender can call them.
      signing: null,
    });
    apps.push({ app, db });
    urls[module.name] = `${await app.listen('127.0.0.1', 0)}/graphql`;
  }
  return {
    urls,
    async stop() {
      for (const { app, db } of apps) {
        await app.stop();
        await db.close();
      }
    },
  };
}
