import { resolve } from 'node:path';
import { defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';
import { readUsageSnapshot, readUsageWindow, usageStoreOptions } from './usage/cliOptions.js';

/** `npm run schema:check`: the working tree's composition against a base; its exit codes are in `details`. */
const command = defineCommand({
  name: 'npm run schema:check',
  summary: 'what the working tree does to the graph, the operations its clients registered and the use recorded.',
  usage:
    'npm run schema:check -- [--base <ref> | --base-file <api.graphql>] [--usage <store> [--window 7d]] [--fail-on-dangerous] [--json]',
  options: {
    base: {
      type: 'string',
      value: '<ref>',
      description: 'compare with schema/api.graphql as committed at this git ref',
      defaultLabel: 'the merge-base with main, or HEAD where there is no main branch',
    },
    'base-file': {
      type: 'string',
      value: '<file>',
      description: "compare with this API schema file (a saved release's api.graphql) instead of a ref",
    },
    repo: {
      type: 'string',
      value: '<dir>',
      description: 'the repository whose working tree is checked',
      defaultLabel: 'this one',
    },
    ...usageStoreOptions,
    usage: {
      ...usageStoreOptions.usage,
      description: 'fail a breaking change only when recorded traffic used it: a usage file or a postgres:// URL',
      defaultLabel: 'none: registered operations only',
    },
    'fail-on-dangerous': {
      type: 'boolean',
      description: 'fail a dangerous change that is used, as a breaking one',
      default: false,
    },
    json: { type: 'boolean', description: 'print the report as JSON instead of text', default: false },
  },
  details:
    'The working tree is composed and its API schema compared with the base: a change counts against\n' +
    'what clients have today, however often `npm run compose` rewrote schema/api.graphql since.\n' +
    'Exit codes: 0 fine (breaking changes no registered operation and no recorded traffic uses are\n' +
    'reported, not failed), 1 a registered operation would break or a breaking change is used in the\n' +
    'window, 2 the subgraphs do not compose, 3 the base or the usage store cannot be read, 64 bad usage.',
});

async function main(argv: string[]): Promise<number> {
  const { values } = readCommandLine(command, argv);
  if (values.base !== undefined && values['base-file'] !== undefined)
    exitWithUsageError(command, '--base and --base-file name two bases: give one');
  const { since, asOf } = readUsageWindow(command, values);

  // Loaded once the command line is read: composition takes a while to load, --help should not wait.
  const { checkSchema, formatReport, readSchemaCheckInput } = await import('./check.js');
  const { BaseUnavailableError } = await import('./base.js');
  let input;
  try {
    input = await readSchemaCheckInput({
      ...(values.repo === undefined ? {} : { repoDir: resolve(values.repo) }),
      base:
        values['base-file'] === undefined
          ? { kind: 'ref', ref: values.base }
          : { kind: 'file', path: resolve(values['base-file']) },
    });
  } catch (error) {
    if (!(error instanceof BaseUnavailableError)) throw error;
    process.stderr.write(`npm run schema:check: ${error.message}\n`);
    return 3;
  }
  if (values.usage !== undefined) {
    const read = await readUsageSnapshot(command, values.usage, values['usage-schema'], { since, asOf });
    if (!read) return 3;
    input.usage = { snapshot: read.snapshot, window: values.window, store: read.store };
  }
  input.failOnDangerous = values['fail-on-dangerous'];
  const report = await checkSchema(input);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.exitCode;
}

process.exitCode = await main(process.argv.slice(2));
