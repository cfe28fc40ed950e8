// The benchmarks' command line: --help and exit 64 as packages/core/src/cli.ts gives every
// TypeScript CLI. Plain JavaScript on purpose: `node bench/*.mjs` cannot import a .ts file on
// Node 20, and @cip/core's dist exists only after a build, which --help must not need.
import { parseArgs } from 'node:util';

/** EX_USAGE (sysexits.h). */
export const EXIT_USAGE = 64;

/**
 * parseArgs plus `-h`/`--help`, which prints `help` and exits 0, and usage errors: one line, the
 * usage line (`help`'s `Usage:` line), the way to the help, exit 64, never a stack trace.
 * `positionals` is how many arguments the command takes. Returns parseArgs' result with `fail`,
 * the same usage error for the command's own checks, and `integer`, one such check.
 */
export function readCommandLine({ name, help, options, positionals = 0 }) {
  const usage = /^Usage: (.*)$/m.exec(help)?.[1] ?? name;
  const fail = (message) => {
    const again = `${name}${name.startsWith('npm run ') ? ' -- ' : ' '}--help`;
    process.stderr.write(
      `${name}: ${message}\nUsage: ${usage}\nRun \`${again}\` for every option and environment variable.\n`,
    );
    process.exit(EXIT_USAGE);
  };
  const args = process.argv.slice(2);
  const end = args.indexOf('--');
  const asksForHelp = (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    if (!asksForHelp) fail(error.message.replace(/\. To specify a positional.*$/s, ''));
  }
  if (asksForHelp) {
    process.stdout.write(help);
    process.exit(0);
  }
  if (parsed.positionals.length > positionals) fail(`Unexpected argument '${parsed.positionals[positionals]}'`);
  const integer = (label, value, min = 1) => {
    if (!/^\d+$/.test(value) || Number(value) < min) fail(`${label} ${value} is not an integer from ${min}`);
    return Number(value);
  };
  return { ...parsed, fail, integer };
}
