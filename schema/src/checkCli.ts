import { defineCommand, readCommandLine } from '@cip/core/cli';
import { checkSchema, formatReport, readSchemaCheckInput } from './check.js';

/** `npm run schema:check [-- --json]`: the schema check over the working tree; its exit codes are in `details`. */
const command = defineCommand({
  name: 'npm run schema:check',
  summary: 'what the working tree does to the graph and the operations its clients registered.',
  usage: 'npm run schema:check -- [--json]',
  options: {
    json: { type: 'boolean', description: 'print the report as JSON instead of text', default: false },
  },
  details:
    'Exit codes: 0 fine (breaking changes no registered operation uses are reported, not failed),\n' +
    '1 a registered operation would break, 2 the subgraphs do not compose, 64 bad usage.',
});

async function main(argv: string[]): Promise<number> {
  const { values } = readCommandLine(command, argv);
  const report = await checkSchema(await readSchemaCheckInput());
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.exitCode;
}

process.exitCode = await main(process.argv.slice(2));
