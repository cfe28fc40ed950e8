import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Architecture: a package is reached by its name and its exports, never by a path into its sources.
const noReachingIntoPackages = {
  group: ['**/packages/*/src/**', '**/gateway/src/**', '**/subgraphs/*/src/**', '**/schema/src/**'],
  message: 'Import the package by its name (@cip/...), not a path into its sources.',
};

export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', '**/__generated__/', '.turbo/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
      'no-restricted-imports': ['error', { patterns: [noReachingIntoPackages] }],
    },
  },
  {
    // Architecture: a subgraph reaches other offices only through federation, never by import.
    files: ['subgraphs/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noReachingIntoPackages,
            {
              group: ['@cip/subgraph-*', '!@cip/subgraph-kit', '!@cip/subgraph-kit/*'],
              message: 'Subgraphs do not import each other: cross-office links go through federation.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'packages/testing/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    // Command-line tools and benchmarks talk to a person on the console.
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
