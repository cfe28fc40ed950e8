// The benchmark's back end, one process on the load generator's core: the four real subgraphs over a
// scratch PostgreSQL database holding the generated data set, and in front of each a replaying
// proxy for the gateway-overhead workload. The proxy answers a request body it has seen before from
// memory (by body hash) and forwards one it has not to the real subgraph, keeping the answer, so
// each contender's own subgraph requests are recorded once (during its warm-up) and replayed at
// near-zero cost afterwards. Started by bench/run.mjs with an IPC channel; prints nothing.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { Pool } from 'undici';
import { createLogger } from '@cip/core';
import { PostgresDatabase, buildSubgraphApp, migrateSubgraph } from '@cip/subgraph-kit';
import { agreementsSubgraph } from '@cip/subgraph-agreements';
import { partnersSubgraph } from '@cip/subgraph-partners';
import { sectorsSubgraph } from '@cip/subgraph-sectors';
import { threatFocusAreasSubgraph } from '@cip/subgraph-threat-focus-areas';

const modules = [partnersSubgraph, agreementsSubgraph, sectorsSubgraph, threatFocusAreasSubgraph];
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cip_bench';

/** Creates the scratch database if missing, migrates it, and loads the generated data set once. */
async function prepareDatabase() {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected benchmark database name ${name}`);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).href });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const migrator = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 1, statementTimeoutMs: 600_000 });
  for (const module of modules) await migrateSubgraph(module, migrator);
  const [{ count }] = await migrator.query("SELECT count(*)::int AS count FROM partners.partner WHERE id LIKE 'p-%'");
  if (count === 0) await migrator.exec(await readFile(new URL('../data/generate.sql', import.meta.url), 'utf8'));
  await migrator.close();
}

function replayProxy(name, upstreamUrl) {
  const upstream = new URL(upstreamUrl);
  const pool = new Pool(upstream.origin, { connections: 64 });
  const recorded = new Map();
  const stats = { hits: 0, misses: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const key = createHash('sha1').update(body).digest('base64');
      let answer = recorded.get(key);
      if (answer) stats.hits++;
      else {
        stats.misses++;
        try {
          const response = await pool.request({
            path: upstream.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          answer = { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
          if (answer.status === 200) recorded.set(key, answer);
        } catch (error) {
          answer = { status: 502, body: Buffer.from(JSON.stringify({ errors: [{ message: String(error) }] })) };
        }
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length });
      res.end(answer.body);
    });
  });
  return { name, server, stats, recorded, pool };
}

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)),
  );
}

await prepareDatabase();
const logger = createLogger('bench-backend', 'warn');
const apps = [];
const proxies = [];
const subgraphUrls = {};
const replayUrls = {};
for (const module of modules) {
  const db = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 10, statementTimeoutMs: 30_000 });
  // signing null: the subgraphs accept unsigned requests, since only our gateway can sign.
  const app = await buildSubgraphApp(module, {
    db,
    logger,
    mode: 'production',
    maxBodyBytes: 16 * 1_048_576,
    signing: null,
  });
  apps.push({ app, db });
  subgraphUrls[module.name] = `${await app.listen('127.0.0.1', 0)}/graphql`;
  const proxy = replayProxy(module.name, subgraphUrls[module.name]);
  proxies.push(proxy);
  replayUrls[module.name] = `${await listen(proxy.server)}/graphql`;
}

process.on('message', async (message) => {
  if (message.type === 'stats') {
    process.send({
      type: 'stats',
      replay: Object.fromEntries(proxies.map((p) => [p.name, { ...p.stats, recorded: p.recorded.size }])),
    });
    for (const proxy of proxies) Object.assign(proxy.stats, { hits: 0, misses: 0 });
  } else if (message.type === 'stop') {
    for (const proxy of proxies) {
      proxy.server.close();
      await proxy.pool.close();
    }
    for (const { app, db } of apps) {
      await app.stop();
      await db.close();
    }
    process.exit(0);
  }
});
process.send({ type: 'ready', subgraphUrls, replayUrls });
