import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeVariables, type ConfigSections } from '@cip/core';
import { gatewaySections } from '@cip/gateway';
import { stackSections } from '@cip/stack';
import { subgraphConfigSections } from '@cip/subgraph-kit';
import { builtEntry } from '@cip/testing/processes';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Generous: some commands start tsx (some load the whole graph) on a machine that may be busy. */
const TIMEOUT_MS = 90_000;

interface Cli {
  /** How the README tells a person to run it; its help and usage errors start with this. */
  name: string;
  /** The command line that runs it, arguments to follow. */
  argv: readonly string[];
  /** The environment variables it reads, each of which its help lists with a default. */
  env: readonly string[];
}

const npmScript = (script: string, env: readonly string[] = []): Cli => ({
  name: `npm run ${script}`,
  argv: ['npm', 'run', '--silent', script, '--'],
  env,
});

/** A plain Node script, run from the root. */
const nodeScript = (script: string, env: readonly string[] = []): Cli => ({
  name: `node ${script}`,
  argv: [process.execPath, script],
  env,
});

/** A process entry point, run from its build as a deployment runs it (@cip/testing/processes). */
function entryPoint(name: string, source: string, sections: ConfigSections): Cli {
  return {
    name,
    argv: [process.execPath, builtEntry(source)],
    env: describeVariables(sections).map((variable) => variable.name),
  };
}

/** Every command line a person runs. */
const clis: readonly Cli[] = [
  npmScript('token', ['AUTH_HS256_SECRET', 'AUTH_ISSUER', 'AUTH_AUDIENCE']),
  npmScript('signing:key', ['GATEWAY_SIGNING_SECRET']),
  npmScript('subgraph:new'),
  npmScript('schema:check'),
  npmScript('usage'),
  npmScript('usage:export'),
  npmScript('migrate', ['DATABASE_URL', 'DATABASE_URL_<NAME>']),
  npmScript('codegen:check'),
  npmScript('bench', ['BENCH_OURS_ENV', 'BENCH_DATABASE_URL']),
  npmScript('bench:startup'),
  npmScript('compose'),
  npmScript('compose:check'),
  nodeScript('scripts/codegen-trusted-documents.mjs'),
  nodeScript('scripts/build-package.mjs'),
  nodeScript('bench/entities.mjs', ['BENCH_DATABASE_URL']),
  nodeScript('bench/questions.mjs', ['BENCH_DATABASE_URL', 'BENCH_PGLITE_DIR']),
  nodeScript('bench/explain.mjs', ['BENCH_DATABASE_URL']),
  nodeScript('bench/profile-summary.mjs'),
  nodeScript('bench/signing-cost.mjs'),
  nodeScript('bench/office-field-rules.mjs'),
  nodeScript('bench/live-changes.mjs', ['BENCH_DATABASE_URL']),
  nodeScript('bench/defer.mjs'),
  // The process entry points: each must exit before it listens on anything. Their help lists every
  // variable of their config sections.
  entryPoint('node gateway/dist/main.js', 'gateway/src/main.ts', gatewaySections),
  entryPoint('node subgraphs/partners/dist/index.js', 'subgraphs/partners/src/index.ts', subgraphConfigSections(4001)),
  entryPoint('node packages/stack/dist/main.js', 'packages/stack/src/main.ts', stackSections),
];

/** Runs the command line with `args`; resolves with its exit code and output, never rejects. */
async function run(cli: Cli, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, ...rest] = cli.argv;
  return promisify(execFile)(command!, [...rest, ...args], { cwd: root }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

// Concurrent: each test is mostly a process starting; vitest runs a few at a time (maxConcurrency).
describe.concurrent('every command line answers --help and refuses an unknown option', () => {
  it.each(clis)(
    '$name -- --help prints its usage, options and environment, and exits 0',
    async (cli) => {
      const result = await run(cli, ['--help']);
      expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(`Usage: ${cli.name}`);
      expect(result.stdout).toMatch(/-h, --help +print this help and exit/);
      // A name wider than the column has its description on the next line (packages/core/src/cli.ts).
      for (const variable of cli.env)
        expect(result.stdout).toMatch(new RegExp(`\\n  ${variable}(\\n)? .*\\(default: `));
    },
    TIMEOUT_MS,
  );

  it.each(clis)(
    '$name -- --no-such-option exits 64 with one line and the way to the help',
    async (cli) => {
      const result = await run(cli, ['--no-such-option']);
      expect(result.code, result.stderr).toBe(64);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toBe(`${cli.name}: Unknown option '--no-such-option'`);
      expect(result.stderr).toContain(`Run \`${cli.name}${cli.name.startsWith('npm run ') ? ' -- ' : ' '}--help\``);
      expect(result.stderr).not.toContain('    at ');
    },
    TIMEOUT_MS,
  );
});
