import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_FLAGS, editorText } from '@cip/testing/chromium';
import { ensureExplorerBuilt } from '@cip/testing/explorer-build';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

// The explorer with live changes, in real Chromium (Debian's, driven by playwright-core, as
// test/explorer.e2e.test.ts drives it): a subscription run in one tab streams into its answer pane
// while a mutation is run in another tab; a @defer query's deferred part shows up as it comes; the
// plan panel draws the Defer node. Each tab is a browser context of its own (its own storage), as
// two analysts' windows are.
const resultsDir = join(fileURLToPath(new URL('..', import.meta.url)), 'test-results');

const WATCH = `subscription WatchCanada {
  partnerChanged(ids: ["canada"]) {
    kind id version actor
    partner { shortName agreements { totalCount } }
  }
}`;
const RENAME = `mutation Rename($version: Int!, $shortName: String!) {
  updatePartner(id: "canada", expectedVersion: $version, input: { shortName: $shortName }) { version }
}`;
const DEFERRED = `query SectorCascade {
  sector(id: "energy") {
    name
    ... @defer(label: "cascade") { cascade(maxHops: 2) { hops sector { name } } }
  }
}`;

/** Replaces what a Monaco editor holds, as an analyst pasting into it would. */
async function fill(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(`${selector} .monaco-editor:visible`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // A paste, not keystrokes: typed, Monaco would close each brace and indent each line on its own.
  // (A string: the root tsconfig has no DOM types, and this runs in the page.)
  await page.evaluate(`(() => {
    const clipboardData = new DataTransfer();
    clipboardData.setData('text/plain', ${JSON.stringify(text)});
    document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
  })()`);
}

async function openExplorer(browser: Browser, origin: string, requested: string[], consoleErrors: string[]) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('request', (request) => requested.push(request.url()));
  page.on('websocket', (socket) => requested.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(`${origin}/`);
  // The editors appear once Monaco has loaded.
  await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
  return page;
}

async function run(page: Page, query: string, headers: Record<string, string>, variables = '{}'): Promise<void> {
  await fill(page, '.graphiql-query-editor', query);
  await page.getByRole('button', { name: 'Headers' }).click();
  await fill(page, '.graphiql-editor-tool', JSON.stringify(headers));
  await page.getByRole('button', { name: 'Variables' }).click();
  await fill(page, '.graphiql-editor-tool', variables);
  await page.locator('.graphiql-execute-button').click();
}

describe('the explorer with live changes, in a browser', () => {
  let system: RunningSystem;
  let origin: string;
  let browser: Browser;
  let watcher: Page;
  let writer: Page;
  let readerToken: string;
  let writerToken: string;
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI does).`);
    ensureExplorerBuilt();
    await mkdir(resultsDir, { recursive: true });
    system = await startSystem({ ...TEST_AUTH });
    origin = new URL(system.gatewayUrl).origin;
    readerToken = await makeToken({ subject: 'analyst-watching' });
    writerToken = await makeToken({ subject: 'analyst-writing', scopes: ['partners:write'] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    watcher = await openExplorer(browser, origin, requested, consoleErrors);
    writer = await openExplorer(browser, origin, requested, consoleErrors);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  async function versionOfCanada(): Promise<number> {
    const { body } = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { version } }' });
    return body.data.partner.version as number;
  }

  /** Renames Canada from the writer's tab; returns the short name it wrote. */
  async function renameFromOtherTab(attempt: number): Promise<string> {
    const version = await versionOfCanada();
    const shortName = `Canada, live ${attempt}`;
    await run(writer, RENAME, { Authorization: `Bearer ${writerToken}` }, JSON.stringify({ version, shortName }));
    await expect
      .poll(() => editorText(writer, '.graphiql-response'), { timeout: 30_000 })
      .toContain(`"version": ${version + 1}`);
    return shortName;
  }

  test('a subscription streams into the answer pane: each mutation made in another tab arrives as a live event', async () => {
    await run(watcher, WATCH, { Authorization: `Bearer ${readerToken}` });
    const events = watcher.getByTestId('events-received');
    await expect.poll(() => events.innerText()).toBe('Events received: 0');

    // The subscription is live at the office a moment after it starts, and nothing on the page says
    // when: write until the first event shows (a write before that is not an event for it).
    let shown = '';
    for (let attempt = 1; !/Events received: [1-9]/.test(await events.innerText()); attempt++) {
      if (attempt > 20) throw new Error('no live event in the answer pane after 20 writes from the other tab');
      shown = await renameFromOtherTab(attempt);
      await expect
        .poll(() => events.innerText(), { timeout: 2_000 })
        .toMatch(/Events received: [1-9]/)
        .catch(() => undefined);
    }
    const pane = () => editorText(watcher, '.graphiql-response');
    await expect.poll(pane, { timeout: 30_000 }).toContain(`"shortName": "${shown}"`);
    expect(await pane()).toContain('"kind": "UPDATED"');
    expect(await pane()).toContain('"actor": "analyst-writing"');
    // A field another office holds, fetched for the event.
    expect(await pane()).toMatch(/"totalCount": \d+/);
    // The plan rides on the first event: the panel draws the Subscription node.
    await watcher.getByRole('button', { name: 'Show Query plan' }).click();
    const subscriptionNode = watcher.locator('.cip-plan [data-plan-node="Subscription"]');
    await expect.poll(() => subscriptionNode.innerText(), { timeout: 30_000 }).toMatch(/Events come from partners/);
    await watcher.getByRole('button', { name: 'Hide Query plan' }).click();

    // The stream goes on: the next write replaces the event shown, the count goes up.
    const before = Number((await events.innerText()).replace(/\D/g, ''));
    const next = await renameFromOtherTab(100);
    await expect.poll(pane, { timeout: 30_000 }).toContain(`"shortName": "${next}"`);
    expect(Number((await events.innerText()).replace(/\D/g, ''))).toBeGreaterThan(before);
    await watcher.screenshot({ path: join(resultsDir, 'explorer-subscription.png') });

    // Stop (the run button toggles): a later write no longer reaches the pane.
    await watcher.locator('.graphiql-execute-button').click();
    const stopped = await events.innerText();
    await renameFromOtherTab(200);
    expect(await pane()).toContain(`"shortName": "${next}"`);
    expect(await events.innerText()).toBe(stopped);
  });

  test("a @defer query's deferred part shows up in the answer pane, and the plan panel draws the Defer node", async () => {
    await run(watcher, DEFERRED, { Authorization: `Bearer ${readerToken}` });
    const pane = () => editorText(watcher, '.graphiql-response');
    await expect.poll(pane, { timeout: 60_000 }).toContain('"cascade"');
    expect(await pane()).toContain('"name": "Energy"');
    expect(await pane()).toContain('"hops": 1');
    // Two parts at least: the sector first, then its cascade.
    await expect.poll(() => watcher.getByTestId('parts-received').innerText()).toMatch(/Parts received: [2-9]/);

    await watcher.getByRole('button', { name: 'Show Query plan' }).click();
    const defer = watcher.locator('.cip-plan [data-plan-node="Defer"]');
    await expect.poll(() => defer.count()).toBe(1);
    const plan = await defer.innerText();
    expect(plan).toContain('Answered first:');
    expect(plan).toMatch(/sectors answers the root fields/);
    expect(plan).toMatch(/the deferred part cascade at sector/);
    await watcher.screenshot({ path: join(resultsDir, 'explorer-defer.png') });
  });

  test('talks to the gateway only: the socket is the same origin, and no rule of the CSP is broken', () => {
    const sockets = requested.filter((url) => url.startsWith('ws'));
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((url) => url === `${origin.replace(/^http/, 'ws')}/graphql`)).toBe(true);
    const elsewhere = requested.filter(
      (url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).host !== new URL(origin).host,
    );
    expect(elsewhere).toEqual([]);
    expect(consoleErrors.filter((message) => /Content.Security.Policy/i.test(message))).toEqual([]);
  });
});
