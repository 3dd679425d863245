// One build factory for every package; each package runs `tsup --config ../../tsup.config.ts`
// from its own directory, so the config is a function of that package's manifest.
import { readFileSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

interface Manifest {
  name: string
  bin?: Record<string, string>
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest

const platforms: Record<string, Options['platform']> = {
  '@mattekit/core': 'neutral',
  '@mattekit/node': 'node',
}

const entries: Record<string, string[]> = {
  '@mattekit/node': ['src/index.ts', 'src/cli.ts', 'src/queue.ts'],
  // The worker is its own entry: dist/index.js starts it with
  // `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, the pattern Vite,
  // webpack 5 and Next.js follow to bundle it.
  '@mattekit/web': ['src/index.ts', 'src/worker.ts'],
}

export default defineConfig({
  entry: entries[pkg.name] ?? ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: platforms[pkg.name] ?? 'browser',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
  // Rollup's tree-shaking pass drops module-level directives, so @mattekit/react (whose build must
  // start with 'use client' for React Server Components) is tree-shaken by esbuild alone.
  treeshake: pkg.name !== '@mattekit/react',
  shims: true,
  esbuildOptions(options) {
    // Resolve workspace siblings through their sources while building declarations and code.
    options.conditions = ['@mattekit/source']
  },
  banner: pkg.name === '@mattekit/react' ? { js: "'use client';" } : undefined,
})
