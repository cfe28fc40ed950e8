import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, listen, routes, sendJson, type RequestHandler } from '@cip/core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { EXPLORER_CSP, createExplorer, type ExplorerOptions } from './explorer.js';
import type { AnalystCheck } from './explorerAccess.js';

const PAGE = '<!doctype html><title>explorer</title><script type="module" src="./assets/app-1a2b.js"></script>';
let distDir: string;
let server: Server | undefined;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'cip-explorer-dist-'));
  await mkdir(join(distDir, 'assets'));
  await writeFile(join(distDir, 'index.html'), PAGE);
  await writeFile(join(distDir, 'assets/app-1a2b.js'), 'console.log("explorer");\n'.repeat(200));
  await writeFile(join(distDir, 'assets/codicon-3c4d.ttf'), Buffer.from([0, 1, 0, 0]));
});
afterAll(() => rm(distDir, { recursive: true, force: true }));
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

const graphql: RequestHandler = (req, res) => sendJson(res, 200, { graphql: req.method });

/** The gateway's route table with the explorer in it, on a free port. */
async function serve(options: Partial<ExplorerOptions> = {}): Promise<string> {
  const explorer = await createExplorer({
    mode: 'on',
    distDir,
    context: async (req) => ({ req }),
    isAnalyst: () => false,
    ...options,
  });
  const table: Record<string, RequestHandler> = { '/graphql': explorer.negotiate(graphql), ...explorer.routes };
  server = createServer(routes(table, () => undefined));
  return listen(server, '127.0.0.1', 0);
}

describe('the explorer routes', () => {
  test('serve the page at / with its content type, revalidation and a same-origin-only CSP', async () => {
    const base = await serve();
    const response = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, no-cache');
    expect(response.headers.get('content-security-policy')).toBe(EXPLORER_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(PAGE);
  });

  test('the CSP names no origin but the page’s own', () => {
    expect(EXPLORER_CSP).toContain("default-src 'self'");
    expect(EXPLORER_CSP).toContain("connect-src 'self'");
    expect(EXPLORER_CSP).not.toMatch(/https?:|\*/);
  });

  test('serve hashed assets as immutable, gzipped when the client accepts it', async () => {
    const base = await serve();
    const response = await fetch(`${base}/assets/app-1a2b.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await response.text()).toContain('console.log("explorer")');

    const font = await fetch(`${base}/assets/codicon-3c4d.ttf`, { headers: { 'accept-encoding': 'identity' } });
    expect(font.headers.get('content-type')).toBe('font/ttf');
    expect(font.headers.get('content-encoding')).toBeNull();
  });

  test('answer nothing outside the build', async () => {
    const base = await serve();
    for (const path of ['/assets/missing.js', '/assets/../index.html', '/package.json', '/assets/%2e%2e/index.html']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
    }
  });

  test('refuse methods other than GET and HEAD', async () => {
    const base = await serve();
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'METHOD_NOT_ALLOWED',
    );
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  test('serve the page at /graphql to a browser, and GraphQL to everyone else', async () => {
    const base = await serve();
    const browser = await fetch(`${base}/graphql`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const getQuery = await fetch(`${base}/graphql?query=%7B__typename%7D`, { headers: { accept: 'text/html' } });
    expect(await getQuery.json()).toEqual({ graphql: 'GET' });
    const post = await fetch(`${base}/graphql`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(await post.json()).toEqual({ graphql: 'POST' });
    const client = await fetch(`${base}/graphql`, { headers: { accept: 'application/json' } });
    expect(await client.json()).toEqual({ graphql: 'GET' });
  });

  test('are absent when the explorer is off, and /graphql stays GraphQL', async () => {
    const base = await serve({ mode: 'off' });
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/assets/app-1a2b.js`)).status).toBe(404);
    const browser = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(await browser.json()).toEqual({ graphql: 'GET' });
  });

  test('serve only analysts when restricted to them, and keep shared caches out', async () => {
    const isAnalyst: AnalystCheck = (context) => context.req.headers.authorization === 'Bearer analyst';
    const base = await serve({ mode: 'analysts', isAnalyst });
    const anonymous = await fetch(`${base}/`);
    expect(anonymous.status).toBe(403);
    expect(
      ((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('EXPLORER_FORBIDDEN');
    expect((await fetch(`${base}/assets/app-1a2b.js`)).status).toBe(403);
    const analyst = await fetch(`${base}/`, { headers: { authorization: 'Bearer analyst' } });
    expect(analyst.status).toBe(200);
    expect(analyst.headers.get('cache-control')).toBe('private, no-cache');
  });

  test('say how to build the explorer when it has not been built', async () => {
    const base = await serve({ distDir: join(distDir, 'not-built') });
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('EXPLORER_NOT_BUILT');
    expect(body.errors[0]!.message).toContain('npm run build');
  });
});
