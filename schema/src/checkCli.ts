import { parseArgs } from 'node:util';
import { checkSchema, formatReport, readSchemaCheckInput } from './check.js';

/**
 * `npm run schema:check [-- --json]`: the schema check over the working tree. Exit codes: 0 fine
 * (breaking changes no registered operation uses are reported, not failed), 1 a registered
 * operation would break, 2 the subgraphs do not compose, 64 bad usage.
 */
async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nusage: schema:check [--json]\n`);
    return 64;
  }
  const report = await checkSchema(await readSchemaCheckInput());
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.exitCode;
}

process.exitCode = await main(process.argv.slice(2));
