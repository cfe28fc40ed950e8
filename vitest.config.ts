import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
// Our packages are resolved from their TypeScript sources (the `source` export condition), so tests
// need no build step.
const conditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for Apollo's packages; Vite would pick the ESM build for
    // ours, and two copies of graphql refuse each other's schemas ("another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql/index.js') }],
    conditions,
  },
  ssr: { resolve: { conditions } },
  test: {
    // Two projects, each runnable alone: `npm run test:unit` (beside the code, seconds) and
    // `npm run test:system` (the composed system under test/, real processes and ports).
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'subgraphs/*/src/**/*.test.ts',
            'gateway/src/**/*.test.ts',
            'schema/src/**/*.test.ts',
            'packages/explorer/test/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        // Entry points are spawned from their build, made current once here (@cip/testing/processes).
        test: { name: 'system', include: ['test/**/*.test.ts'], globalSetup: ['packages/testing/src/globalSetup.ts'] },
      },
    ],
    pool: 'forks',
    // A worker runs file after file in one module graph instead of a fresh process per file: the
    // graph (Apollo, PGlite's WebAssembly, our sources) loads once per worker, which halves the
    // loop (unit 94 s -> 38 s, system 262 s -> 183 s on 2 quiet cores). The price is a discipline:
    // a test file that patches a global puts it back in its afterAll (loopback-only.test.ts does),
    // and nothing keeps state in a module that another file could see.
    isolate: false,
    // Two cores: one worker per core. Each test file opens its own PGlite store (~0.5 s from the snapshot).
    maxWorkers: 2,
    // Sized for a machine whose both cores are busy with something else: a limit here only decides
    // how long a hung test takes to fail, never whether a slow but correct one passes.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Test traffic is no client's use: a gateway process a test spawns (it inherits this environment)
    // writes no usage into the checkout; in-process stacks turn it off in @cip/testing's system/faultLab.
    env: { LOG_LEVEL: 'silent', USAGE_RECORDING: 'off' },
  },
});
