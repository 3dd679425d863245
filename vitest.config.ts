import { defineConfig } from 'vitest/config'

// The fast suite: unit tests beside the code in every package, plus the stand-in model's checks.
// Browser and end-to-end suites live in their own folders and have their own scripts.
const conditions = ['@mattekit/source']
// Node-environment tests resolve through vite's SSR resolver, which needs the condition too.
const shared = { resolve: { conditions }, ssr: { resolve: { conditions } } }

export default defineConfig({
  ...shared,
  test: {
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
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
        // @mattekit/web's Node-side unit tests (SSR safety, PNG encoder); its browser tests run
        // in Chromium through packages/web/vitest.browser.config.ts (npm run test:browser).
        test: { name: 'web', root: 'packages/web', include: ['src/**/*.test.ts'], environment: 'node' },
      },
      {
        ...shared,
        // @mattekit/react's hook tests (jsdom; the SSR test picks the node environment itself);
        // its Chromium test runs through packages/react/vitest.browser.config.ts.
        test: { name: 'react', root: 'packages/react', include: ['src/**/*.test.{ts,tsx}'], environment: 'jsdom' },
      },
      {
        ...shared,
        test: { name: 'models', root: 'models', include: ['**/*.test.ts'], environment: 'node', testTimeout: 120_000 },
      },
    ],
  },
})
