/**
 * Flat memory over a very large batch (issue #10): `mattekit <dir> -o <dir>` (the CLI's batch
 * defaults: throughput sessions, concurrency sessions + 1) run
 * in-process (the real CLI path) over a directory of BENCH_BATCH_MEMORY_FILES entries (default
 * 100 000), sampling the process RSS (main thread, inference worker and native memory together)
 * and the JS heap every BENCH_BATCH_MEMORY_SAMPLE_MS (default 2000) ms.
 *
 * The entries are hard links to three tiny images whose sizes the official size rule keeps as
 * they are (the "keep" branch: longer side >= 512, shorter side <= 512, already multiples of 32),
 * so the model runs at 544x32, 32x544 and 512x64 and the run measures MatteKit's own memory
 * rather than waiting on inference. Reports start, peak and end RSS and the least-squares slope of
 * RSS over the second half of the run (MB per 10 000 images), and merges the result into
 * bench/results/batch.json under `memory`.
 */
import { linkSync, mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { modelInputSize } from '../packages/core/src/index.js'
import { main } from '../packages/node/src/cli/main.js'
import { round } from './stats.js'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
const COUNT = Number(process.env.BENCH_BATCH_MEMORY_FILES ?? 100_000)
const SAMPLE_MS = Number(process.env.BENCH_BATCH_MEMORY_SAMPLE_MS ?? 2000)
const MB = 2 ** 20

const seeds = [
  [544, 32, 'jpeg'],
  [32, 544, 'png'],
  [512, 64, 'webp'],
] as const

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

const tmp = mkdtempSync(join(tmpdir(), 'mattekit-bench-batch-memory-'))
try {
  const input = join(tmp, 'in')
  const output = join(tmp, 'out')
  mkdirSync(input)
  const sources: string[] = []
  for (const [w, h, format] of seeds) {
    const size = modelInputSize(w, h)
    if (size.width !== w || size.height !== h) throw new Error(`${w}x${h} is not kept by the size rule (${size.width}x${size.height})`)
    const file = join(tmp, `seed-${w}x${h}.${format === 'jpeg' ? 'jpg' : format}`)
    await sharp(join(ROOT, 'fixtures', 'astronaut.png')).resize(w, h, { fit: 'cover' }).toFormat(format).toFile(file)
    sources.push(file)
  }
  const t0 = performance.now()
  for (let i = 0; i < COUNT; i++) {
    const src = sources[i % sources.length]!
    linkSync(src, join(input, `img-${String(i).padStart(6, '0')}${src.slice(src.lastIndexOf('.'))}`))
  }
  console.log(`${COUNT} hard links in ${round((performance.now() - t0) / 1000, 1)} s; running mattekit with its batch defaults`)

  // The progress bar (a fake TTY) tells how many images are done at each sample.
  let done = 0
  const stderr = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const m = /\] +(\d+)\/\d+/.exec(chunk.toString())
        if (m) done = Number(m[1])
        callback()
      },
    }),
    { isTTY: true },
  )
  const stdout = new Writable({ write: (_c, _e, cb) => cb() })

  const samples: { s: number; done: number; rssMB: number; heapMB: number }[] = []
  const start = performance.now()
  const sample = (): void => {
    const m = process.memoryUsage()
    samples.push({ s: round((performance.now() - start) / 1000, 1), done, rssMB: round(m.rss / MB), heapMB: round(m.heapUsed / MB) })
  }
  sample()
  const timer = setInterval(() => {
    sample()
    const last = samples[samples.length - 1]!
    if (samples.length % 15 === 0) console.log(`  ${last.s}s  ${last.done}/${COUNT} images  RSS ${last.rssMB} MB  heap ${last.heapMB} MB`)
  }, SAMPLE_MS)
  const code = await main([input, '-o', output, '--model', MODEL], { stdout, stderr })
  clearInterval(timer)
  sample() // the last images done, the Matter disposed: not part of the run's slope
  const afterRun = samples.pop()!
  const seconds = (performance.now() - start) / 1000
  if (code !== 0) throw new Error(`mattekit exited ${code}`)

  // Once the first images are through (model loaded, buffers pooled), memory should stay level.
  const running = samples.filter((s) => s.done > 0)
  const secondHalf = running.filter((s) => s.done >= COUNT / 2)
  const perImage = slope(
    secondHalf.map((s) => s.done),
    secondHalf.map((s) => s.rssMB),
  )
  const heapPerImage = slope(
    secondHalf.map((s) => s.done),
    secondHalf.map((s) => s.heapMB),
  )
  const rss = samples.map((s) => s.rssMB)
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    files: COUNT,
    settings: 'CLI batch defaults (throughput sessions, concurrency sessions + 1)',
    modelInputs: seeds.map(([w, h, f]) => `${w}x${h} ${f}`),
    seconds: round(seconds, 1),
    imagesPerSecond: round(COUNT / seconds, 1),
    rssMB: {
      start: samples[0]!.rssMB,
      firstImages: running[0]?.rssMB,
      peak: Math.max(...rss),
      end: samples[samples.length - 1]!.rssMB,
      afterDispose: afterRun.rssMB,
    },
    secondHalfSlopeMBPer10kImages: round(perImage * 10_000, 2),
    secondHalfHeapSlopeMBPer10kImages: round(heapPerImage * 10_000, 2),
    sampleEveryMs: SAMPLE_MS,
    samples,
  }
  console.log(`\nbatch memory: ${COUNT} files in ${result.seconds} s (${result.imagesPerSecond} images/s), CLI batch defaults`)
  console.log(
    `RSS start ${result.rssMB.start} MB, after the first images ${result.rssMB.firstImages} MB, peak ${result.rssMB.peak} MB, ` +
      `end ${result.rssMB.end} MB (${result.rssMB.afterDispose} MB once the Matter is disposed)`,
  )
  console.log(
    `second half: RSS slope ${result.secondHalfSlopeMBPer10kImages} MB per 10 000 images (JS heap ${result.secondHalfHeapSlopeMBPer10kImages} MB per 10 000)`,
  )
  const file = join(ROOT, 'bench', 'results', 'batch.json')
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify({ ...previous, memory: result }, null, 2) + '\n')
  console.log('wrote bench/results/batch.json (memory)')
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
