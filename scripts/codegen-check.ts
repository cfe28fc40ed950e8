import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { format, resolveConfig } from 'prettier';
import config from '../codegen.js';

/**
 * Regenerates every codegen output in memory, formatted as the codegen hook formats it, and fails
 * (exit 1) naming each committed file that differs: generated types must match the schemas.
 */
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
