import { defineConfig } from 'vitest/config'

// The fast suite: unit tests beside the code in every package, plus the stand-in model's checks.
// Browser and end-to-end suites live in their own folders and have their own scripts.
const conditions = ['@mattekit/source']

export default defineConfig({
  resolve: { conditions },
  test: {
    projects: [
      {
        resolve: { conditions },
        test: { name: 'core', root: 'packages/core', include: ['src/**/*.test.ts'], environment: 'node' },
      },
      {
        resolve: { conditions },
        test: {
          name: 'node',
          root: 'packages/node',
          include: ['src/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        resolve: { conditions },
        test: { name: 'models', root: 'models', include: ['**/*.test.ts'], environment: 'node', testTimeout: 120_000 },
      },
    ],
  },
})
