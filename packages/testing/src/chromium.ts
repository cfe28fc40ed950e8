/**
 * Debian's Chromium (`apt-get install chromium`, as CI does), as the explorer's browser tests launch
 * it with playwright-core. The flags keep Chromium itself off the network, so every request the
 * page makes is the page's own.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The part of a playwright page read here (no dependency on playwright's types). */
interface PageLike {
  locator(selector: string): { innerText(): Promise<string> };
}

/** The text a Monaco editor shows, with its non-breaking spaces made plain. */
export async function editorText(page: PageLike, selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
}
