import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { checkSchema, formatReport } from '@cip/schema/check';
import { COMPOSITION_INPUT, compose, readCompositionInput } from '@cip/schema';
import { FileUsageStore, PostgresUsageStore, type UsageStore } from '@cip/schema/usage';
import { describeUnless } from '@cip/testing/suites';
import { POSTGRES_SKIP_REASON } from '@cip/testing/subgraphs';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH } from '@cip/testing/tokens';

const DAY_MS = 86_400_000;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs one of the usage command lines (`npm run usage`, `usage:export`) from its source. */
const cli = (script: string, args: readonly string[]) =>
  promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], {
    cwd: root,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
const HOME_PARTY = 'query PartnerHome { partner(id: "canada") { name homeParty } }';
const NAME_ONLY = 'query PartnerName { partner(id: "canada") { name } }';
const CLIENT_A = { 'apollographql-client-name': 'client-a', 'apollographql-client-version': '1.0.0' };
// Client B names itself with the GraphQL-neutral headers.
const CLIENT_B = { 'graphql-client-name': 'client-b', 'graphql-client-version': '2.1.0' };

async function ask(gatewayUrl: string, query: string, headers: Record<string, string>) {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
}

/** The real graph with `Partner.homeParty` removed, checked against the real graph and the recorded use. */
async function checkRemovingHomeParty(store: UsageStore, asOf: number) {
  const subgraphs = await readCompositionInput(COMPOSITION_INPUT);
  const base = compose(subgraphs);
  if (!base.ok) throw new Error('the graph must compose');
  const changed = subgraphs.map((subgraph) =>
    subgraph.name === 'partners'
      ? {
          ...subgraph,
          sdl: subgraph.sdl.replace(/(type Partner @key[\s\S]*?)(\n {2}"[^"\n]*")?\n {2}homeParty: Boolean!?/, '$1'),
        }
      : subgraph,
  );
  expect(changed[0]?.sdl).not.toContain('  homeParty: Boolean');
  return checkSchema({
    subgraphs: changed,
    baseApiSdl: base.apiSdl,
    baseLabel: 'the running graph',
    // Only the recorded traffic decides here; registered operations are schema:check's own test.
    operations: [],
    usage: { snapshot: await store.read(asOf - 7 * DAY_MS), window: '7d', store: store.description },
  });
}

describe('usage recorded from real traffic decides whether a breaking change fails', () => {
  let dir: string;
  let file: string;
  let system: RunningSystem | undefined;
  const env = () => ({ USAGE_RECORDING: 'on', USAGE_FILE: file, USAGE_FLUSH_MS: '3600000' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'usage-system-'));
    file = join(dir, 'usage.json');
    system = await startSystem(env());
  });
  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('removing a field only client A used fails naming A with its count, and passes once that use is out of the window', async () => {
    for (let i = 0; i < 3; i++) await ask(system!.gatewayUrl, HOME_PARTY, CLIENT_A);
    for (let i = 0; i < 2; i++) await ask(system!.gatewayUrl, NAME_ONLY, CLIENT_B);
    await system!.gateway.usage.flush();
    const store = new FileUsageStore(file);

    const now = await checkRemovingHomeParty(store, Date.now());
    expect(now.exitCode).toBe(1);
    const removed = now.changes.find((change) => change.path === 'Partner.homeParty');
    expect(removed).toMatchObject({ level: 'breaking', fails: true });
    expect(removed?.seenUse).toEqual([
      expect.objectContaining({ operation: 'PartnerHome', clientName: 'client-a', clientVersion: '1.0.0', count: 3 }),
    ]);
    expect(formatReport(now)).toMatch(
      /Partner\.homeParty: .*\n {6}used by PartnerHome by client-a 1\.0\.0: 3 requests, last /,
    );
    expect(formatReport(now)).not.toContain('client-b');

    // Eight days on, client A's last use is older than the window.
    const later = await checkRemovingHomeParty(store, Date.now() + 8 * DAY_MS);
    expect(later.exitCode, formatReport(later)).toBe(0);
    expect(formatReport(later)).toMatch(/Partner\.homeParty: .*\[no use seen in the last 7 days\]/);
  });

  it('npm run usage names who uses a field; --deprecated lists deprecated fields with their remaining use', async () => {
    const used = await cli('schema/src/usageCli.ts', ['Partner.homeParty', '--usage', file]);
    expect(used.code, used.stderr).toBe(0);
    expect(used.stdout).toMatch(/^Partner\.homeParty: used by 1 operation\(s\) from 1 client\(s\) in the last 7 days/);
    expect(used.stdout).toContain('  - PartnerHome by client-a 1.0.0: 3 requests, last ');
    const later = new Date(Date.now() + 8 * DAY_MS).toISOString();
    const agedOut = await cli('schema/src/usageCli.ts', ['Partner.homeParty', '--usage', file, '--as-of', later]);
    expect(agedOut.stdout).toMatch(/^Partner\.homeParty: no use seen in the last 7 days/);
    const unused = await cli('schema/src/usageCli.ts', ['Partner.region', '--usage', file]);
    expect(unused.stdout).toMatch(/^Partner\.region: no use seen in the last 7 days/);

    const schemaFile = join(dir, 'deprecating.graphql');
    await writeFile(
      schemaFile,
      'type Query { partner(id: ID!): Partner }\n' +
        'type Partner { name: String!, region: String @deprecated(reason: "unused"), homeParty: Boolean! @deprecated(reason: "use kind") }\n',
    );
    const deprecated = await cli('schema/src/usageCli.ts', ['--deprecated', '--schema', schemaFile, '--usage', file]);
    expect(deprecated.code, deprecated.stderr).toBe(0);
    expect(deprecated.stdout).toContain('  - Partner.region (unused): no use seen\n');
    expect(deprecated.stdout).toMatch(
      / {2}- Partner\.homeParty \(use kind\)\n {6}used by PartnerHome by client-a 1\.0\.0: 3 requests/,
    );
  });

  it('npm run usage:export writes the seen operations as a manifest that trusted-documents enforcement loads', async () => {
    const manifest = join(dir, 'trusted-documents.seen.json');
    const exported = await cli('schema/src/usageExportCli.ts', ['--usage', file, '--out', manifest]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/^2 operation\(s\) seen in the last 30d written to /);
    const subgraphUrls = Object.entries(system!.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    const enforcing = await buildGateway(
      parseGatewayConfig({
        NODE_ENV: 'test',
        // With a key configured, an anonymous caller is no analyst: it is held to the manifest.
        ...TEST_AUTH,
        SUBGRAPH_URLS: subgraphUrls,
        TRUSTED_DOCUMENTS: 'enforce',
        TRUSTED_DOCUMENTS_PATH: manifest,
        USAGE_RECORDING: 'off',
      }),
      pino({ level: 'silent' }),
    );
    try {
      const url = `${await enforcing.listen('127.0.0.1', 0)}/graphql`;
      await ask(url, HOME_PARTY, CLIENT_A);
      const unseen = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ partner(id: "canada") { region } }' }),
      });
      const body = (await unseen.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
    } finally {
      await enforcing.stop();
    }
  });

  it('writes what it holds when it stops, keeps it across a restart, and adds to it', async () => {
    // Not flushed by the test: stopping the gateway writes it.
    await ask(system!.gatewayUrl, NAME_ONLY, CLIENT_B);
    await system!.stop();
    system = undefined;
    system = await startSystem(env());
    await ask(system.gatewayUrl, HOME_PARTY, CLIENT_A);
    await system.gateway.usage.flush();
    const { counts } = await new FileUsageStore(file).read(0);
    const total = (client: string) =>
      counts.filter((count) => count.clientName === client).reduce((sum, count) => sum + count.count, 0);
    expect({ a: total('client-a'), b: total('client-b') }).toEqual({ a: 4, b: 3 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ format: 'cip-usage', version: 1 });
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;

describeUnless(
  adminUrl ? undefined : POSTGRES_SKIP_REASON,
  'two gateway replicas write usage to one PostgreSQL store',
  () => {
    const schema = `usage_test_${randomBytes(4).toString('hex')}`;
    let system: RunningSystem;
    let replica: GatewayApp;
    let replicaUrl: string;

    beforeAll(async () => {
      const usageEnv = { USAGE_RECORDING: 'on', USAGE_DATABASE_URL: adminUrl!, USAGE_DATABASE_SCHEMA: schema };
      system = await startSystem({ ...usageEnv, USAGE_FLUSH_MS: '3600000' });
      const subgraphUrls = Object.entries(system.subgraphUrls)
        .map(([name, url]) => `${name}=${url}`)
        .join(',');
      replica = await buildGateway(
        parseGatewayConfig({ NODE_ENV: 'test', ...usageEnv, USAGE_FLUSH_MS: '3600000', SUBGRAPH_URLS: subgraphUrls }),
        pino({ level: 'silent' }),
      );
      replicaUrl = `${await replica.listen('127.0.0.1', 0)}/graphql`;
    });
    afterAll(async () => {
      await replica?.stop();
      await system?.stop();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    });

    it('counts from both replicas add up, and a check reads them as one', async () => {
      for (let i = 0; i < 2; i++) await ask(system.gatewayUrl, HOME_PARTY, CLIENT_A);
      for (let i = 0; i < 3; i++) await ask(replicaUrl, HOME_PARTY, CLIENT_A);
      await ask(replicaUrl, NAME_ONLY, CLIENT_B);
      await Promise.all([system.gateway.usage.flush(), replica.usage.flush()]);
      const store = new PostgresUsageStore(adminUrl!, schema);
      try {
        const report = await checkRemovingHomeParty(store, Date.now());
        expect(report.exitCode).toBe(1);
        expect(report.changes.find((change) => change.path === 'Partner.homeParty')?.seenUse).toEqual([
          expect.objectContaining({ operation: 'PartnerHome', clientName: 'client-a', count: 5 }),
        ]);
      } finally {
        await store.close();
      }
    });
  },
);
