import { describe } from 'vitest';

/**
 * A suite that runs when `skipReason` is undefined, and is reported as skipped with the reason in
 * its name otherwise: a suite that cannot run here says why instead of vanishing from the report.
 */
export function describeUnless(skipReason: string | undefined, title: string, body: () => void): void {
  if (skipReason === undefined) describe(title, body);
  else describe.skip(`${title} [skipped: ${skipReason}]`, body);
}
