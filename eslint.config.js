// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// Names that only exist in a browser or in Node. Core must use neither: it receives platform
// services from the adapters (see packages/core/src/session.ts).
const platformGlobals = [
  ...new Set([
    ...Object.keys(globals.browser).filter((name) => !(name in globals.es2021)),
    ...Object.keys(globals.node).filter((name) => !(name in globals.es2021)),
  ]),
]
// Globals that exist in every modern JS runtime (ES2022 + WHATWG basics) stay allowed in core.
const neutral = new Set([
  'AbortController',
  'AbortSignal',
  'DOMException',
  'Event',
  'EventTarget',
  'TextDecoder',
  'TextEncoder',
  'URL',
  'console',
  'crypto',
  'fetch',
  'performance',
  'queueMicrotask',
  'setTimeout',
  'clearTimeout',
  'structuredClone',
  'atob',
  'btoa',
])

export default tseslint.config(
  { ignores: ['packages/core/wasm/**', '**/dist/**', '**/node_modules/**', 'docs/api/**', 'coverage/**', 'bench/results/**', '.tmp/**', '**/.next/**', '**/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The architecture rule: core's sources are platform-neutral (its tests run in Node).
    files: ['packages/core/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/core/src/testing/**'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['onnxruntime-*', 'onnxruntime-*/**'], message: 'core must not import onnxruntime: adapters bind it.' },
            { group: ['sharp', 'react', 'react-dom', 'react/**'], message: 'core must not import platform libraries.' },
            { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'stream', 'url', 'http', 'https'], message: 'core must not import Node modules.' },
            { group: ['@mattekit/*'], message: 'core must not import other MatteKit packages.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...platformGlobals.filter((name) => !neutral.has(name)).map((name) => ({
          name,
          message: 'core is platform-neutral: take this from the adapter instead.',
        })),
      ],
    },
  },
)
