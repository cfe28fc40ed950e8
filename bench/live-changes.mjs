// What an office's live changes cost and how soon they arrive (docs/live-changes.md): sequential
// updates of one partner, each timed from the write's resolution to its event at a graphql-ws
// subscriber over the office's real socket, then the same writes with the announcement left out of
// the audit insert (the write's own cost of pg_notify). Over PGlite, or PostgreSQL with
// BENCH_DATABASE_URL (a scratch database of its own, dropped after). Usage: node bench/live-changes.mjs [<writes>]
import { performance } from 'node:perf_hooks';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/live-changes.mjs',
  help: `node bench/live-changes.mjs: times an office's writes and their live change events.

Usage: node bench/live-changes.mjs [<writes>]

Arguments:
  <writes>            sequential updates of one partner per measurement (default: 300)

Options:
  -h, --help          print this help and exit

Environment variables:
  BENCH_DATABASE_URL  a PostgreSQL server (postgres://…) to run on, in a scratch database of its own (default: unset, the embedded store, PGlite)

Needs \`npm run build\`. Prints one JSON line per measurement (medians and p95 in ms).
`,
  options: {},
  positionals: 1,
});
const writes = cli.integer('<writes>', cli.positionals[0] ?? '300');
const [kit, core, { partnersSubgraph }, { createClient }, { default: WebSocket }, { default: pg }, { pino }] =
  await Promise.all([
    import('@cip/subgraph-kit'),
    import('@cip/core'),
    import('@cip/subgraph-partners'),
    import('graphql-ws'),
    import('ws'),
    import('pg'),
    import('pino'),
  ]);

const adminUrl = process.env.BENCH_DATABASE_URL;
const scratch = `cip_bench_live_${process.pid}`;
async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}
let db;
if (adminUrl) {
  await admin(`CREATE DATABASE ${scratch}`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  db = new kit.PostgresDatabase({ connectionString: url.toString(), poolSize: 4, statementTimeoutMs: 10_000 });
} else db = new kit.PgliteDatabase(await kit.openPglite());
await kit.migrateSubgraph(partnersSubgraph, db);
const app = await kit.buildSubgraphApp(partnersSubgraph, {
  db,
  logger: pino({ level: 'silent' }),
  mode: 'production',
  maxBodyBytes: 1_048_576,
});
const url = `${await app.listen('127.0.0.1', 0)}/graphql`;
const caller = { authenticated: true, subject: 'bench', scopes: ['partners:write'] };
const master = core.processSigningSecret();
const claims = core.encodeClaims(caller);
class SignedWebSocket extends WebSocket {
  constructor(address, protocols) {
    const signature = core.gatewaySigner(master)({
      audience: 'partners',
      method: 'GET',
      path: '/graphql',
      claims,
      body: '',
    });
    super(address, protocols, {
      headers: { [core.GATEWAY_CLAIMS_HEADER]: claims, [core.GATEWAY_SIGNATURE_HEADER]: signature },
    });
  }
}
const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: SignedWebSocket, retryAttempts: 0 });
const arrivals = new Map();
let waiting = null;
client.subscribe(
  { query: 'subscription { partnerChanged(ids: ["canada"]) { version partner { version } } }' },
  {
    next: ({ data }) => {
      arrivals.set(data.partnerChanged.version, performance.now());
      if (waiting && waiting.version === data.partnerChanged.version) waiting.resolve();
    },
    error: (error) => {
      console.error(error);
      process.exit(1);
    },
    complete: () => undefined,
  },
);
while (app.changes.subscribers < 1) await new Promise((resolve) => setTimeout(resolve, 10));

const contextValue = () => Object.assign(partnersSubgraph.createContext(db), { caller });
const UPDATE = `mutation ($version: Int!, $region: String!) {
  updatePartner(id: "canada", expectedVersion: $version, input: { region: $region }) { version } }`;
async function update(version) {
  const started = performance.now();
  const response = await app.apollo.executeOperation(
    { query: UPDATE, variables: { version, region: `Region ${version}` } },
    { contextValue: contextValue() },
  );
  const result = response.body.singleResult;
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return { started, committed: performance.now(), version: result.data.updatePartner.version };
}
const [{ version: start }] = await db.query(`SELECT version FROM partners.partner WHERE id = 'canada'`);
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const round = (value) => Math.round(value * 1000) / 1000;

// Warm-up, then the measured writes, one at a time: each waits for its own event.
let version = start;
for (let i = 0; i < 20; i++) version = (await update(version)).version;
const writeMs = [];
const eventMs = [];
for (let i = 0; i < writes; i++) {
  const done = await update(version);
  version = done.version;
  if (!arrivals.has(version)) await new Promise((resolve) => (waiting = { version, resolve }));
  writeMs.push(done.committed - done.started);
  eventMs.push(arrivals.get(version) - done.committed);
}
const store = db.kind;
console.log(
  JSON.stringify({
    measurement: 'update with a subscriber',
    store,
    writes,
    writeMedianMs: round(quantile(writeMs, 0.5)),
    writeP95Ms: round(quantile(writeMs, 0.95)),
    commitToEventMedianMs: round(quantile(eventMs, 0.5)),
    commitToEventP95Ms: round(quantile(eventMs, 0.95)),
  }),
);

// The audit insert alone, with and without its announcement (the office's own outbox statement,
// kit.insertAndAnnounceSql), alternating, in one transaction each.
const benchAuditRow = `INSERT INTO partners.audit_log (actor, action, entity_type, entity_id, old, new)
  VALUES ('bench', 'bench', 'Bench', 'x', NULL, '{}'::jsonb)`;
const auditInsert = (announce) =>
  db.transaction((tx) =>
    announce
      ? tx.query(kit.insertAndAnnounceSql(benchAuditRow, '$1'), [kit.changeChannel('partners')])
      : tx.query(benchAuditRow),
  );
const plain = [];
const announced = [];
for (let i = 0; i < writes; i++) {
  for (const [announce, into] of [
    [false, plain],
    [true, announced],
  ]) {
    const started = performance.now();
    await auditInsert(announce);
    into.push(performance.now() - started);
  }
}
console.log(
  JSON.stringify({
    measurement: 'audit insert transaction',
    store,
    writes,
    plainMedianMs: round(quantile(plain, 0.5)),
    announcedMedianMs: round(quantile(announced, 0.5)),
    plainP95Ms: round(quantile(plain, 0.95)),
    announcedP95Ms: round(quantile(announced, 0.95)),
  }),
);

await client.dispose();
await app.stop();
await db.close();
if (adminUrl) await admin(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
