import { writeFile } from 'node:fs/promises';
import { defineCommand, readCommandLine } from '@cip/core/cli';
import { readUsageSnapshot, readUsageWindow, usageStoreOptions } from './usage/cliOptions.js';

/** `npm run usage:export`: the operations the gateway has seen, as a trusted-documents manifest. */
const command = defineCommand({
  name: 'npm run usage:export',
  summary: 'writes the operations seen in the window as a trusted-documents manifest (TRUSTED_DOCUMENTS_PATH).',
  usage: 'npm run usage:export -- [--out <file>] [--usage <store>] [--window 30d]',
  options: {
    ...usageStoreOptions,
    window: { ...usageStoreOptions.window, default: '30d' },
    out: {
      type: 'string',
      value: '<file>',
      description: 'where the manifest is written',
      defaultLabel: 'standard output',
    },
  },
  details:
    'The manifest has the format of gateway/trusted-documents.json (an apollo-persisted-query-manifest):\n' +
    'each id is the sha256 of the text as the client sent it. To enforce what has been seen:\n' +
    '  npm run usage:export -- --out gateway/trusted-documents.seen.json\n' +
    '  TRUSTED_DOCUMENTS=enforce TRUSTED_DOCUMENTS_PATH=gateway/trusted-documents.seen.json npm start\n' +
    'A document recorded without its text (longer than USAGE_MAX_DOCUMENT_BYTES) is left out, and counted.\n' +
    'Exit codes: 0 written, 3 the store cannot be read, 64 bad usage.',
});

async function main(argv: string[]): Promise<number> {
  const { values } = readCommandLine(command, argv);
  const { since, asOf } = readUsageWindow(command, values);
  const { seenDocumentsManifest } = await import('./usage/index.js');
  const read = await readUsageSnapshot(command, values.usage, values['usage-schema'], { since, asOf });
  if (!read) return 3;
  const { snapshot } = read;
  const { manifest, skipped } = seenDocumentsManifest(snapshot);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (values.out === undefined) process.stdout.write(text);
  else await writeFile(values.out, text);
  const where = values.out ?? 'standard output';
  process.stderr.write(
    `${manifest.operations.length} operation(s) seen in the last ${values.window} written to ${where}` +
      `${skipped > 0 ? `; ${skipped} seen without their text (too long) left out` : ''}.\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
