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
    include: [
      'packages/*/src/**/*.test.ts',
      'subgraphs/*/src/**/*.test.ts',
      'gateway/src/**/*.test.ts',
      'schema/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    pool: 'forks',
    // Two cores: one worker per core. Each test file opens its own PGlite store (~0.5 s from the snapshot).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
  },
});
