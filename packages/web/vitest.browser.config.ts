import { defineConfig } from 'vitest/config'

// Browser tests: Node-side vitest files that drive Debian's Chromium through playwright-core.
// One build of the test page, one server and one browser serve every file (global-setup.ts);
// files run one after another so timings are not skewed by each other.
const conditions = ['@mattekit/source']
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'web-browser',
    root: import.meta.dirname,
    reporters: ['default', ['json', { outputFile: '../../.tmp/vitest-browser-report.json' }]],
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/browser/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
