import { describe, expect, it } from 'vitest';
import { startEntry } from '@cip/testing/processes';

/** Starts a process entry point from its build, as `npm start` does. */
const run = (entry: string, env: Record<string, string>) => startEntry(entry, { LOG_LEVEL: 'silent', ...env });

describe('processes', () => {
  it('the whole system starts, answers, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const system = run('packages/stack/src/main.ts', { PORT: '0', SUBGRAPH_PORTS_ANY: 'true' });
    const [, url] = await system.waitFor(/Gateway ready in [\d.]+ s: (\S+)/);
    const response = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ agreement(id: "smart-border-declaration") { parties { name } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { agreement: { parties: [{ name: 'Canada' }, { name: 'United States' }] } },
    });
    expect(await system.stop('SIGINT')).toBe(0);
  });

  it("one office's subgraph starts alone on its own port and store, and stops on SIGTERM", async () => {
    const partners = run('subgraphs/partners/src/index.ts', { PORT: '0', LOG_LEVEL: 'info' });
    const [, url] = await partners.waitFor(/"url":"([^"]+)","msg":"subgraph listening"/);
    const response = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ partner(id: "g8") { name members { totalCount } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { partner: { name: 'Group of Eight (G8)', members: { totalCount: 8 } } },
    });
    expect(await partners.stop('SIGTERM')).toBe(0);
  });

  it.each([
    ['packages/stack/src/main.ts', { PORT: 'eighty' }, 'PORT="eighty"'],
    ['gateway/src/main.ts', { SUBGRAPH_URLS: 'partners' }, 'SUBGRAPH_URLS="partners"'],
    ['subgraphs/sectors/src/index.ts', { DATABASE_URL: 'mysql://db' }, 'DATABASE_URL="mysql://db"'],
  ])('%s refuses a bad config value, naming the variable, with exit code 78', async (entry, env, named) => {
    const started = run(entry, env);
    expect(await started.exited).toBe(78);
    expect(started.output().stderr).toContain('invalid configuration');
    expect(started.output().stderr).toContain(named);
  });

  // Regression (issue 13, item 8): a refused AUTH_HS256_SECRET used to be printed at start-up.
  it('gateway/src/main.ts names a too-short AUTH_HS256_SECRET at start-up without printing its value', async () => {
    const started = run('gateway/src/main.ts', { AUTH_HS256_SECRET: 'short-but-still-secret' });
    expect(await started.exited).toBe(78);
    const { stdout, stderr } = started.output();
    expect(stderr).toContain('AUTH_HS256_SECRET: expected at least 32 characters');
    expect(stdout + stderr).not.toContain('short-but-still-secret');
  });
});
