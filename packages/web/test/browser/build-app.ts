/**
 * Builds the test page (test/browser/app) with Vite from MatteKit's sources: `@mattekit/web` and
 * `@mattekit/core` resolve through the `@mattekit/source` condition, and Vite bundles the worker
 * from the `new Worker(new URL('./worker.js', import.meta.url))` pattern exactly as it does for
 * users, with onnxruntime-web's `.wasm` files emitted as assets.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, defaultClientConditions } from 'vite'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
// Under a `dist` folder, which ESLint and git ignore.
export const APP_OUT = join(ROOT, '.tmp', 'web-test-app', 'dist')

/**
 * Builds the test page into `outDir`.
 *
 * @param outDir - where to write it
 */
export function buildTestApp(outDir = APP_OUT): Promise<string> {
  return buildPage(join(ROOT, 'packages', 'web', 'test', 'browser', 'app'), outDir, false)
}

/**
 * Builds a page (an `index.html` and its scripts) that uses `@mattekit/web` from source.
 *
 * @param root - the page's directory
 * @param outDir - where to write it
 * @param minify - minify (the benchmark does; tests do not, for readable stacks)
 */
export async function buildPage(root: string, outDir: string, minify: boolean): Promise<string> {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    base: './',
    resolve: { conditions: ['@mattekit/source', ...defaultClientConditions] },
    build: { outDir, emptyOutDir: true, minify, target: 'es2022', reportCompressedSize: false, sourcemap: false },
    // A stable name for the worker entry, so a test can pass it as workerUrl.
    worker: { format: 'es', rollupOptions: { output: { entryFileNames: 'assets/[name].js' } } },
  })
  return outDir
}
