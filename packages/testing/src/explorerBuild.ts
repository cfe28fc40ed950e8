import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const explorerDir = join(root, 'packages/explorer');
const distDir = join(explorerDir, 'dist');

/**
 * `npm test` on a fresh clone has no build: make the explorer's (packages/explorer/dist), as turbo
 * would. Test files run in parallel and may all find it missing, so each builds into its own
 * folder and moves it into place in one step; a gateway never sees half a build.
 */
export function ensureExplorerBuilt(): void {
  if (existsSync(join(distDir, 'index.html'))) return;
  const scratch = join(root, 'test-results', `explorer-build-${process.pid}`);
  mkdirSync(join(root, 'test-results'), { recursive: true });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', scratch, '--emptyOutDir'],
    {
      cwd: explorerDir,
      stdio: 'pipe',
    },
  );
  try {
    renameSync(scratch, distDir);
  } catch (error) {
    // Another test file's build got there first: keep its build, drop ours.
    if (!existsSync(join(distDir, 'index.html'))) throw error;
    rmSync(scratch, { recursive: true, force: true });
  }
}
