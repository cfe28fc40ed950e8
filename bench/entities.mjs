// The subgraph side of the gateway's cost: one `_entities` batch of 1,000 references, per entity
// type, against the real subgraphs over the generated data set (bench/data/generate.sql, in the
// scratch PostgreSQL database bench/lib/backend.mjs prepares). Reports the median and worst time of
// a batch and how many SQL statements it ran (one per field that reaches the store, never one per
// reference). Usage: node bench/entities.mjs [<batches>]
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/entities.mjs',
  help: `node bench/entities.mjs: times one _entities batch of 1,000 references per entity type against the real subgraphs.

Usage: node bench/entities.mjs [<batches>]

Arguments:
  <batches>           timed batches per entity type, after two warm-up batches (default: 15)

Options:
  -h, --help          print this help and exit

Environment variables:
  BENCH_DATABASE_URL  the scratch PostgreSQL database (default: postgres://postgres@127.0.0.1:5432/cip_bench)

Needs \`npm run build\` and the data set, which \`npm run bench\` generates (bench/data/generate.sql).
Prints one JSON line per entity type, then a table: median and worst ms, SQL statements, response KB.
`,
  options: {},
  positionals: 1,
});
const batches = cli.integer('<batches>', cli.positionals[0] ?? '15');
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cip_bench';
// Loaded once the command line is read: --help needs neither a build nor the whole graph.
const [
  { createLogger },
  { PostgresDatabase, buildSubgraphApp, migrateSubgraph },
  { agreementsSubgraph },
  { partnersSubgraph },
  { sectorsSubgraph },
  { threatFocusAreasSubgraph },
] = await Promise.all([
  import('@cip/core'),
  import('@cip/subgraph-kit'),
  import('@cip/subgraph-agreements'),
  import('@cip/subgraph-partners'),
  import('@cip/subgraph-sectors'),
  import('@cip/subgraph-threat-focus-areas'),
]);
const pad = (n, width) => String(n).padStart(width, '0');

/** One batch per entity type: which subgraph, which references, which fields (as the gateway asks). */
const cases = [
  {
    name: 'Partner (partners: profile, bodies, memberships)',
    module: partnersSubgraph,
    typename: 'Partner',
    ids: Array.from({ length: 1000 }, (_, i) => `p-${pad(i * 5 + 1, 5)}`),
    selection: 'id name shortName kind region bodies { name } memberOf { asOfYear organization { id } }',
  },
  {
    name: 'Partner (agreements: first 5 agreements of each)',
    module: agreementsSubgraph,
    typename: 'Partner',
    ids: Array.from({ length: 1000 }, (_, i) => `p-${pad(i * 5 + 1, 5)}`),
    selection: 'agreements(first: 5) { totalCount nodes { id title } }',
  },
  {
    name: 'Agreement (agreements: record, parties, sectors, focus areas)',
    module: agreementsSubgraph,
    typename: 'Agreement',
    ids: Array.from({ length: 1000 }, (_, i) => `a-${pad(i * 50 + 1, 6)}`),
    selection: 'id title kind scope signed { text } parties { id } sectors { id } threatFocusAreas { id }',
  },
  {
    name: 'Sector (threat-focus-areas: focus areas touching each)',
    module: threatFocusAreasSubgraph,
    typename: 'Sector',
    // 17 sectors repeated: the gateway sends duplicates as they appear in the plan's results.
    idsFrom: 'SELECT id FROM sectors.sector ORDER BY id',
    selection: 'threatFocusAreas { id name }',
  },
  {
    name: 'Sector (sectors: record, agencies, dependencies)',
    module: sectorsSubgraph,
    typename: 'Sector',
    idsFrom: 'SELECT id FROM sectors.sector ORDER BY id',
    selection: 'id name agencies { abbreviation } dependsOn { sector { id } }',
  },
];

const logger = createLogger('bench-entities', 'warn');
const results = [];
for (const testCase of cases) {
  const db = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 10, statementTimeoutMs: 60_000 });
  await migrateSubgraph(testCase.module, db);
  let ids = testCase.ids;
  if (testCase.idsFrom) {
    const rows = await db.query(testCase.idsFrom);
    ids = Array.from({ length: 1000 }, (_, i) => rows[i % rows.length].id);
  }
  const app = await buildSubgraphApp(testCase.module, {
    db,
    logger,
    mode: 'production',
    maxBodyBytes: 16 * 1_048_576,
    signing: null,
  });
  const url = `${await app.listen('127.0.0.1', 0)}/graphql`;
  const body = JSON.stringify({
    query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${testCase.typename} { ${testCase.selection} } } }`,
    variables: { representations: ids.map((id) => ({ __typename: testCase.typename, id })) },
  });
  let statements = 0;
  db.onStatement(() => statements++);
  const times = [];
  let bytes = 0;
  for (let i = 0; i < batches + 2; i++) {
    statements = 0;
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    const elapsed = performance.now() - started;
    const parsed = JSON.parse(text);
    if (parsed.errors || parsed.data?._entities?.length !== 1000) {
      throw new Error(`${testCase.name}: unexpected answer ${text.slice(0, 300)}`);
    }
    bytes = text.length;
    if (i >= 2) times.push(elapsed); // the first two warm the plan caches and the pool
  }
  times.sort((a, b) => a - b);
  const result = {
    case: testCase.name,
    medianMs: Math.round(times[Math.floor(times.length / 2)] * 10) / 10,
    maxMs: Math.round(times[times.length - 1] * 10) / 10,
    statements,
    responseKB: Math.round(bytes / 1024),
  };
  results.push(result);
  console.log(JSON.stringify(result));
  await app.stop();
  await db.close();
}
console.log('\n| batch of 1,000 references | median ms | max ms | SQL statements | response KB |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) console.log(`| ${r.case} | ${r.medianMs} | ${r.maxMs} | ${r.statements} | ${r.responseKB} |`);
