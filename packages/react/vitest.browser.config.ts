import { defineConfig } from 'vitest/config'

// @mattekit/react's browser test: a Node-side vitest file that builds a small React app with
// Vite, serves it with the web tests' server and drives Debian's Chromium (with a fake camera)
// through playwright-core.
const conditions = ['@mattekit/source']
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'react-browser',
    root: import.meta.dirname,
    reporters: ['default', ['json', { outputFile: '../../.tmp/vitest-react-browser-report.json' }]],
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
