import { defineConfig } from 'vitest/config'

// The fast suite: unit tests beside the code in every package, plus the stand-in model's checks.
// Browser and end-to-end suites live in their own folders and have their own scripts.
const conditions = ['@mattekit/source']
// Node-environment tests resolve through vite's SSR resolver, which needs the condition too.
const shared = { resolve: { conditions }, ssr: { resolve: { conditions } } }

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: { name: 'core', root: 'packages/core', include: ['src/**/*.test.ts'], environment: 'node' },
      },
      {
        ...shared,
        test: {
          name: 'node',
          root: 'packages/node',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'node-e2e',
          root: 'packages/node',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: { name: 'models', root: 'models', include: ['**/*.test.ts'], environment: 'node', testTimeout: 120_000 },
      },
    ],
  },
})
