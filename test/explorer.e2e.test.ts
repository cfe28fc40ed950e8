import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_FLAGS, editorText } from '@cip/testing/chromium';
import { ensureExplorerBuilt } from '@cip/testing/explorer-build';
import { startSystem, type RunningSystem } from '@cip/testing/system';

// The explorer in a real browser (@cip/testing/chromium), against the whole system on free ports.
const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, 'test-results');

describe('the explorer in a browser', () => {
  let system: RunningSystem;
  let origin: string;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI does).`);
    ensureExplorerBuilt();
    system = await startSystem();
    origin = new URL(system.gatewayUrl).origin;
    userDataDir = await mkdtemp(join(tmpdir(), 'cip-explorer-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1600, height: 1000 },
    });
    // Every request of the page, its workers included.
    browser.on('request', (request) => requested.push(request.url()));
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${origin}/`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  test('runs the partner-profile example with one click and shows who answered', async () => {
    await page.getByRole('button', { name: "Run A partner's profile" }).click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 60_000 }).toContain('"name": "Canada"');
    const shown = await editorText(page, '.graphiql-response');
    expect(shown).toContain('"region": "North America"');
    expect(shown).toContain('"sharesLandBorderWithUnitedStates": true');
    expect(shown).toContain('"shortName": "G8"');
    expect(shown).toContain('"totalCount": 2');
    expect(shown).toContain('Security and Prosperity');
    expect(await response.count()).toBe(1);
    // Sectors and threat focus areas are asked in parallel, in the order the planner chose.
    await expect
      .poll(() => page.locator('.cip-status').innerText())
      .toMatch(/^Subgraphs asked: partners, agreements, /);
    expect(await page.locator('.cip-status').innerText()).toMatch(/sectors/);
  });

  test('shows the schema docs, with the descriptions from the subgraph SDL', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('[data-cy=doc-explorer-input]').fill('Agreement');
    await page
      .locator('[data-cy=doc-explorer-option]')
      .filter({ hasText: /^Agreement$/ })
      .first()
      .click();
    await expect
      .poll(() => page.locator('.graphiql-doc-explorer').innerText())
      .toContain('A bilateral or multilateral arrangement through which the United States cooperates');
  });

  test('shows the query plan: the four subgraphs, in order, with their entity batches', async () => {
    await page.getByRole('button', { name: 'Show Query plan' }).click();
    const plan = page.locator('.cip-plan');
    await expect.poll(() => page.getByTestId('plan-subgraphs').isVisible()).toBe(true);
    const subgraphs = (await page.getByTestId('plan-subgraphs').innerText()).split(', ');
    expect(subgraphs.slice(0, 2)).toEqual(['partners', 'agreements']);
    expect([...subgraphs].sort()).toEqual(['agreements', 'partners', 'sectors', 'threat-focus-areas']);
    const text = await plan.innerText();
    expect(text).toContain('Step 1');
    expect(text).toMatch(/agreements resolves Partner entities at partner/);
    expect(text).toMatch(/threat-focus-areas one batch of \d+ ThreatFocusArea entit/);
    await mkdir(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'explorer.png') });
  });

  test('keeps a history of the operations run', async () => {
    await page.getByRole('button', { name: 'Show History' }).click();
    await expect.poll(() => page.locator('.graphiql-history').innerText()).toContain('PartnerProfile');
  });

  test('names the office whose subgraph failed', async () => {
    const sectors = system.subgraphs.find((subgraph) => subgraph.name === 'sectors')!;
    await new Promise((resolve) => {
      sectors.httpServer.close(resolve);
      sectors.httpServer.closeAllConnections();
    });
    await page.getByRole('button', { name: 'Show Examples' }).click();
    await page.getByRole('button', { name: 'Run A sector and what a disruption in it reaches' }).click();
    const error = page.locator('.cip-subgraph-error[data-subgraph="sectors"]').first();
    await expect.poll(() => error.innerText(), { timeout: 60_000 }).toContain('Error from the sectors subgraph');
    await page.screenshot({ path: join(resultsDir, 'explorer-subgraph-error.png') });
  });

  test('loads nothing from anywhere but the gateway, and breaks no rule of its CSP', () => {
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.some((url) => /\/assets\/.*worker.*\.js$/.test(url))).toBe(true);
    const elsewhere = requested.filter(
      (url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin,
    );
    expect(elsewhere).toEqual([]);
    expect(consoleErrors.filter((message) => /Content.Security.Policy/i.test(message))).toEqual([]);
  });
});
