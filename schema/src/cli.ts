import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { API_SCHEMA_FILE, SUPERGRAPH_FILE, compose, formatProblems, readCompositionInput } from './compose.js';

/**
 * `write` composes the subgraphs and writes the supergraph and API schema; `check` fails when the
 * committed files are not what composing the current SDL gives. Any hint fails both: a hint ignored
 * today is a surprise tomorrow. Exit codes: 0 fine, 1 stale files, 2 composition failed or hinted.
 */
async function main(command: string | undefined): Promise<number> {
  if (command !== 'write' && command !== 'check') {
    process.stderr.write('usage: cli.ts write|check\n');
    return 64;
  }
  const outcome = compose(await readCompositionInput());
  if (!outcome.ok) {
    process.stderr.write(`Composition failed:\n${formatProblems('error', outcome.errors)}\n`);
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

process.exitCode = await main(process.argv[2]);
