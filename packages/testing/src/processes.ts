import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: entry points and scripts are named relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * A process entry point by its source file (`gateway/src/main.ts`), run as a deployment runs it:
 * its build (`gateway/dist/main.js`), which the system project's global setup brings up to date
 * (globalSetup.ts). The build starts in a third of the time tsx takes over the sources, and that
 * time is paid by every spawned process of every system test.
 */
export function builtEntry(sourceEntry: string): string {
  if (!/\/src\/.+\.ts$/.test(sourceEntry)) throw new Error(`not a source entry point: ${sourceEntry}`);
  return join(REPO_ROOT, sourceEntry.replace('/src/', '/dist/').replace(/\.ts$/, '.js'));
}

export interface EntryProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Everything written so far (the last 200 KB of each stream). */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (SIGTERM by default), SIGKILL after 10 s, and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const KEEP_BYTES = 200_000;
const running = new Set<ChildProcess>();
// A test process that ends (or fails) without stopping what it started leaves nothing behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a built entry point (see `builtEntry`) with `env` on top of this process's environment. */
export function startEntry(sourceEntry: string, env: Record<string, string> = {}): EntryProcess {
  const child = spawn(process.execPath, [builtEntry(sourceEntry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-KEEP_BYTES)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-KEEP_BYTES)));
  const exited = once(child, 'exit').then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  const output = () => ({ stdout, stderr });
  return {
    child,
    exited,
    output,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const describe = () => `${sourceEntry}:\n${stdout}\n${stderr}`;
        const check = () => {
          const match = pattern.exec(stdout);
          if (!match) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms from ${describe()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.stdout.off('data', check);
        };
        child.stdout.on('data', check);
        void exited.then((code) => {
          done();
          reject(new Error(`exited (${String(code)}) before ${String(pattern)}: ${describe()}`));
        });
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
        void exited.then(() => clearTimeout(forced));
      }
      return exited;
    },
  };
}
