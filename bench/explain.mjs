// EXPLAIN (ANALYZE, BUFFERS) of every statement the e2e questions run: the offices run in this
// process over the scratch PostgreSQL database with each statement and its parameters recorded,
// our built gateway in its own process in front; each question's first variant is asked once
// (after one warm-up), then each distinct statement it ran is explained on its own connection.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/explain.mjs',
  help: `node bench/explain.mjs: EXPLAIN (ANALYZE, BUFFERS) of every SQL statement the e2e questions run.

Usage: node bench/explain.mjs [--plans]

Options:
  --plans             print each statement's whole plan, not only its summary (default: false)
  -h, --help          print this help and exit

Environment variables:
  BENCH_DATABASE_URL  the scratch PostgreSQL database (default: postgres://postgres@127.0.0.1:5432/cip_bench)

Needs \`npm run build\`; creates and loads the data set on first use as \`npm run bench\` does.
Prints per question each statement's office, execution and planning ms (median of 3), shared buffers hit/read and
the plan's top nodes, then a table.
`,
  options: { plans: { type: 'boolean', default: false } },
});
const root = new URL('..', import.meta.url).pathname;
const [{ defaultDatabaseUrl, prepareDatabase, startOffices }, { writeSupergraph }, { default: pg }] = await Promise.all(
  [import('./lib/offices.mjs'), import('./lib/supergraph.mjs'), import('pg')],
);

await prepareDatabase();
let current = null;
const recorded = [];
const offices = await startOffices(defaultDatabaseUrl, {
  wrap(db, office) {
    const query = db.query.bind(db);
    db.query = (sql, params = []) => {
      if (current !== null) recorded.push({ question: current, office, sql, params });
      return query(sql, params);
    };
    return db;
  },
});
const supergraphPath = await writeSupergraph('explain', offices.urls);
const port = 4900 + (process.pid % 100);
const gatewayUrl = `http://127.0.0.1:${port}/graphql`;
const gateway = spawn(process.execPath, [join(root, 'gateway/dist/main.js')], {
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SUPERGRAPH_PATH: supergraphPath,
  },
  stdio: 'ignore',
});
const ask = async (body) => {
  const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const parsed = JSON.parse(await response.text());
  if (parsed.errors || !parsed.data) throw new Error(`unexpected answer ${JSON.stringify(parsed).slice(0, 400)}`);
};
for (let tries = 0; ; tries++) {
  try {
    await ask('{"query":"{ __typename }"}');
    break;
  } catch (error) {
    if (tries > 300) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const mix = JSON.parse(await readFile(join(root, 'bench/queries/e2e-mix.json'), 'utf8'));
const client = new pg.Client({ connectionString: defaultDatabaseUrl });
await client.connect();
const rows = [];
try {
  for (const request of mix.requests) {
    const body = JSON.stringify({ query: request.query, variables: request.variants?.[0] ?? request.variables ?? {} });
    await ask(body);
    current = request.name;
    await ask(body);
    current = null;
    const statements = recorded.splice(0);
    console.log(`\n## ${request.name}: ${statements.length} statements`);
    for (const { office, sql, params } of statements) {
      const times = [];
      const planning = [];
      let plan;
      for (let i = 0; i < 3; i++) {
        const { rows: result } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
        plan = result[0]['QUERY PLAN'][0];
        times.push(plan['Execution Time']);
        planning.push(plan['Planning Time']);
      }
      const executionMs = Math.round(times.sort((a, b) => a - b)[1] * 100) / 100;
      const planningMs = Math.round(planning.sort((a, b) => a - b)[1] * 100) / 100;
      const top = [];
      const walk = (node, depth) => {
        if (depth > 3) return;
        const on = node['Index Name'] ?? node['Relation Name'] ?? '';
        top.push(
          `${'  '.repeat(depth)}${node['Node Type']}${on ? ` ${on}` : ''} rows=${node['Actual Rows']} loops=${node['Actual Loops']} ${Math.round(node['Actual Total Time'] * 100) / 100}ms`,
        );
        for (const child of node.Plans ?? []) walk(child, depth + 1);
      };
      walk(plan.Plan, 0);
      const oneLine = sql.replace(/\s+/g, ' ').trim();
      console.log(
        `- ${office} ${executionMs} ms, buffers hit ${plan.Plan['Shared Hit Blocks']} read ${plan.Plan['Shared Read Blocks']}, params ${JSON.stringify(params).slice(0, 120)}`,
      );
      console.log(`  ${oneLine.slice(0, 400)}${oneLine.length > 400 ? '...' : ''}`);
      if (cli.values.plans) {
        const { rows: text } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        for (const line of text) console.log(`    ${line['QUERY PLAN']}`);
      } else for (const line of top) console.log(`    ${line}`);
      rows.push({ question: request.name, office, executionMs, planningMs, sql: oneLine.slice(0, 80) });
    }
  }
} finally {
  await client.end();
  gateway.kill('SIGTERM');
  await offices.stop();
}
console.log('\n| question | office | execution ms | planning ms | statement |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) {
  console.log(`| ${row.question} | ${row.office} | ${row.executionMs} | ${row.planningMs} | \`${row.sql}...\` |`);
}
