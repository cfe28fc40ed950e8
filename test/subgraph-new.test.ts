import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A scratch copy of the working tree (every file git tracks or would track), sharing this
 * checkout's installed dependencies: a real `node_modules` folder whose entries link to ours,
 * except `@cip/*`, which link to the copy's own workspaces so the copy runs its own code.
 */
async function copyRepo(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'cip-subgraph-new-'));
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await cp(join(REPO, file), join(copy, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the working tree, not yet in git
    });
  }
  await mkdir(join(copy, 'node_modules', '@cip'), { recursive: true });
  for (const entry of await readdir(join(REPO, 'node_modules'))) {
    if (entry !== '@cip') await symlink(join(REPO, 'node_modules', entry), join(copy, 'node_modules', entry));
  }
  for (const entry of await readdir(join(REPO, 'node_modules', '@cip'))) {
    await symlink(await readlink(join(REPO, 'node_modules', '@cip', entry)), join(copy, 'node_modules', '@cip', entry));
  }
  // Workspaces with dependencies of their own (versions that differ from the hoisted ones).
  const workspaces = ['gateway', 'schema', ...['packages', 'subgraphs'].flatMap((dir) => [`${dir}/*`])];
  for (const pattern of workspaces) {
    const [parent, star] = pattern.split('/');
    const dirs = star ? (await readdir(join(REPO, parent!))).map((name) => `${parent}/${name}`) : [pattern];
    for (const dir of dirs) {
      const nested = join(REPO, dir, 'node_modules');
      if (
        await readdir(nested).then(
          () => true,
          () => false,
        )
      )
        await symlink(nested, join(copy, dir, 'node_modules'));
    }
  }
  return copy;
}

