/**
 * Web benchmark, in Chromium (Debian's /usr/bin/chromium, headless, CPU only), in one
 * cross-origin isolated page with 2 WebAssembly threads: bare onnxruntime-web `session.run` on a
 * ready tensor (the very tensor MatteKit computes for the image; in a worker of its own, timed
 * around `run` alone) vs MatteKit `matte()` end to end
 * from a JPEG Blob (decode, preprocessing, inference, postprocessing, worker messaging; timed on
 * the page). Runs alternate so machine drift hits both.
 *
 * Main-thread responsiveness while MatteKit works: the Long Tasks API (tasks >= 50 ms) during the
 * timed runs, and a DevTools trace of three more runs per size for every main-thread task
 * (the Long Tasks API cannot see tasks under 50 ms). Writes bench/results/web.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { buildPage } from '../packages/web/test/browser/build-app.js'
import { launchChromium } from '../packages/web/test/browser/chromium.js'
import { startServer } from '../packages/web/test/browser/server.js'
import { median, round } from './stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const THREADS = 2
const cases = [
  { name: '512x512', width: 512, height: 512, iterations: 10 },
  { name: '1920x1080', width: 1920, height: 1080, iterations: 8 },
]
const model = JSON.parse(readFileSync(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { sha256: string }

const tmp = mkdtempSync(join(tmpdir(), 'mattekit-bench-web-'))
const out = join(ROOT, '.tmp', 'bench-web-app', 'dist') // a `dist` folder: ignored by ESLint and git

/** What the page (packages/web/test/bench/main.ts) exposes as `window.bench`. */
interface Bench {
  init(model: { url: string; sha256: string }, threads: number): Promise<{ bareThreads: number; backend: Record<string, unknown>; ua: string; cores: number }>
  load(url: string): Promise<void>
  input(url: string): Promise<{ width: number; height: number }>
  bare(): Promise<number>
  matte(url: string): Promise<{ ms: number; timings: Record<'decode' | 'preprocess' | 'inference' | 'postprocess' | 'total', number>; modelSize: { width: number; height: number } }>
  takeLongTasks(): number[]
}

interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  dur?: number
  args?: { name?: string }
}

/** Durations (ms) of the renderer main thread's top-level tasks in a Chrome trace. */
function mainThreadTasks(trace: Buffer): number[] {
  const { traceEvents } = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }
  const main = new Set(
    traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  )
  return traceEvents
    // One event per task: the scheduler's (category "toplevel"); "RunTask" nests inside it.
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => (e.dur ?? 0) / 1000)
}

