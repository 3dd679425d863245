/**
 * `npm run size -w @mattekit/web [-- --budget-kib N]`: what @mattekit/web adds to an application,
 * minified and gzipped, with @mattekit/core included and onnxruntime-web excluded (it is loaded
 * lazily and weighs the same with or without MatteKit). Built with Vite (Rollup + esbuild minify)
 * from the sources, as an application bundler would: the page-side entry and the worker
 * separately, since the worker is a file of its own that loads only when `createMatter` starts it.
 *
 * Exits 1 when the app that keeps every export (page + worker, gzip -9) exceeds the budget.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build, defaultClientConditions } from 'vite'

/**
 * The size budget, in KiB after gzip, for everything @mattekit/web adds (page and worker, every
 * export kept). Measured on 2026-11-24: 45.9 KiB before live video, 57.8 KiB with `processTrack`
 * (its compositors and frame scheduler); the budget leaves about 15 % above the latter. Raise it
 * deliberately, in the change that needs it, and say why. Raised from 66 to 72 KiB with core's
 * WebAssembly kernels: 67.0 KiB measured, of which about 6 KiB are the 2.3 KB module (base64) and
 * its loader, once in the page bundle and once in the worker's (both use core's resamplers).
 */
const BUDGET_KIB = 72

const { values: args } = parseArgs({ options: { 'budget-kib': { type: 'string', default: String(BUDGET_KIB) } } })
const budgetKib = Number(args['budget-kib'])

// Inside the repository, so that `@mattekit/web` resolves to this workspace package.
const out = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.tmp', 'size-'))

/** Builds a one-line application that uses all of @mattekit/web, as an application would. */
async function buildApp(name: string, code: string): Promise<string> {
  const app = join(out, name)
  mkdirSync(app, { recursive: true })
  writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>')
  writeFileSync(join(app, 'main.js'), code)
  const external = [/^onnxruntime-web/]
  await build({
    configFile: false,
    root: app,
    logLevel: 'silent',
    resolve: { conditions: ['@mattekit/source', ...defaultClientConditions] },
    build: {
      outDir: join(out, 'dist', name), // a `dist` folder: ignored by ESLint
      emptyOutDir: true,
      minify: 'esbuild',
      target: 'es2022',
      reportCompressedSize: false,
      rollupOptions: { external },
    },
    worker: { format: 'es', rollupOptions: { external } },
  })
  return join(out, 'dist', name, 'assets')
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

async function report(title: string, code: string): Promise<number> {
  const assets = await buildApp(title.replace(/\W+/g, '-'), code)
  const rows = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => {
      const bytes = readFileSync(join(assets, f))
      const kind = f.startsWith('worker') ? 'worker' : f.startsWith('index') ? 'page' : 'lazy'
      return { kind, file: f, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
    })
    .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind))
  const min = rows.reduce((s, r) => s + r.min, 0)
  const gzip = rows.reduce((s, r) => s + r.gzip, 0)
  console.log(`\n${title}\n`)
  console.log('| part | minified | min + gzip |')
  console.log('|---|---|---|')
  for (const r of rows) console.log(`| ${LABEL[r.kind]} | ${kb(r.min)} | ${kb(r.gzip)} |`)
  console.log(`| **total** | ${kb(min)} | **${kb(gzip)}** |`)
  return gzip
}

const ORDER = ['page', 'lazy', 'worker']
const LABEL: Record<string, string> = {
  page: 'page (loads with your code)',
  lazy: 'page, on demand (inline mode only)',
  worker: 'worker.js (decode, pipeline, model store)',
}

try {
  console.log('@mattekit/web bundle size: @mattekit/core included, onnxruntime-web excluded (Vite build, esbuild minify, gzip -9)')
  await report('An app that calls createMatter', "import { createMatter } from '@mattekit/web'\nglobalThis.createMatter = createMatter\n")
  const all = await report('An app that keeps every export', "import * as mk from '@mattekit/web'\nglobalThis.mk = mk\n")
  const verdict = all <= budgetKib * 1024 ? 'within' : 'OVER'
  console.log(`\nsize budget: ${kb(all)} gzip for every export, ${verdict} the budget of ${budgetKib.toFixed(1)} KiB`)
  if (verdict === 'OVER') process.exitCode = 1
} finally {
  rmSync(out, { recursive: true, force: true })
}
