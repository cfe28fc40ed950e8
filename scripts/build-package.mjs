// Builds the workspace package in the current directory: transpiles src/**/*.ts (tests excluded)
// to dist/ as ES modules, file for file. Type checking is a separate step (`npm run typecheck`,
// over the sources), so a build takes milliseconds and `npm start` stays fast on a fresh clone.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { readCommandLine } from '../bench/lib/commandLine.mjs';

readCommandLine({
  name: 'node scripts/build-package.mjs',
  help: `node scripts/build-package.mjs: transpiles the workspace package in the current directory, src/ to dist/.

Usage: node scripts/build-package.mjs

Options:
  -h, --help  print this help and exit

Run in a package's directory, as its \`npm run build\` does (\`node ../../scripts/build-package.mjs\`);
\`npm run build\` at the root builds every package, in dependency order (turbo). Every .ts file under
src/ but tests and declarations becomes an ES module in dist/, with a source map; dist/ is emptied first.
Type checking is \`npm run typecheck\`.
`,
});

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