/** Runs the scaffolder in the copy; resolves with its exit code and output, never rejects. */
async function subgraphNew(cwd: string, args: string[]) {
  return run(join(cwd, 'node_modules/.bin/tsx'), ['--conditions=source', 'scripts/subgraph-new.ts', ...args], {
    cwd,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** What the scaffolder may change: if this is equal before and after, it changed nothing. */
async function treeState(copy: string) {
  return {
    subgraphs: (await readdir(join(copy, 'subgraphs'))).sort(),
    links: (await readdir(join(copy, 'node_modules', '@cip'))).sort(),
    files: await Promise.all(
      ['schema/subgraphs.json', 'schema/api.graphql', 'schema/supergraph.graphql'].map((file) =>
        readFile(join(copy, file), 'utf8'),
      ),
    ),
  };
}

/** A partner office's feed, served for real on a free port (the stack runs in another process). */
async function startFeed(records: unknown[]): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(records));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`, server };
}

/** `npm start` in the copy, on free ports; resolves once the gateway answers. */
async function startStack(
  cwd: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; gatewayUrl: string; output: () => string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/stack/src/main.ts'], {
    cwd,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', SUBGRAPH_PORTS_ANY: 'true', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const gatewayUrl = await new Promise<string>((resolveUrl, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /Gateway ready in [\d.]+ s: (\S+)/.exec(output);
      if (ready) resolveUrl(ready[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the stack exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, gatewayUrl, output: () => output };
}

describe('npm run subgraph:new', () => {
  let copy: string;
  beforeAll(async () => {
    copy = await copyRepo();
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  it.each([
    [['Bad_Name'], 64, /"Bad_Name" is not a subgraph name: use kebab-case/],
    [['gateway'], 64, /reserved/],
    [['partners'], 73, /A subgraph named partners is already in schema\/subgraphs\.json/],
    [['ok-name', '--port', '4001'], 73, /Port 4001 is already used by the partners subgraph/],
    [['ok-name', '--port', '4000'], 73, /Port 4000 is already used by the gateway/],
    [['ok-name', '--entity', 'Partner'], 73, /already defines a type Partner/],
    [['ok-name', '--entity', 'lowercase'], 64, /not a GraphQL type name/],
    [['ok-name', '--references', 'PageInfo'], 64, /is not an entity/],
    [['ok-name', '--feed', 'ftp://feed.invalid/x'], 64, /not an http\(s\) URL/],
    [['ok-name', '--colour', 'blue'], 64, /Unknown option '--colour'/],
    // Composes only after writing: `Query.sectors` would be resolved by two offices. Everything is put back.
    [['ok-name', '--entity', 'Sectors'], 65, /does not compose with the others:\n[\s\S]*INVALID_FIELD_SHARING/],
  ])('refuses %j with exit code %i and a clear message, changing nothing', async (args, code, message) => {
    const before = await treeState(copy);
    const result = await subgraphNew(copy, args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Nothing was changed.');
    expect(await treeState(copy)).toEqual(before);
  });

  it('scaffolds a feed-backed and a store-backed subgraph that pass their tests, compose, start with the others and join Partner through the gateway', async () => {
    const feed = await startFeed([
      { id: 'canada-grid-report', title: 'Cross-border electricity grid', partnerId: 'canada' },
      { id: 'uk-rail-report', title: 'Channel tunnel security', partnerId: 'united-kingdom' },
      { id: 'Broken Record', partnerId: 'mexico' },
    ]);
    let stack: Awaited<ReturnType<typeof startStack>> | undefined;
    try {
      const created = await subgraphNew(copy, ['partner-reports', '--entity', 'PartnerReport', '--feed', feed.url]);
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const registry = JSON.parse(await readFile(join(copy, 'schema/subgraphs.json'), 'utf8')) as {
        subgraphs: { name: string; routingUrl: string }[];
      };
      expect(registry.subgraphs.at(-1)).toMatchObject({
        name: 'partner-reports',
        routingUrl: 'http://127.0.0.1:4005/graphql',
      });
      // And one over its own store, like the four offices, on the next free port.
      expect(await subgraphNew(copy, ['incident-notes'])).toMatchObject({ code: 0, stderr: '' });
      // Both pass their generated tests as they are.
      const tests = await run(
        join(copy, 'node_modules/.bin/vitest'),
        ['run', 'subgraphs/partner-reports', 'subgraphs/incident-notes'],
        { cwd: copy, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      );
      expect(tests.stdout).toMatch(/Test Files\s+2 passed \(2\)/);
      // The committed schema files are what composing the new tree gives.
      await expect(
        run(join(copy, 'node_modules/.bin/tsx'), ['--conditions=source', 'schema/src/cli.ts', 'check'], { cwd: copy }),
      ).resolves.toMatchObject({ stdout: 'Supergraph and API schema are up to date.\n' });

      // The feed is asked again at every request, so the test can see its partner go down.
      stack = await startStack(copy, { PARTNER_REPORTS_FEED_TTL_MS: '1' });
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{
              partner(id: "canada") { name partnerReports { id title } }
              partnerReport(id: "uk-rail-report") { title partner { id name } }
              partnerReports { totalCount }
              ukNotes: partner(id: "united-kingdom") { incidentNotes { id partner { name } } }
            }`,
        }),
      });
      expect(await response.json()).toEqual({
        data: {
          partner: {
            name: 'Canada',
            partnerReports: [{ id: 'canada-grid-report', title: 'Cross-border electricity grid' }],
          },
          partnerReport: {
            title: 'Channel tunnel security',
            partner: { id: 'united-kingdom', name: 'United Kingdom' },
          },
          partnerReports: { totalCount: 2 },
          ukNotes: { incidentNotes: [{ id: 'example-united-kingdom', partner: { name: 'United Kingdom' } }] },
        },
      });
      // The feed-backed subgraph reports its feed on /ready and /metrics: a copy to serve, and the one bad
      // record of the fixture quarantined.
      const reportsUrl = /subgraph partner-reports\s+(\S+)\/graphql/.exec(stack.output())?.[1];
      expect(reportsUrl).toBeDefined();
      const ready = await fetch(`${reportsUrl}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        store: 'ok',
        feed: { ready: true, quarantine: { count: 1 } },
      });
      expect(await (await fetch(`${reportsUrl}/metrics`)).text()).toMatch(
        /^feed_quarantined_records\{feed="partner-reports"\} 1$/m,
      );
      // With the partner down, the last good copy is served, and a client can tell from each record's
      // `freshness`: stale, and since when.
      const gatewayUrl = stack.gatewayUrl;
      const report = async () =>
        await (
          await fetch(gatewayUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              query: '{ partnerReport(id: "uk-rail-report") { title freshness { stale staleSince } } }',
            }),
          })
        ).json();
      expect(await report()).toEqual({
        data: { partnerReport: { title: 'Channel tunnel security', freshness: { stale: false, staleSince: null } } },
      });
      feed.server.closeAllConnections();
      await new Promise((resolve) => feed.server.close(resolve));
      expect(await report()).toEqual({
        data: {
          partnerReport: {
            title: 'Channel tunnel security',
            freshness: { stale: true, staleSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
          },
        },
      });
    } finally {
      if (stack) {
        stack.child.kill('SIGTERM');
        if (stack.child.exitCode === null) await once(stack.child, 'exit');
      }
      feed.server.close();
    }
  }, 180_000);
});
