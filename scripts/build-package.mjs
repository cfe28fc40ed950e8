// Builds the workspace package in the current directory: transpiles src/**/*.ts (tests excluded)
// to dist/ as ES modules, file for file. Type checking is a separate step (`npm run typecheck`,
// over the sources), so a build takes milliseconds and `npm start` stays fast on a fresh clone.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const entryPoints = (await readdir('src', { recursive: true }))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
  .map((file) => join('src', file));

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
