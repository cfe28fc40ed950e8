import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineCommand, readCommandLine } from '@cip/core/cli';

/**
 * Regenerates every codegen output in memory, formatted as the codegen hook formats it, and fails
 * (exit 1) naming each committed file that differs: generated types must match the schemas.
 */
readCommandLine(
  defineCommand({
    name: 'npm run codegen:check',
    summary: 'fails, naming each file, when a committed codegen output is not what codegen.ts generates now.',
    usage: 'npm run codegen:check',
    options: {},
    details:
      'Writes nothing; `npm run codegen` rewrites the outputs.\nExit codes: 0 up to date, 1 stale files, 64 bad usage.',
  }),
);
// Loaded once the command line is read: codegen takes seconds to load, --help should not.
const [{ generate }, { format, resolveConfig }, { default: config }] = await Promise.all([
  import('@graphql-codegen/cli'),
  import('prettier'),
  import('../codegen.js'),
]);
const outputs = (await generate({ ...config, hooks: {}, silent: true }, false)) as {
  filename: string;
  content: string;
}[];
const stale: string[] = [];
for (const { filename, content } of outputs) {
  const path = resolve(filename);
  const expected = await format(content, { ...(await resolveConfig(path)), filepath: path });
  const committed = await readFile(path, 'utf8').catch(() => '');
  if (committed !== expected) stale.push(filename);
}
if (stale.length > 0) {
  process.stderr.write(
    `Generated code is stale:\n${stale.map((file) => `  ${file}`).join('\n')}\nRun \`npm run codegen\` and commit the result.\n`,
  );
  process.exit(1);
}
process.stdout.write(`Generated code is up to date (${outputs.length} files).\n`);
