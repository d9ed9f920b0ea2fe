// Type-aware lint for every package; `npm run lint` must report nothing (CI runs it before the suite).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import xenplane from './eslint/declared-imports.js';

const tests = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**', '**/test/**', '**/bench/**', 'test/**'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', 'data/**', 'libs/client/src/schema.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { globals: globals.node, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { xenplane },
    rules: {
      // The import graph is package.json's: apps never import each other, libs never import apps (workspace-graph.spec).
      'xenplane/declared-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // An async method with a synchronous body still keeps its Promise contract (interfaces, NestJS hooks).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The API talks to Postgres and Redis only: of libs/network it may use the pure address arithmetic, never the OVS parts.
    files: ['apps/api/**/*.ts'],
    ignores: ['apps/api/src/console/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@xenplane/network', message: 'import @xenplane/network/ipam: the API never loads the OVS parts' },
            { name: '@xenplane/xapi-driver', message: 'only the console gateway (apps/api/src/console) opens connections towards pools' },
          ],
        },
      ],
    },
  },
  {
    // The console gateway relays bytes to pools; it still never loads the OVS parts.
    files: ['apps/api/src/console/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@xenplane/network', message: 'import @xenplane/network/ipam: the API never loads the OVS parts' }] },
      ],
    },
  },
  {
    // Tests read JSON answers of the system under test as `any`; the unsafe-any family would only restate that.
    files: tests,
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
);
