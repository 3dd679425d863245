/**
 * Live video benchmark (browser): `WebMatter.processTrack` in Chromium (Debian's, headless, CPU
 * only: WebGL2 runs on SwiftShader) with a fake 1280x720 30 fps camera (a .y4m made with ffmpeg
 * from fixtures/astronaut.png, a moving crop), in one cross-origin isolated page with 2
 * WebAssembly threads. Measures, in the same run:
 * - the processed track: output fps, input fps, model fps, dropped frames, the largest queue
 *   seen (sampled every 50 ms), per-stage medians;
 * - the bare onnxruntime-web model fps at the same model input (a camera frame's own tensor, in a
 *   worker of its own, timed around `session.run`), measured before and after each live run;
 * - the per-frame compositing cost with `foreground: 'estimate'` vs `'observed'` (issue #11);
 * - the default compositor (`'auto'`: the CPU one here, where WebGL2 is software-rendered) and
 *   WebGL2 forced.
 *
 * `runWebVideoBench()` returns the figures; run directly
 * (`npx tsx --conditions=@mattekit/source bench/video-web.ts`) it also merges them into
 * bench/results/video.json under "browser".
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildPage } from '../packages/web/test/browser/build-app.js'
import { launchChromium } from '../packages/web/test/browser/chromium.js'
import { startServer } from '../packages/web/test/browser/server.js'
import { median, round } from './stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const THREADS = 2
const WIDTH = 1280
const HEIGHT = 720
const MODEL_SIZE = 256
/** Seconds of each live run. */
const SECONDS = Number(process.env.BENCH_VIDEO_WEB_SECONDS ?? 15)

/** The page's script: MatteKit, the bare worker, and `window.vb` for the driver. */
function pageScript(bareWorker: string): string {
  return `
import { liveModelSize, toModelTensor } from '@mattekit/core'
import { createMatter, decodeImage } from '@mattekit/web'

let bare
let matter
let camera
const call = (message, transfer = []) =>
  new Promise((resolve, reject) => {
    bare.onmessage = (event) => (event.data.type === 'error' ? reject(new Error(event.data.message)) : resolve(event.data))
    bare.postMessage(message, transfer)
  })

globalThis.vb = {
  async init(model, threads) {
    bare = new Worker(new URL(${JSON.stringify(bareWorker)}, import.meta.url), { type: 'module' })
    const bytes = await (await fetch(model.url)).arrayBuffer()
    const ready = await call({ type: 'init', model: bytes, threads }, [bytes])
    matter = await createMatter({ model, threads, cache: false })
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: ${WIDTH}, height: ${HEIGHT} } })
    camera = stream.getVideoTracks()[0]
    return { bareThreads: ready.threads, backend: matter.backend, ua: navigator.userAgent, cores: navigator.hardwareConcurrency, camera: camera.getSettings() }
  },
  /** Hands the bare worker the tensor MatteKit computes for a camera frame at the live model size. */
  async input(longSide) {
    const reader = new MediaStreamTrackProcessor({ track: camera.clone() }).readable.getReader()
    const { value: frame } = await reader.read()
    const image = await decodeImage(frame)
    frame.close()
    await reader.cancel()
    const size = liveModelSize(image.width, image.height, longSide)
    const data = toModelTensor(image, size)
    await call({ type: 'input', data, width: size.width, height: size.height }, [data.buffer])
    return size
  },
  async bare(runs) {
    const ms = []
    for (let i = 0; i < runs; i++) ms.push((await call({ type: 'run' })).ms)
    return ms
  },
  /** One live run: processTrack on a clone of the camera for \`seconds\`, the output consumed. */
  async live(options, seconds) {
    const input = camera.clone()
    const processed = matter.processTrack(input, options)
    const queued = []
    const sampler = setInterval(() => queued.push(processed.stats.queued), 50)
    const reader = new MediaStreamTrackProcessor({ track: processed.track }).readable.getReader()
    let consumed = 0
    const consume = (async () => {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        consumed++
        value.close()
      }
    })()
    // Skip the warm-up (first model result), then measure.
    for (let i = 0; i < 1200 && processed.stats.medians.model === 0; i++) await new Promise((r) => setTimeout(r, 50))
    const before = processed.stats
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, seconds * 1000))
    const after = processed.stats
    const elapsed = (performance.now() - t0) / 1000
    clearInterval(sampler)
    processed.stop({ stopInput: true })
    await processed.ended
    await consume.catch(() => undefined)
    return {
      elapsed,
      outputFps: (after.framesOut - before.framesOut) / elapsed,
      inputFps: (after.framesIn - before.framesIn) / elapsed,
      stats: after,
      dropped: after.dropped - before.dropped,
      framesOut: after.framesOut - before.framesOut,
      queueMax: Math.max(...queued),
      consumed,
    }
  },
}
document.title = 'ready'
`
}

