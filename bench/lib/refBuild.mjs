// The gateway as built from another commit, for a contender `ours@<git-ref>` that runs in the same
// benchmark as the working tree's (a change's cost measured within one run, on one machine): a
// temporary git worktree of the ref, node_modules linked from this checkout (no install), the
// gateway and its workspace dependencies built with turbo, removed afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * This checkout's node_modules in `dir`: third-party packages linked as they are; the workspace
 * links (`@cip/*`, relative) made again inside `dir`, so that they resolve to the ref's packages.
 */
function linkNodeModules(root, dir) {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === '@cip') continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  mkdirSync(join(modules, '@cip'));
  for (const entry of readdirSync(join(root, 'node_modules/@cip'))) {
    symlinkSync(readlinkSync(join(root, 'node_modules/@cip', entry)), join(modules, '@cip', entry));
  }
  // Workspaces' own nested node_modules (versions that differ from the root's).
  for (const parent of ['packages', 'subgraphs', '.']) {
    const workspaces = parent === '.' ? ['gateway', 'schema'] : readdirSync(join(root, parent));
    for (const workspace of workspaces) {
      const nested = join(root, parent, workspace, 'node_modules');
      const target = join(dir, parent, workspace);
      if (existsSync(nested) && existsSync(target) && !existsSync(join(target, 'node_modules')))
        symlinkSync(nested, join(target, 'node_modules'));
    }
  }
}

/** Checks out `ref` in a temporary worktree and builds its gateway; `remove()` deletes the worktree. */
export async function buildGatewayAt(root, ref) {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root })
    .toString()
    .trim();
  const dir = await mkdtemp(join(tmpdir(), `cip-bench-${commit.slice(0, 10)}-`));
  const remove = () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
  };
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root, stdio: 'ignore' });
  try {
    linkNodeModules(root, dir);
    console.log(`building the gateway at ${ref} (${commit.slice(0, 10)}) in ${dir}...`);
    execFileSync(
      join(root, 'node_modules/.bin/turbo'),
      ['run', 'build', '--filter=@cip/gateway...', '--output-logs=errors-only', '--log-prefix=none'],
      {
        cwd: dir,
        stdio: 'inherit',
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
      },
    );
  } catch (error) {
    remove();
    throw error;
  }
  return { commit, main: join(dir, 'gateway/dist/main.js'), remove };
}
