import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '@cip/core';
import { startSystem, type RunningSystem } from '@cip/testing/system';

// A browser app on another origin, in real Chromium (Debian's, as the explorer's tests use it): two
// pages served from other local origins on free ports, one in CORS_ORIGINS and one not, each
// querying the gateway with `fetch` as a frontend would.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

/** A page server: answers every path with an empty HTML page, so the page's origin is its own. */
async function startPageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>app</title>');
  });
  return { origin: await listen(server, '127.0.0.1', 0), server };
}

/** What a page's `fetch` of the gateway gives: the JSON body, or the TypeError a CORS failure is. */
function queryFromPage(page: Page, url: string, init: { credentials?: 'include' | 'omit' | 'same-origin' } = {}) {
  return page.evaluate(
    async ({ url, credentials }) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          ...(credentials ? { credentials } : {}),
          headers: {
            'content-type': 'application/json',
            'apollographql-client-name': 'partner-screen',
            'apollographql-client-version': '1.0.0',
          },
          body: JSON.stringify({ query: '{ partner(id: "canada") { name } }' }),
        });
        return { status: response.status, body: await response.json() };
      } catch (error) {
        return { failed: error instanceof TypeError ? 'TypeError' : String(error) };
      }
    },
    { url, credentials: init.credentials },
  );
}

describe('a browser app on another origin', () => {
  let system: RunningSystem;
  let allowed: { origin: string; server: Server };
  let refused: { origin: string; server: Server };
  let userDataDir: string;
  let browser: BrowserContext;
  const corsErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI does).`);
    allowed = await startPageServer();
    refused = await startPageServer();
    system = await startSystem({ CORS_ORIGINS: allowed.origin });
    userDataDir = await mkdtemp(join(tmpdir(), 'cip-cors-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    for (const page of [allowed, refused]) if (page) await close(page.server);
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  async function pageAt(origin: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && /CORS/.test(message.text())) corsErrors.push(message.text());
    });
    await page.goto(`${origin}/`);
    return page;
  }

  it('gets data from a page on an allowed origin (after its preflight)', async () => {
    const page = await pageAt(allowed.origin);
    expect(await queryFromPage(page, system.gatewayUrl)).toEqual({
      status: 200,
      body: { data: { partner: { name: 'Canada' } } },
    });
    await page.close();
  });

  it('fails with a CORS error on a page from an origin not listed', async () => {
    const page = await pageAt(refused.origin);
    expect(await queryFromPage(page, system.gatewayUrl)).toEqual({ failed: 'TypeError' });
    expect(corsErrors.join('\n')).toContain(refused.origin);
    await page.close();
  });

  it('fails a request with credentials while CORS_ALLOW_CREDENTIALS is off', async () => {
    const page = await pageAt(allowed.origin);
    expect(await queryFromPage(page, system.gatewayUrl, { credentials: 'include' })).toEqual({ failed: 'TypeError' });
    await page.close();
  });
});
