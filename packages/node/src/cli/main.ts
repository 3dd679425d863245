/**
 * The `mattekit` command: mattes images (files or directories) into PNGs, atomically.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { readdir, realpath, stat, unlink, mkdir } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { isMatteError, MatteError, type MatteTimings } from '@mattekit/core'
import { createMatter, type NodeMatter } from '../create-matter.js'
import { type OutputKind, renderOutput } from '../encode.js'
import { writeFileAtomic } from '../fs-atomic.js'
import { defaultPoolSize, type SessionLayout } from '../session-pool.js'
import {
  MATTE_FLAGS,
  MODEL_ACTIONS,
  type MODEL_FLAGS,
  cacheOptionsFromFlags,
  isUsageError,
  modelSourceFromFlags,
  runModels,
} from './models.js'
import { ProgressBar, downloadReporter } from './progress.js'

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }
  /** Fires on SIGINT/SIGTERM in the real binary. */
  readonly signal?: AbortSignal
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.tif', '.tiff'])
const OUTPUT_KINDS: readonly OutputKind[] = ['alpha', 'cutout', 'composite']

export const HELP = `mattekit: portrait matting with MODNet (official pre/post-processing, exact).

Usage
  mattekit <input...> -o <output> [--model <model.onnx>] [options]
  mattekit video <input> -o <output> [options]                         (see mattekit video --help)
  mattekit models fetch|list|verify|clear [--variant fp32|fp16|uint8]   (see mattekit models --help)

Inputs are image files (JPEG, PNG, WebP) or directories of them. With one input file, <output>
is the PNG to write (or a directory to write <stem>.png into); with several inputs or a
directory, <output> is a directory and each image gives <output>/<stem>.png.

Without --model, the official MODNet (fp32) is downloaded once from its pinned Hugging Face
revision, verified (size and SHA-256) and cached; later runs work offline.

Options
  -o, --output-path <path>  where to write (file or directory)
  -m, --model <path>        a local MODNet ONNX model file
      --variant <v>         the official model to use: fp32 (default), fp16 or uint8
      --model-url <url>     a custom model to download and cache (https; http only on localhost)...
      --model-sha256 <hex>  ...and the SHA-256 it must have (required with --model-url)
      --cache-dir <dir>     model cache directory (default: MATTEKIT_CACHE_DIR, else the OS user cache)
      --mirror <url>        base URL serving the official files (default: MATTEKIT_MODEL_MIRROR)
      --offline             never download (also MATTEKIT_OFFLINE=1); fail if the model is not cached
      --output <kind>       alpha (default): 8-bit grey matte, same size as the input
                            cutout: RGBA PNG, the matte as alpha
                            composite: RGB PNG over --background
      --background <bg>     for composite: blur (default), blur:<radius>, a colour
                            (#00b140, rgb(0,177,64), white, greenscreen...) or an image path
      --foreground <f>      observed (default) or estimate: estimate the subject's colours at
                            soft edges so no tint of the old background shows (cutout, composite)
      --concurrency <n>     images in flight at once (default: sessions + 1, so decoding and
                            encoding overlap the model); memory stays bounded whatever the
                            number of inputs
      --skip-existing       skip inputs whose output already exists (outputs are only ever
                            written complete, so an interrupted run can simply be started again)
      --sessions <n>        onnxruntime sessions side by side: a number, latency or throughput
                            (default: throughput for several images, one session per core up
                            to 4; latency for one image, one session per 4 cores)
      --threads <n>         onnxruntime intra-op threads per session (default: the cores
                            shared among the sessions)
      --max-pixels <n>      refuse images whose header declares more pixels, before decoding
                            (IMAGE_TOO_LARGE; default 100000000)
      --json                print a machine-readable summary on stdout
  -h, --help                show this help
  -v, --version             show the version

Outputs are written atomically (a failed image leaves no file) and never over an input.
Exit status: 0 when every image succeeded, 1 when any failed, 2 on a usage error.
`

interface Job {
  input: string
  output: string
}

interface JobReport {
  input: string
  output: string
  ok: boolean
  skipped?: boolean
  error?: { code: string; message: string }
  width?: number
  height?: number
  modelSize?: { width: number; height: number }
  timings?: MatteTimings
}

