// One lint configuration for the whole repo: typescript-eslint with type information,
// so that floating promises (the classic bug of queue code) fail the build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.isx/**', 'artifacts/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The dashboard's page is browser code, with the DOM's types: its own project.
        project: ['./tsconfig.eslint.json', './packages/router/dashboard-page/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@isx/*/src/*', '@isx/*/dist/*', '@isx/*/src', '@isx/*/dist'],
              message: 'Import a package through its index (@isx/name), never a deep path.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/router/dashboard-page/**/*.ts'],
    languageOptions: {
      globals: { document: 'readonly', EventSource: 'readonly', MessageEvent: 'readonly' },
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
