import { describe } from 'vitest';

/**
 * A suite that runs when `skipReason` is undefined, and is reported as skipped with the reason in
 * its name otherwise: a suite that cannot run here says why instead of vanishing from the report.
 */
export function describeUnless(skipReason: string | undefined, title: string, body: () => void): void {
  if (skipReason === undefined) describe(title, body);
  else describe.skip(`${title} [skipped: ${skipReason}]`, body);
}

/**
 * Resolves once `check` holds, polling every 50 ms; fails naming `what` after `withinMs`. A test
 * waits on the condition it needs, never on a fixed sleep, and the limit is sized for a busy machine.
 */
export async function eventually(check: () => Promise<boolean>, what: string, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within ${withinMs} ms: ${what}`);
}