class UsageError extends Error {}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** Canonical path for "is this the same file" checks, even when it does not exist yet. */
async function canonical(path: string): Promise<string> {
  const abs = resolve(path)
  try {
    return await realpath(abs)
  } catch {
    try {
      return join(await realpath(dirname(abs)), basename(abs))
    } catch {
      return abs
    }
  }
}

/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight: a 100,000-file batch must not
 * start 100,000 `realpath` calls at once (measured: 185 MB of JS heap at the peak, 52 MB with 64).
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return out
}

async function expandInputs(inputs: readonly string[]): Promise<{ files: string[]; sawDirectory: boolean }> {
  const files: string[] = []
  let sawDirectory = false
  for (const input of inputs) {
    if (await isDirectory(input)) {
      sawDirectory = true
      const names = (await readdir(input)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort()
      files.push(...names.map((n) => join(input, n)))
    } else {
      files.push(input) // missing files fail later, per image, with their own error
    }
  }
  return { files, sawDirectory }
}

async function planJobs(inputs: readonly string[], outputPath: string): Promise<Job[]> {
  const { files, sawDirectory } = await expandInputs(inputs)
  if (files.length === 0) throw new UsageError('no input images found')
  const toDirectory = sawDirectory || files.length > 1 || outputPath.endsWith('/') || (await isDirectory(outputPath))
  if (!toDirectory) return [{ input: files[0]!, output: outputPath }]
  return files.map((input) => ({ input, output: join(outputPath, `${basename(input, extname(input))}.png`) }))
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit status.
 *
 * @param argv - the arguments
 * @param io - output streams and an abort signal
 */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (s: string): boolean => io.stderr.write(s)
  // `mattekit models <action>`; a directory named "models" is still an input when no action follows.
  if (argv[0] === 'models' && (argv.length === 1 || MODEL_ACTIONS.has(argv[1]!) || argv[1] === '--help' || argv[1] === '-h')) {
    return runModels(argv.slice(1), io)
  }
  if (argv[0] === 'video' && argv.length > 1 && !(await stat('video').then(() => true, () => false))) {
    const { runVideo } = await import('./video.js')
    return runVideo(argv.slice(1), io)
  }
  let args: ReturnType<typeof parse>
  try {
    args = parse(argv)
  } catch (error) {
    say(`mattekit: ${(error as Error).message}\nRun "mattekit --help" for usage.\n`)
    return 2
  }
  const { values, positionals } = args
  if (values.help) {
    io.stdout.write(HELP)
    return 0
  }
  if (values.version) {
    io.stdout.write(`${VERSION}\n`)
    return 0
  }
  const kind = (values.output ?? 'alpha') as OutputKind
  const problems: string[] = []
  if (positionals.length === 0) problems.push('no input given')
  if (!values['output-path']) problems.push('no output given (-o <path>)')
  let source: ReturnType<typeof modelSourceFromFlags>
  try {
    source = modelSourceFromFlags(values)
    if (values.model !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(values.model)) {
      problems.push('--model takes a local file; for a URL use --model-url <url> --model-sha256 <hex>')
    } else if (values.model !== undefined && (source !== undefined || values['cache-dir'] !== undefined || values.mirror !== undefined)) {
      problems.push('--model (a local file) goes without --variant, --model-url, --model-sha256, --cache-dir and --mirror')
    }
  } catch (error) {
    if (!isUsageError(error)) throw error
    problems.push(error.message)
  }
  if (!OUTPUT_KINDS.includes(kind)) problems.push(`--output must be one of ${OUTPUT_KINDS.join(', ')}`)
  if (values.background !== undefined && kind !== 'composite') problems.push('--background goes with --output composite')
  const threads = values.threads === undefined ? undefined : Number(values.threads)
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) problems.push('--threads needs a whole number')
  const maxPixels = values['max-pixels'] === undefined ? undefined : Number(values['max-pixels'])
  if (maxPixels !== undefined && !(Number.isSafeInteger(maxPixels) && maxPixels >= 1)) problems.push('--max-pixels needs a whole number of pixels')
  const sessionsFlag = parseSessions(values.sessions)
  if (sessionsFlag === null) problems.push('--sessions needs a whole number from 1 to 64, latency or throughput')
  const concurrencyFlag = values.concurrency === undefined ? undefined : Number(values.concurrency)
  if (concurrencyFlag !== undefined && !(Number.isInteger(concurrencyFlag) && concurrencyFlag >= 1 && concurrencyFlag <= 64)) {
    problems.push('--concurrency needs a whole number from 1 to 64')
  }
  const foreground = (values.foreground ?? 'observed') as 'observed' | 'estimate'
  if (foreground !== 'observed' && foreground !== 'estimate') problems.push('--foreground must be observed or estimate')
  if (values.foreground !== undefined && kind === 'alpha') problems.push('--foreground goes with --output cutout or composite')
  if (problems.length) {
    const hint = positionals[0] === 'models' ? ' (for the model cache: mattekit models fetch|list|verify|clear)' : ''
    say(`mattekit: ${problems.join('; ')}\nRun "mattekit --help" for usage${hint}.\n`)
    return 2
  }
  const outputPath = values['output-path']!

  let jobs: Job[]
  try {
    jobs = await planJobs(positionals, outputPath)
  } catch (error) {
    if (error instanceof UsageError) {
      say(`mattekit: ${error.message}\n`)
      return 2
    }
    throw error
  }

  // Refuse outputs that are inputs (or resolve onto one), and duplicate outputs.
  const inputPaths = new Set(await mapLimit(jobs, 64, (j) => canonical(j.input)))
  const seen = new Set<string>()
  const preflight = new Map<Job, MatteError>()
  for (const job of jobs) {
    const out = await canonical(job.output)
    if (inputPaths.has(out)) {
      preflight.set(job, new MatteError('OUTPUT', `refusing to overwrite the input ${job.input}; choose another -o`))
    } else if (seen.has(out)) {
      preflight.set(job, new MatteError('OUTPUT', `another input also writes ${job.output}; rename one of them`))
    }
    seen.add(out)
  }
  if (jobs.length > 1 || (await isDirectory(outputPath)) || outputPath.endsWith('/')) {
    await mkdir(outputPath, { recursive: true })
  }

  const t0 = performance.now()
  // Every image is decoded and encoded once: libvips' operation cache (up to 50 MB and 100
  // operations by default) only holds memory in a long batch. This is the CLI's own process.
  if (jobs.length > 1) sharp.cache(false)
  // The CLI uses sharp only to decode (JPEG, PNG and WebP readers are sequential), where libvips'
  // second worker thread has nothing to do but hand-offs: one thread decodes a 512x512 JPEG 0.3-0.4
  // ms faster and a 1080p one 0.6-1 ms faster (60 alternating decodes each, docs/performance.md).
  // Images still decode in parallel with one another, each on its own thread.
  sharp.concurrency(1)
  // Several images: sessions that never wait on each other (more images per second); one image:
  // one session with every core (the soonest result).
  const sessions = sessionsFlag ?? (jobs.length > 1 ? 'throughput' : 'latency')
  const sessionCount = typeof sessions === 'number' ? sessions : defaultPoolSize(availableParallelism(), sessions)
  const concurrency = concurrencyFlag ?? sessionCount + 1
  const matter = await loadMatter(values, source, { threads, sessions }, io, maxPixels)
  if (typeof matter === 'number') return matter

  const temps = new Set<string>()
  // Per-image reports are kept only for --json (which prints them all); otherwise counters only,
  // so memory stays flat however many images there are.
  const reports: (JobReport | undefined)[] = values.json ? new Array<JobReport | undefined>(jobs.length) : []
  const tally = { done: 0, failed: 0, skipped: 0 }
  let finished = 0
  const bar = io.stderr.isTTY && !values.json && jobs.length > 1 ? new ProgressBar(io.stderr, jobs.length) : undefined
  const runJob = async (job: Job): Promise<JobReport> => {
    const report: JobReport = { input: job.input, output: job.output, ok: false }
    try {
      const pre = preflight.get(job)
      if (pre) throw pre
      if (values['skip-existing'] && (await stat(job.output).then((s) => s.isFile() && s.size > 0, () => false))) {
        return { ...report, ok: true, skipped: true }
      }
      const result = await matter.matte(job.input, { signal: io.signal })
      const png = await renderOutput(result, kind, values.background ?? 'blur', { foreground })
      await writeFileAtomic(job.output, png, temps)
      return { ...report, ok: true, width: result.matte.width, height: result.matte.height, modelSize: result.modelSize, timings: result.timings }
    } catch (error) {
      const code = isMatteError(error) ? error.code : 'INTERNAL'
      const message = (error as Error).message
      bar?.clear()
      if (!(code === 'ABORTED' && io.signal?.aborted)) say(`mattekit: ${job.input}: ${code}: ${message}\n`)
      return { ...report, error: { code, message } }
    }
  }
  // A bounded pipeline: `concurrency` lanes pull the next job; only that many images are in memory.
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < jobs.length && !io.signal?.aborted) {
      const i = next++
      bar?.update(finished, basename(jobs[i]!.input))
      const report = await runJob(jobs[i]!)
      if (!(io.signal?.aborted && report.error?.code === 'ABORTED')) {
        tally.done++
        if (!report.ok) tally.failed++
        if (report.skipped) tally.skipped++
      }
      if (values.json) reports[i] = report
      finished++
      bar?.update(finished, basename(jobs[i]!.input))
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane))
  } finally {
    bar?.done()
    await Promise.all([...temps].map((t) => unlink(t).catch(() => undefined)))
    await matter.dispose()
  }
  const interrupted = io.signal?.aborted ?? false
  const { failed, skipped } = tally
  if (values.json) {
    const done = reports.filter((r): r is JobReport => r !== undefined && !(interrupted && r.error?.code === 'ABORTED'))
    const summary = {
      ok: done.length - failed - skipped,
      failed,
      skipped,
      notRun: jobs.length - done.length,
      interrupted,
      totalMs: Math.round(performance.now() - t0),
      results: done,
    }
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  } else if (jobs.length > 1) {
    say(
      `mattekit: ${tally.done - failed - skipped} of ${jobs.length} images matted` +
        `${skipped ? `, ${skipped} skipped (output exists)` : ''}${failed ? `, ${failed} failed` : ''}\n`,
    )
  }
  if (interrupted) return 130
  return failed > 0 ? 1 : 0
}

