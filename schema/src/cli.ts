import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type CliCommand, defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';

/**
 * `write` composes the subgraphs and writes the supergraph and API schema; `check` fails when the
 * committed files are not what composing the current SDL gives. Any hint fails both: a hint ignored
 * today is a surprise tomorrow. Exit codes: 0 fine, 1 stale files, 2 composition failed or hinted.
 * Each subcommand is a command of its own, named as its npm script (`npm run compose`, `compose:check`).
 */

const INPUT = 'the subgraphs listed in schema/subgraphs.json';
const OUTPUTS = 'schema/supergraph.graphql and schema/api.graphql';
const HINTS = 'Composition hints fail it as errors do.';

const subcommands = {
  write: defineCommand({
    name: 'npm run compose',
    summary: `composes ${INPUT} and writes ${OUTPUTS}.`,
    usage: 'npm run compose',
    options: {},
    details: `${HINTS}\nExit codes: 0 written, 2 composition failed or gave hints, 64 bad usage.`,
  }),
  check: defineCommand({
    name: 'npm run compose:check',
    summary: `fails when the committed ${OUTPUTS} are not what composing ${INPUT} gives.`,
    usage: 'npm run compose:check',
    options: {},
    details:
      `Writes nothing; \`npm run compose\` rewrites them. ${HINTS}\n` +
      'Exit codes: 0 up to date, 1 stale files, 2 composition failed or gave hints, 64 bad usage.',
  }),
} satisfies Record<string, CliCommand>;

type Subcommand = keyof typeof subcommands;
const isSubcommand = (name: string | undefined): name is Subcommand =>
  name !== undefined && Object.hasOwn(subcommands, name);

/** The script itself, as run without one of the npm scripts. */
const script = defineCommand({
  name: 'tsx --conditions=source schema/src/cli.ts',
  summary: `composes ${INPUT}, then writes or checks ${OUTPUTS}.`,
  usage: 'tsx --conditions=source schema/src/cli.ts write|check',
  arguments: [
    {
      name: 'write|check',
      description: '`write` as `npm run compose`, `check` as `npm run compose:check`',
      required: true,
    },
  ],
  options: {},
  details: `\`npm run compose -- --help\` and \`npm run compose:check -- --help\` tell each one.\n${HINTS}\nExit codes: 0 fine, 1 stale files, 2 composition failed or gave hints, 64 bad usage.`,
});

/** The subcommand `argv` names, once its own command line is read (help, usage errors: exit). */
function readSubcommand(argv: readonly string[]): Subcommand {
  const [first, ...rest] = argv;
  if (isSubcommand(first)) {
    readCommandLine(subcommands[first], rest);
    return first;
  }
  const { positionals } = readCommandLine(script, argv);
  return exitWithUsageError(script, `Unknown subcommand '${positionals[0]}': expected write or check`);
}

async function main(command: Subcommand): Promise<number> {
  // Loaded once the command line is read: composition takes a while to load, --help should not wait.
  const { API_SCHEMA_FILE, SUPERGRAPH_FILE, compose, formatProblems, readCompositionInput } =
    await import('./compose.js');
  const inputs = await readCompositionInput();
  const outcome = compose(inputs);
  if (!outcome.ok) {
    process.stderr.write(`Composition failed:\n${formatProblems('error', outcome.errors)}\n`);
    return 2;
  }
  const contract = (await import('./nullability.js')).checkNullabilityContract(inputs);
  if (contract.length > 0) {
    process.stderr.write(
      `Composition failed: the nullability contract (docs/nullability.md):\n${formatProblems('error', contract)}\n`,
    );
    return 2;
  }
  if (outcome.hints.length > 0) {
    process.stderr.write(`Composition succeeded with hints; fix them:\n${formatProblems('hint', outcome.hints)}\n`);
    return 2;
  }
  const outputs = [
    [SUPERGRAPH_FILE, outcome.supergraphSdl],
    [API_SCHEMA_FILE, outcome.apiSdl],
  ] as const;
  if (command === 'write') {
    for (const [file, content] of outputs) await writeFile(file, content);
    process.stdout.write(`Composed ${outputs.map(([file]) => relative(process.cwd(), file)).join(' and ')}\n`);
    return 0;
  }
  let stale = 0;
  for (const [file, content] of outputs) {
    const committed = await readFile(file, 'utf8').catch(() => '');
    if (committed !== content) {
      stale++;
      process.stderr.write(`${relative(process.cwd(), file)} is not what composing the current subgraph SDL gives.\n`);
    }
  }
  if (stale > 0) {
    process.stderr.write('Run `npm run compose` and commit the result.\n');
    return 1;
  }
  process.stdout.write('Supergraph and API schema are up to date.\n');
  return 0;
}

process.exitCode = await main(readSubcommand(process.argv.slice(2)));
