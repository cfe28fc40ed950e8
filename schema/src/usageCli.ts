import { readFile } from 'node:fs/promises';
import { defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';
import { readUsageSnapshot, readUsageWindow, usageStoreOptions } from './usage/cliOptions.js';

/** `npm run usage`: who uses a schema coordinate, and what is left of the use of deprecated ones. */
const command = defineCommand({
  name: 'npm run usage',
  summary: 'who used a schema coordinate in the window: each operation, client and version, with counts.',
  usage:
    'npm run usage -- <coordinate> | --deprecated [--usage <store>] [--window 7d] [--schema <api.graphql>] [--json]',
  arguments: [
    {
      name: '<coordinate>',
      description: 'a type, field, argument, enum value or input field: `Partner`, `Partner.name`, `Query.partner.id`',
      defaultLabel: 'none: give one, or --deprecated',
    },
  ],
  options: {
    ...usageStoreOptions,
    deprecated: {
      type: 'boolean',
      description: "list the schema's @deprecated coordinates, each with its remaining use",
      default: false,
    },
    schema: {
      type: 'string',
      value: '<file>',
      description: 'the API schema whose @deprecated coordinates --deprecated lists',
      defaultLabel: 'schema/api.graphql',
    },
    json: { type: 'boolean', description: 'print JSON instead of text', default: false },
  },
  details:
    'The gateway records usage (USAGE_RECORDING, on by default) to the file .usage/usage.json, or to\n' +
    'PostgreSQL with USAGE_DATABASE_URL: name the same store here with --usage.\n' +
    'Exit codes: 0 answered (used or not), 3 the store cannot be read, 64 bad usage.',
});

const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*){0,2}$/;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = readCommandLine(command, argv);
  const [coordinate] = positionals;
  if (coordinate === undefined && !values.deprecated)
    exitWithUsageError(command, 'Name a schema coordinate (e.g. Partner.name), or give --deprecated');
  if (coordinate !== undefined && values.deprecated)
    exitWithUsageError(command, 'Give a coordinate or --deprecated, not both');
  if (coordinate !== undefined && !COORDINATE.test(coordinate))
    exitWithUsageError(
      command,
      `'${coordinate}' is not a schema coordinate: expected Type, Type.field or Type.field.argument`,
    );
  const { since, asOf } = readUsageWindow(command, values);
  const { deprecatedUse, describeWindow, formatUse, operationUses } = await import('./usage/index.js');
  const read = await readUsageSnapshot(command, values.usage, values['usage-schema'], { since, asOf });
  if (!read) return 3;
  const { snapshot, store } = read;
  const window = describeWindow(values.window);
  const out = (text: string) => process.stdout.write(`${text}\n`);

  if (coordinate !== undefined) {
    const uses = operationUses(snapshot, (document) => document.coordinates.includes(coordinate));
    if (values.json) out(JSON.stringify({ coordinate, window: values.window, store: store, uses }, null, 2));
    else if (uses.length === 0) out(`${coordinate}: no use seen in the last ${window} (${store}).`);
    else {
      const operations = new Set(uses.map((use) => use.hash)).size;
      const clients = new Set(uses.map((use) => use.clientName)).size;
      out(
        `${coordinate}: used by ${operations} operation(s) from ${clients} client(s) in the last ${window} (${store}):`,
      );
      for (const use of uses) out(`  - ${formatUse(use)}`);
    }
    return 0;
  }

  const { API_SCHEMA_FILE } = await import('./compose.js');
  const { buildSchema } = await import('graphql');
  const schema = buildSchema(await readFile(values.schema ?? API_SCHEMA_FILE, 'utf8'));
  const deprecated = deprecatedUse(schema, snapshot);
  if (values.json) out(JSON.stringify({ window: values.window, store: store, deprecated }, null, 2));
  else if (deprecated.length === 0) out('No @deprecated coordinate in the schema.');
  else {
    out(`${deprecated.length} deprecated coordinate(s), with their use in the last ${window} (${store}):`);
    for (const { coordinate: deprecatedCoordinate, reason, seenUse } of deprecated) {
      out(`  - ${deprecatedCoordinate} (${reason})${seenUse.length === 0 ? ': no use seen' : ''}`);
      for (const use of seenUse) out(`      used by ${formatUse(use)}`);
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