type CliValues = ReturnType<typeof parse>['values']

/**
 * Parses `--sessions`: a whole number from 1 to 64, `latency` or `throughput`; undefined when the
 * flag is absent, null when it is malformed.
 */
export function parseSessions(value: string | undefined): number | SessionLayout | undefined | null {
  if (value === undefined) return undefined
  if (value === 'latency' || value === 'throughput') return value
  const n = Number(value)
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : null
}

/**
 * Loads the model the flags name (a local file, or the cached official/custom model, downloaded
 * with a progress bar when needed). Returns the Matter, or the exit status after printing why not.
 */
export async function loadMatter(
  values: Pick<CliValues, 'model' | keyof typeof MODEL_FLAGS>,
  source: ReturnType<typeof modelSourceFromFlags>,
  layout: { readonly threads: number | undefined; readonly sessions: number | SessionLayout },
  io: CliIo,
  maxPixels?: number,
): Promise<NodeMatter | number> {
  const label = source && 'url' in source ? source.url : `MODNet ${source?.variant ?? 'fp32'}`
  const reporter = downloadReporter(io.stderr, { tty: Boolean(io.stderr.isTTY), label })
  try {
    return await createMatter({
      ...(values.model !== undefined ? { model: values.model } : { model: source, ...cacheOptionsFromFlags(values), onProgress: reporter.onProgress }),
      session: { intraOpNumThreads: layout.threads },
      sessions: layout.sessions,
      ...(maxPixels === undefined ? {} : { maxPixels }),
      signal: io.signal,
    })
  } catch (error) {
    reporter.clear()
    if (io.signal?.aborted) {
      io.stderr.write('mattekit: interrupted\n')
      return 130
    }
    const code = isMatteError(error) ? error.code : 'MODEL_LOAD'
    io.stderr.write(`mattekit: ${code}: ${(error as Error).message}\n`)
    return 1
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...MATTE_FLAGS,
      concurrency: { type: 'string' },
      'skip-existing': { type: 'boolean' },
      'max-pixels': { type: 'string' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}

/** This package's version, read from its package.json (from src/cli/ or from dist/). */
export const VERSION = ((): string => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === '@mattekit/node' && pkg.version) return pkg.version
    } catch {
      // try the next location
    }
  }
  return 'unknown'
})()
