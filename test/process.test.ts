import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

/** Starts a process entry point from source, as `npm start` starts its build. */
function run(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', entry], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('processes', () => {
  it('the whole system starts, answers, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const system = run('packages/stack/src/main.ts', { PORT: '0', SUBGRAPH_PORTS_ANY: 'true' });
    const url = await new Promise<string>((resolve, reject) => {
      system.child.stdout.on('data', () => {
        const match = /Gateway ready in [\d.]+ s: (\S+)/.exec(system.output().stdout);
        if (match) resolve(match[1]!);
      });
      void system.exited.then((code) => reject(new Error(`exited ${code}: ${system.output().stderr}`)));
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ agreement(id: "smart-border-declaration") { parties { name } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { agreement: { parties: [{ name: 'Canada' }, { name: 'United States' }] } },
    });
    system.child.kill('SIGINT');
    expect(await system.exited).toBe(0);
  });

  it("one office's subgraph starts alone on its own port and store, and stops on SIGTERM", async () => {
    const partners = run('subgraphs/partners/src/index.ts', { PORT: '0', LOG_LEVEL: 'info' });
    const url = await new Promise<string>((resolve, reject) => {
      partners.child.stdout.on('data', () => {
        const match = /"url":"([^"]+)","msg":"subgraph listening"/.exec(partners.output().stdout);
        if (match) resolve(match[1]!);
      });
      void partners.exited.then((code) => reject(new Error(`exited ${code}: ${partners.output().stderr}`)));
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ partner(id: "g8") { name members { totalCount } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { partner: { name: 'Group of Eight (G8)', members: { totalCount: 8 } } },
    });
    partners.child.kill('SIGTERM');
    expect(await partners.exited).toBe(0);
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
});