/** The figures of one live run. */
interface LiveRun {
  elapsed: number
  outputFps: number
  inputFps: number
  dropped: number
  framesOut: number
  queueMax: number
  consumed: number
  stats: {
    fpsModel: number
    fpsIn: number
    fpsOut: number
    medians: { model: number; composite: number; frame: number }
    pipeline?: Record<'decode' | 'preprocess' | 'inference' | 'postprocess', number>
    compositor: string
    path: string
  }
}

/**
 * Runs the browser live-video benchmark.
 *
 * @returns the figures (also printed as a table)
 */
export async function runWebVideoBench(): Promise<object> {
  const model = JSON.parse(readFileSync(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { sha256: string }
  const tmp = mkdtempSync(join(tmpdir(), 'mattekit-bench-video-web-'))
  // The page lives under the repository (so that Vite resolves @mattekit/* and onnxruntime-web).
  const pageDir = join(ROOT, '.tmp', 'bench-video-web-page')
  const out = join(ROOT, '.tmp', 'bench-video-web-app', 'dist')
  const log = (text: string): void => console.log(`[bench video-web] ${text}`)
  mkdirSync(pageDir, { recursive: true })
  const bareWorker = relative(pageDir, join(ROOT, 'packages', 'web', 'test', 'bench', 'bare-worker.ts')).split('\\').join('/')
  writeFileSync(join(pageDir, 'main.ts'), pageScript(bareWorker.startsWith('.') ? bareWorker : `./${bareWorker}`))
  writeFileSync(
    join(pageDir, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8" /><title>MatteKit live video benchmark</title><link rel="icon" href="data:," /></head>' +
      '<body><script type="module" src="./main.ts"></script></body></html>\n',
  )
  const y4m = join(tmp, 'camera-720p.y4m')
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-i', join(ROOT, 'fixtures', 'astronaut.png'),
    '-vf', `scale=1600:1600,crop=${WIDTH}:${HEIGHT}:x='160+120*sin(2*PI*t/2)':y='400+100*cos(2*PI*t/2)',format=yuv420p`,
    '-r', '30', '-t', '2', '-f', 'yuv4mpegpipe', y4m,
  ])
  await buildPage(pageDir, out, true)
  log('page built')
  const server = await startServer({ app: out, models: join(ROOT, 'models', 'stand-in') })
  const browser = await launchChromium({ fakeCamera: y4m })
  try {
    const page = await browser.newPage()
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
    await page.goto(`${server.origin}/coi/app/index.html`)
    await page.waitForFunction("document.title === 'ready'")
    /** Calls `window.vb[method](...args)` in the page. */
    const vb = <T>(method: 'init' | 'input' | 'bare' | 'live', ...args: unknown[]): Promise<T> =>
      page.evaluate(
        ({ m, a }) => (globalThis as unknown as { vb: Record<string, (...x: unknown[]) => Promise<unknown>> }).vb[m]!(...a),
        { m: method, a: args },
      ) as Promise<T>
    type Camera = { width?: number; height?: number; frameRate?: number }
    const env = await vb<{ bareThreads: number; backend: Record<string, unknown>; ua: string; cores: number; camera: Camera }>(
      'init',
      { url: '/coi/models/model.onnx', sha256: model.sha256 },
      THREADS,
    )
    log(`ready: camera ${env.camera.width}x${env.camera.height}, ${JSON.stringify(env.backend)}`)
    const size = await vb<{ width: number; height: number }>('input', MODEL_SIZE)
    await vb('bare', 2) // warm-up
    const bareMs: number[] = []
    const bareRound = async (): Promise<void> => {
      bareMs.push(...(await vb<number[]>('bare', 5)))
    }
    const runs: Record<string, LiveRun> = {}
    const variants: [string, Record<string, unknown>][] = [
      // The defaults ('auto': the CPU compositor where WebGL2 is software-rendered, as here), then
      // WebGL2 forced, on SwiftShader.
      ['observed', { modelSize: MODEL_SIZE }],
      ['estimate', { modelSize: MODEL_SIZE, foreground: 'estimate' }],
      ['webgl2-observed', { modelSize: MODEL_SIZE, compositor: 'webgl2' }],
    ]
    await bareRound()
    for (const [name, options] of variants) {
      log(`${name}: ${SECONDS} s`)
      runs[name] = await vb<LiveRun>('live', options, SECONDS)
      await bareRound()
    }
    const bareFps = 1000 / median(bareMs)
    const main = runs.observed!
    const row = (r: LiveRun) => ({
      outputFps: round(r.outputFps, 2),
      inputFps: round(r.inputFps, 2),
      modelFps: round(r.stats.fpsModel, 2),
      modelVsBare: round(r.stats.fpsModel / bareFps, 3),
      dropped: r.dropped,
      framesOut: r.framesOut,
      queueMax: r.queueMax,
      mediansMs: { model: round(r.stats.medians.model, 1), composite: round(r.stats.medians.composite, 2), frame: round(r.stats.medians.frame, 1) },
      workerStagesMs: Object.fromEntries(Object.entries(r.stats.pipeline ?? {}).map(([k, v]) => [k, round(v, 1)])),
      compositor: r.stats.compositor,
      path: r.stats.path,
    })
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, chromium: browser.version(), userAgent: env.ua, hardwareConcurrency: env.cores, gpu: 'none (WebGL2 on SwiftShader)' },
      camera: `${env.camera.width}x${env.camera.height} fake camera (y4m), ${env.camera.frameRate ?? 30} fps`,
      modelInput: `${size.width}x${size.height}`,
      threads: THREADS,
      secondsPerRun: SECONDS,
      bareModelFps: round(bareFps, 2),
      bareModelMs: round(median(bareMs), 1),
      processedTrack: row(main),
      foreground: {
        observedCompositeMs: round(main.stats.medians.composite, 2),
        estimateCompositeMs: round(runs.estimate!.stats.medians.composite, 2),
        estimate: row(runs.estimate!),
      },
      webgl2Compositor: row(runs['webgl2-observed']!),
    }
    console.log(`\nprocessTrack, ${report.camera}, model input ${report.modelInput}, medians\n`)
    console.log('| run | output fps | input fps | model fps | bare model fps | model / bare | dropped | queue max | model ms | composite ms | frame ms |')
    console.log('|---|---|---|---|---|---|---|---|---|---|---|')
    for (const [name, r] of Object.entries(runs)) {
      const x = row(r)
      console.log(
        `| ${name} (${x.compositor}) | ${x.outputFps} | ${x.inputFps} | ${x.modelFps} | ${report.bareModelFps} | ${x.modelVsBare}x | ${x.dropped} | ${x.queueMax} | ` +
          `${x.mediansMs.model} | ${x.mediansMs.composite} | ${x.mediansMs.frame} |`,
      )
    }
    return report
  } finally {
    await browser.close()
    await server.close()
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** Merges the figures into bench/results/video.json under "browser" (other keys are kept). */
export function merge(report: object): void {
  const file = join(ROOT, 'bench', 'results', 'video.json')
  mkdirSync(dirname(file), { recursive: true })
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  writeFileSync(file, JSON.stringify({ ...current, browser: report }, null, 2) + '\n')
  console.log('merged into bench/results/video.json ("browser")')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  merge(await runWebVideoBench())
}
