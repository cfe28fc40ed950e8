import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

/**
 * The system project's global setup: brings every package's build up to date once, before any
 * system test spawns an entry point from it (processes.ts). Turbo rebuilds only what changed, so
 * after the first run this costs about a second.
 */
export default function buildOnce(): void {
  try {
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/turbo'), ['run', 'build', '--output-logs=errors-only'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`the build the system tests run failed:\n${String(stdout ?? '')}${String(stderr ?? '')}`);
  }
}