const server = await startServer({ app: out, models: join(ROOT, 'models', 'stand-in'), bench: tmp })
const browser = await launchChromium()
try {
  for (const c of cases) {
    await sharp(join(ROOT, 'fixtures', 'astronaut.png'))
      .resize(c.width, c.height, { fit: 'fill', kernel: 'lanczos3' })
      .jpeg({ quality: 90 })
      .toFile(join(tmp, `${c.name}.jpg`))
  }
  await buildPage(join(ROOT, 'packages', 'web', 'test', 'bench'), out, true)
  const log = (text: string): void => console.log(`[bench] ${text}`)
  log('page built')
  const page = await browser.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(`${server.origin}/coi/app/index.html`)
  await page.waitForFunction("document.title === 'ready'")
  type Win = { bench: Bench }
  const env = await page.evaluate(
    ([url, sha256, threads]) => (globalThis as unknown as Win).bench.init({ url, sha256 }, threads),
    [`/coi/models/model.onnx`, model.sha256, THREADS] as [string, string, number],
  )
  const chromiumVersion = browser.version()
  log(`ready: ${JSON.stringify(env.backend)}`)

  const rows = []
  for (const c of cases) {
    const url = `/coi/bench/${c.name}.jpg`
    log(`${c.name}: warming up`)
    await page.evaluate((u) => (globalThis as unknown as Win).bench.load(u), url)
    const probe = await page.evaluate((u) => (globalThis as unknown as Win).bench.matte(u), url)
    const { width: mw, height: mh } = probe.modelSize
    await page.evaluate((u) => (globalThis as unknown as Win).bench.input(u), url)
    // Warm-up both paths (first runs compile kernels and grow memory).
    await page.evaluate(() => (globalThis as unknown as Win).bench.bare())
    await page.evaluate(() => (globalThis as unknown as Win).bench.takeLongTasks())
    const bareMs: number[] = []
    const matteMs: number[] = []
    const stages: Record<string, number[]> = { decode: [], preprocess: [], inference: [], postprocess: [], messaging: [] }
    for (let i = 0; i < c.iterations; i++) {
      bareMs.push(await page.evaluate(() => (globalThis as unknown as Win).bench.bare()))
      const r = await page.evaluate((u) => (globalThis as unknown as Win).bench.matte(u), url)
      matteMs.push(r.ms)
      for (const k of ['decode', 'preprocess', 'inference', 'postprocess'] as const) stages[k]!.push(r.timings[k])
      stages.messaging!.push(r.ms - r.timings.total)
    }
    const longTasks = await page.evaluate(() => (globalThis as unknown as Win).bench.takeLongTasks())

    log(`${c.name}: bare ${round(median(bareMs))} ms, MatteKit ${round(median(matteMs))} ms; tracing`)
    // Every main-thread task during three more mattes, from a DevTools trace.
    await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8'] })
    for (let i = 0; i < 3; i++) await page.evaluate((u) => (globalThis as unknown as Win).bench.matte(u), url)
    const trace = await browser.stopTracing()
    // MATTEKIT_BENCH_TRACE=dir keeps the traces (open them in chrome://tracing or Perfetto).
    if (process.env.MATTEKIT_BENCH_TRACE) {
      mkdirSync(process.env.MATTEKIT_BENCH_TRACE, { recursive: true })
      writeFileSync(join(process.env.MATTEKIT_BENCH_TRACE, `web-${c.name}.json`), trace)
    }
    const tasks = mainThreadTasks(trace)

    const bare = median(bareMs)
    const matte = median(matteMs)
    rows.push({
      input: `${c.name} JPEG Blob`,
      modelInput: `${mw}x${mh}`,
      iterations: c.iterations,
      bareMs: round(bare),
      mattekitMs: round(matte),
      ratio: round(matte / bare, 3),
      stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(median(v), 2)])),
      mainThread: {
        longTasksOver50ms: longTasks.length,
        tracedTasks: tasks.length,
        maxTaskMs: round(Math.max(0, ...tasks), 2),
        tasksOver4ms: tasks.filter((d) => d > 4).length,
      },
    })
  }

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, chromium: chromiumVersion, userAgent: env.ua, hardwareConcurrency: env.cores },
    model: 'stand-in (MODNet architecture, models/stand-in/model.onnx)',
    backend: { bare: { device: 'wasm', threads: env.bareThreads }, mattekit: env.backend },
    rows,
  }
  console.log(
    `\nMatteKit matte() (JPEG Blob -> matte, in its worker) vs bare onnxruntime-web session.run, same page, ` +
      `wasm SIMD, ${env.bareThreads} threads, medians in ms\n`,
  )
  console.log('| input | model input | bare run | MatteKit | ratio | decode | pre | infer | post | messaging | main-thread max task | tasks > 4 ms | long tasks |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const s = r.stagesMs
    const m = r.mainThread
    console.log(
      `| ${r.input} | ${r.modelInput} | ${r.bareMs} | ${r.mattekitMs} | ${r.ratio}x | ${s.decode} | ${s.preprocess} | ${s.inference} | ` +
        `${s.postprocess} | ${s.messaging} | ${m.maxTaskMs} ms | ${m.tasksOver4ms} of ${m.tracedTasks} | ${m.longTasksOver50ms} |`,
    )
  }
  console.log(`\n${report.machine.cpus} CPUs (${report.machine.model}); Chromium ${chromiumVersion}`)
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench', 'results', 'web.json'), JSON.stringify(report, null, 2) + '\n')
  console.log('wrote bench/results/web.json')
} finally {
  await browser.close()
  await server.close()
  rmSync(tmp, { recursive: true, force: true })
}
