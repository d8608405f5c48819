// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'playground/dist/**',
      'test-results/**',
      'playwright-report/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        Buffer: 'readonly',
        globalThis: 'readonly',
        document: 'readonly',
        window: 'readonly',
        navigator: 'readonly',
        self: 'readonly',
        WebSocket: 'readonly',
        Worker: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only (STYLE.md §9).' },
      ],
    },
  },
  {
    // STYLE.md §3: a file past ~300 lines or a function past ~60 is asking to be split. Shipped source
    // only: tests, harness files and bench/ (not shipped, one scenario a file) are left to judgement.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-d.ts', '**/*test-utils.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Temporary (issue 25): each holds one or two functions over 60 lines, not split yet; drop a file
    // from this list once its functions are cut by job. serve.ts / http-api.ts / options.ts are shared
    // files other branches edit now: split them after the merge.
    files: [
      'packages/client/src/connect.ts',
      'packages/client/src/job-socket.ts',
      'packages/client/src/sse-http-node.ts',
      'packages/onnx/src/onnx/onnx-endpoint.ts',
      'packages/onnx/src/onnx/onnx-options.ts',
      'packages/onnx/src/onnx/runner.ts',
      'packages/protocol/src/parse.ts',
    ],
    rules: { 'max-lines-per-function': 'off' },
  },
  {
    files: ['**/*.config.*', 'playwright.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
