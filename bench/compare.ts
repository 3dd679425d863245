/**
 * The measured comparison behind the README (issues #4 and #12): MatteKit, transformers.js'
 * MODNet pipeline and bare onnxruntime-node, on the same stand-in model, in one process.
 *
 * 1. Fidelity to the official pipeline: every fixture of fixtures/reference/e2e.json (what
 *    MODNet's official ONNX script gives with this model, made with OpenCV) matted by MatteKit and
 *    by transformers.js; max difference in levels, share of pixels off by more than 1 level, and
 *    whether the matte is within 1/255 everywhere. Inputs transformers.js throws on are listed with
 *    the error message. On every fixture, the documented `background-removal` pipeline is run too:
 *    its alpha must be the `image-segmentation` mask measured here; where it throws, the message is kept.
 * 2. Model input sizes: the MODNET.md §2 table, as each library chooses them (transformers.js:
 *    the shape of the tensor its processor makes; the fixtures and the speed images also log the
 *    shape actually fed to the model).
 * 3. Speed, file -> 8-bit alpha PNG on disk, at 512x512 and 1920x1080 (JPEGs made from
 *    fixtures/astronaut.png): bare `session.run` on a ready tensor at the same model input,
 *    MatteKit as bench/node.ts measures it, transformers.js' pipeline call + the mask written as
 *    `mask.save()` writes it (sharp, PNG defaults) but kept to one channel (save() writes RGB).
 *    Rounds are interleaved (bare, MatteKit, transformers.js, repeat) after warm-up rounds, in
 *    several passes; medians, p90, fastest rounds and ratios to bare per pass, with the load average
 *    (the machine is shared: only ratios measured in one pass mean anything).
 *
 * transformers.js loads the stand-in from a local model folder built at run time (no network):
 * `<tmp>/models/Xenova/modnet/{config.json, preprocessor_config.json, onnx/model.onnx}`, with the
 * configuration files exactly as Xenova/modnet publishes them (see {@link XENOVA_MODNET_PREPROCESSOR}).
 *
 * Run: `npx tsx --conditions=@mattekit/source bench/compare.ts`. Writes bench/results/compare.json.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { env as tjsEnv, pipeline, RawImage } from '@huggingface/transformers'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { isMatteError, modelInputSize } from '../packages/core/src/index.js'
import { createMatter, encodePng, type NodeMatter } from '../packages/node/src/index.js'
import { benchPhoto } from './photo.js'
import { median, round, settle } from './stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
const TJS_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8')) as { version: string }
).version

/**
 * Xenova/modnet's `preprocessor_config.json`, as published (365 bytes when written with
 * `JSON.stringify(config, null, 2)`, the size Hugging Face lists for the file; the Hub's history
 * shows no change to it after February 2024). transformers.js reads it as: rescale
 * by 1/255, normalise with mean 0.5 / std 0.5 (so [-1, 1]), resize (bilinear, resample 2) so the
 * shortest edge is 512 with no cap on the longest, then floor both sides to a multiple of 32.
 */
export const XENOVA_MODNET_PREPROCESSOR = {
  do_normalize: true,
  do_pad: false,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  feature_extractor_type: 'ImageFeatureExtractor',
  image_std: [0.5, 0.5, 0.5],
  resample: 2,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 512 },
  size_divisibility: 32,
} as const

/** Xenova/modnet's `config.json`, as published (83 bytes with `JSON.stringify(config, null, 2)`). */
export const XENOVA_MODNET_CONFIG = {
  model_type: 'modnet',
  'transformers.js_config': { dtype: 'fp32' },
} as const

/** The MODNET.md §2 size table: input sizes whose model input each library picks. */
const SIZE_TABLE: ReadonlyArray<readonly [number, number]> = [
  [512, 512],
  [500, 500],
  [513, 513],
  [1, 1],
  [31, 17],
  [600, 400],
  [640, 480],
  [512, 600],
  [700, 300],
  [1280, 720],
  [1920, 1080],
  [3840, 2160],
  [1080, 1920],
  [4000, 3000],
  [33, 4000],
  [20, 600],
]
/** Above this many model-input pixels the size table asks the processor's size function only (no 100 MB+ tensors). */
const SIZE_TABLE_RUN_LIMIT = 8_000_000

/** Options of {@link runCompareBench}; every field has a default. */
export interface CompareBenchOptions {
  /** Timed rounds per speed case and pass (each round runs all three paths once). @defaultValue 12 at 512x512, 10 at 1920x1080 */
  readonly rounds?: {
    readonly '512x512'?: number
    readonly '1920x1080'?: number
  }
  /** Untimed warm-up rounds before the timed ones, per case and pass. @defaultValue 2 */
  readonly warmup?: number
  /** Speed passes (the whole interleaved measurement, repeated). @defaultValue 2 */
  readonly passes?: number
  /** Write bench/results/compare.json. @defaultValue true */
  readonly write?: boolean
  /** Where progress and the tables go. @defaultValue console.log */
  readonly log?: (line: string) => void
}

interface Reference {
  reference: string
  width: number
  height: number
  modelWidth: number
  modelHeight: number
}

/** How one matte compares with the official one. */
interface Agreement {
  /** Largest absolute difference, in levels (0..255). */
  maxDiff: number
  /** Mean absolute difference, in levels. */
  mae: number
  /** Share of pixels off by more than 1 level, in percent. */
  over1Pct: number
  /** Pixels identical to the official matte, in percent. */
  exactPct: number
  /** Max difference <= 1 level. */
  within1: boolean
}

type Outcome =
  | ({ ok: true; modelInput: string; size: string } & Agreement)
  /** `threw`: the call rejected; `wrong-size`: it returned a matte of another size than the official one. */
  | {
      ok: false
      failure: 'threw' | 'wrong-size'
      modelInput?: string
      size?: string
      error: string
    }

interface FidelityRow {
  input: string
  size: string
  officialModelInput: string
  mattekit: Outcome
  transformers: Outcome
  /**
   * The documented `background-removal` pipeline on the same file: `same` when its alpha channel
   * equals image-segmentation's mask pixel for pixel, `different`, or the error it throws.
   */
  backgroundRemoval: 'same' | 'different' | 'no mask to compare' | { error: string }
}

interface PathStats {
  medianMs: number
  p90Ms: number
  /** Fastest round: the least disturbed by other load. */
  minMs: number
  /** Median over the bare run's median. */
  ratioToBare: number
  /** Fastest round over the bare run's fastest round. */
  minRatioToBare: number
  /**
   * Median CPU time of the process (all threads: onnxruntime's, workers', libuv's) per round: less
   * sensitive than wall time to other processes on a shared machine.
   */
  cpuMs: number
  /** Median CPU time over the bare run's. */
  cpuRatioToBare: number
  modelInput: string
}

interface SpeedRow {
  input: string
  rounds: number
  bare: PathStats
  mattekit: PathStats & { stagesMs: Record<string, number> }
  transformers: PathStats & { inferenceMs: number; outsideInferenceMs: number }
  /** What each path wrote, read back: size, channels, bit depth. */
  outputs: { mattekit: string; transformers: string }
  /**
   * The two PNGs compared with each other (MatteKit's matte stands in for the official one here:
   * there is no OpenCV reference at these sizes, and MatteKit matches it on every fixture);
   * null when their sizes differ.
   */
  transformersVsMattekit: Agreement | null
}

function p90(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]!
}

function agreement(actual: ArrayLike<number>, expected: ArrayLike<number>): Agreement {
  let max = 0
  let sum = 0
  let over1 = 0
  let exact = 0
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!)
    sum += d
    if (d > max) max = d
    if (d > 1) over1++
    if (d === 0) exact++
  }
  const n = expected.length
  return {
    maxDiff: max,
    mae: round(sum / n, 4),
    over1Pct: round((100 * over1) / n, 3),
    exactPct: round((100 * exact) / n, 2),
    within1: max <= 1,
  }
}

const message = (error: unknown): string =>
  isMatteError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)

/** The parts of transformers.js' pipelines this benchmark uses. */
interface SegmentationOutput {
  mask: RawImage
}
interface TjsProcessor {
  (image: RawImage): Promise<{ pixel_values: { dims: number[] } }>
  image_processor: {
    get_resize_output_image_size(image: RawImage, size: unknown): [number, number]
    size: unknown
  }
}
interface TjsPipeline {
  (input: string): Promise<unknown>
  processor: TjsProcessor
  model: {
    sessions: Record<string, { run: (...args: unknown[]) => Promise<unknown> }>
  }
  dispose(): Promise<void>
}

/**
 * Wraps a pipeline's onnxruntime session so that the shape of every tensor it feeds the model and
 * the time of every model run are recorded.
 */
function spyOnSession(p: TjsPipeline): {
  last: () => number[] | undefined
  inferenceMs: () => number
  reset: () => void
} {
  const session = p.model.sessions['model']
  if (!session) throw new Error('transformers.js pipeline has no "model" session')
  const run = session.run.bind(session)
  let dims: number[] | undefined
  let ms = 0
  session.run = async (...args: unknown[]) => {
    const feeds = args[0] as Record<string, { dims: readonly number[] }>
    dims = [...Object.values(feeds)[0]!.dims]
    const t = performance.now()
    try {
      return await run(...args)
    } finally {
      ms += performance.now() - t
    }
  }
  return {
    last: () => dims,
    inferenceMs: () => ms,
    reset: () => {
      dims = undefined
      ms = 0
    },
  }
}

/** `[1, 3, H, W]` -> `"WxH"`. */
const dimsToSize = (dims: readonly number[] | undefined): string => (dims ? `${dims[3]}x${dims[2]}` : '?')

async function loadReference(path: string, c: Reference): Promise<Buffer> {
  const ref = await sharp(join(ROOT, path)).extractChannel(0).raw().toBuffer()
  if (ref.length !== c.width * c.height) throw new Error(`${path}: ${ref.length} pixels, expected ${c.width}x${c.height}`)
  return ref
}

/**
 * Runs the comparison (fidelity, model input sizes, speed) and returns the report that it also
 * writes to bench/results/compare.json.
 *
 * @param options - rounds, passes, output; all optional
 * @returns the report (dates, machine, the transformers.js configuration used, every figure)
 */
export async function runCompareBench(options: CompareBenchOptions = {}): Promise<object> {
  const log = options.log ?? ((line: string) => console.log(line))
  const warmup = options.warmup ?? 2
  const passes = options.passes ?? 2
  const started = performance.now()
  const loadAverageAtStart = loadavg().map((v) => round(v, 2))

  const meta = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'reference', 'e2e.json'), 'utf8')) as {
    modelSha256: string
    opencv: string
    cases: Record<string, Reference>
  }
  const sha = createHash('sha256').update(readFileSync(MODEL)).digest('hex')
  if (sha !== meta.modelSha256) {
    const [have, want] = [sha.slice(0, 12), meta.modelSha256.slice(0, 12)]
    throw new Error(`The stand-in model (${have}) is not the one fixtures/reference was made with (${want}): run npm run models`)
  }

  // The local model folder transformers.js loads (no network).
  const tmp = mkdtempSync(join(tmpdir(), 'mattekit-compare-'))
  const modelDir = join(tmp, 'models', 'Xenova', 'modnet')
  mkdirSync(join(modelDir, 'onnx'), { recursive: true })
  writeFileSync(join(modelDir, 'config.json'), JSON.stringify(XENOVA_MODNET_CONFIG, null, 2))
  writeFileSync(join(modelDir, 'preprocessor_config.json'), JSON.stringify(XENOVA_MODNET_PREPROCESSOR, null, 2))
  symlinkSync(MODEL, join(modelDir, 'onnx', 'model.onnx'))
  tjsEnv.allowRemoteModels = false
  tjsEnv.allowLocalModels = true
  tjsEnv.localModelPath = join(tmp, 'models')
  tjsEnv.useFSCache = false

  let matter: NodeMatter | undefined
  let bare: ort.InferenceSession | undefined
  let segmenter: TjsPipeline | undefined
  let remover: TjsPipeline | undefined
  try {
    matter = await createMatter({ model: MODEL })
    bare = await ort.InferenceSession.create(MODEL, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    })
    segmenter = (await pipeline('image-segmentation', 'Xenova/modnet', {
      dtype: 'fp32',
    })) as unknown as TjsPipeline
    remover = (await pipeline('background-removal', 'Xenova/modnet', {
      dtype: 'fp32',
    })) as unknown as TjsPipeline
    const segSpy = spyOnSession(segmenter)

    // 1. Fidelity.
    log(`fidelity against the official pipeline (${Object.keys(meta.cases).length} fixtures, OpenCV ${meta.opencv})`)
    const fidelity: FidelityRow[] = []
    for (const [input, c] of Object.entries(meta.cases)) {
      const ref = await loadReference(c.reference, c)
      const file = join(ROOT, input)
      const size = `${c.width}x${c.height}`
      let mk: Outcome
      try {
        const r = await matter.matte(file)
        const out = `${r.matte.width}x${r.matte.height}`
        mk =
          out === size
            ? {
                ok: true,
                modelInput: `${r.modelSize.width}x${r.modelSize.height}`,
                size: out,
                ...agreement(r.matte.data, ref),
              }
            : {
                ok: false,
                failure: 'wrong-size',
                size: out,
                error: `matte is ${out}, the official one ${size}`,
              }
      } catch (error) {
        mk = { ok: false, failure: 'threw', error: message(error) }
      }
      let tj: Outcome
      let mask: RawImage | undefined
      segSpy.reset()
      try {
        const [first] = (await segmenter(file)) as SegmentationOutput[]
        mask = first!.mask
        const out = `${mask.width}x${mask.height}`
        tj =
          out === size && mask.channels === 1
            ? {
                ok: true,
                modelInput: dimsToSize(segSpy.last()),
                size: out,
                ...agreement(mask.data, ref),
              }
            : {
                ok: false,
                failure: 'wrong-size',
                modelInput: dimsToSize(segSpy.last()),
                size: out,
                error: `mask is ${out} with ${mask.channels} channel(s), the official matte ${size} with 1`,
              }
      } catch (error) {
        tj = {
          ok: false,
          failure: 'threw',
          ...(segSpy.last() ? { modelInput: dimsToSize(segSpy.last()) } : {}),
          error: message(error),
        }
      }
      // The pipeline transformers.js documents for MODNet (background-removal) is image-segmentation
      // plus putAlpha: check that its alpha is this very mask.
      let removal: FidelityRow['backgroundRemoval']
      try {
        const rgba = (await remover(file)) as RawImage
        if (!mask) {
          removal = 'no mask to compare'
        } else {
          let same = rgba.channels === 4 && rgba.width === mask.width && rgba.height === mask.height
          for (let i = 0; same && i < mask.data.length; i++) same = rgba.data[4 * i + 3] === mask.data[i]
          removal = same ? 'same' : 'different'
        }
      } catch (error) {
        removal = { error: message(error) }
      }
      const row: FidelityRow = {
        input,
        size,
        officialModelInput: `${c.modelWidth}x${c.modelHeight}`,
        mattekit: mk,
        transformers: tj,
        backgroundRemoval: removal,
      }
      fidelity.push(row)
      const show = (o: Outcome): string =>
        o.ok
          ? `max ${String(o.maxDiff).padStart(3)} >1: ${o.over1Pct.toFixed(2).padStart(6)}% via ${o.modelInput}`
          : `${o.failure === 'threw' ? 'THROWS' : 'WRONG SIZE'}: ${o.error}`
      const removalNote =
        typeof removal === 'object'
          ? `  (background-removal THROWS: ${removal.error})`
          : removal === 'different'
          ? '  (background-removal alpha differs)'
          : ''
      log(`  ${input.padEnd(46)} ${size.padStart(9)}  MatteKit ${show(mk)}  |  transformers.js ${show(tj)}${removalNote}`)
    }
    const M = fidelity.length
    const tjMiss = fidelity.filter((r) => !r.transformers.ok || !r.transformers.within1)
    const failures = (pick: (r: FidelityRow) => Outcome, kind: 'threw' | 'wrong-size') =>
      fidelity.flatMap((r) => {
        const o = pick(r)
        return !o.ok && o.failure === kind ? [{ input: r.input, error: o.error }] : []
      })
    const tjThrows = failures((r) => r.transformers, 'threw')
    const tjWrongSize = failures((r) => r.transformers, 'wrong-size')
    const mkMiss = fidelity.filter((r) => !r.mattekit.ok || !r.mattekit.within1)
    const tjOffSize = fidelity.filter((r) => r.transformers.modelInput && r.transformers.modelInput !== r.officialModelInput).length
    const summary = {
      images: M,
      transformersMisses: tjMiss.length,
      transformersThrows: tjThrows.length,
      transformersWrongSize: tjWrongSize.length,
      transformersMaxDiffOver1AmongSameSize: tjMiss.length - tjThrows.length - tjWrongSize.length,
      transformersOtherModelInput: tjOffSize,
      mattekitMisses: mkMiss.length,
      sentence:
        `transformers.js misses the official matte by more than 1/255 on ${tjMiss.length} of ${M} images ` +
        `(${tjThrows.length} throw, ${tjWrongSize.length} returns a matte of another size); MatteKit on ${mkMiss.length} of ${M}.`,
      throws: tjThrows,
      wrongSize: tjWrongSize,
      mattekitFailures: [...failures((r) => r.mattekit, 'threw'), ...failures((r) => r.mattekit, 'wrong-size')],
      backgroundRemoval: {
        sameAlphaAsMask: `${fidelity.filter((r) => r.backgroundRemoval === 'same').length} of ${M}`,
        differentAlpha: fidelity.filter((r) => r.backgroundRemoval === 'different').map((r) => r.input),
        throws: fidelity.flatMap((r) =>
          typeof r.backgroundRemoval === 'object' ? [{ input: r.input, error: r.backgroundRemoval.error }] : [],
        ),
      },
    }
    log(summary.sentence)
    log(
      `background-removal (the pipeline Xenova/modnet's card documents): alpha = the image-segmentation mask on ${summary.backgroundRemoval.sameAlphaAsMask}; ` +
        `throws on ${summary.backgroundRemoval.throws.length}`,
    )
    await remover.dispose()
    remover = undefined

    // 2. Model input sizes (MODNET.md §2 table).
    const sizes = []
    for (const [w, h] of SIZE_TABLE) {
      let official: string
      try {
        const s = modelInputSize(w, h)
        official = `${s.width}x${s.height}`
      } catch (error) {
        official = `error (${isMatteError(error) ? error.code : message(error)})`
      }
      const image = new RawImage(new Uint8ClampedArray(w * h * 3).fill(128), w, h, 3)
      const [pw, ph] = segmenter.processor.image_processor.get_resize_output_image_size(image, segmenter.processor.image_processor.size)
      let transformers: string
      let how: 'processor' | 'size function'
      if (pw * ph <= SIZE_TABLE_RUN_LIMIT) {
        transformers = dimsToSize((await segmenter.processor(image)).pixel_values.dims)
        how = 'processor'
      } else {
        transformers = `${pw}x${ph}`
        how = 'size function'
      }
      sizes.push({
        input: `${w}x${h}`,
        mattekit: official,
        transformers,
        transformersFrom: how,
      })
    }
    log('\nmodel input per input size (MODNET.md §2):')
    for (const s of sizes)
      log(
        `  ${s.input.padStart(9)}  MatteKit ${s.mattekit.padEnd(12)} transformers.js ${s.transformers}${
          s.transformersFrom === 'processor' ? '' : ' (size function)'
        }`,
      )

    const fidelityDone = performance.now()

    // 3. Speed.
    const cases = [
      {
        name: '512x512',
        width: 512,
        height: 512,
        rounds: options.rounds?.['512x512'] ?? 12,
      },
      {
        name: '1920x1080',
        width: 1920,
        height: 1080,
        rounds: options.rounds?.['1920x1080'] ?? 10,
      },
    ] as const
    const prepared = []
    for (const c of cases) {
      prepared.push({ ...c, ...(await benchPhoto(ROOT, tmp, c.name, c.width, c.height, matter)) })
    }
    const speedPasses: Array<{ loadAverage: number[]; rows: SpeedRow[] }> = []
    for (let pass = 0; pass < passes; pass++) {
      const rows: SpeedRow[] = []
      for (const c of prepared) {
        const outMk = join(tmp, `${c.name}.mattekit.png`)
        const outTj = join(tmp, `${c.name}.transformers.png`)
        const ms = {
          bare: [] as number[],
          mattekit: [] as number[],
          transformers: [] as number[],
          tjInference: [] as number[],
        }
        const cpu = {
          bare: [] as number[],
          mattekit: [] as number[],
          transformers: [] as number[],
        }
        const cpuMs = (since: NodeJS.CpuUsage): number => {
          const u = process.cpuUsage(since)
          return (u.user + u.system) / 1000
        }
        const stages: Record<string, number[]> = {
          decode: [],
          preprocess: [],
          inference: [],
          postprocess: [],
          encode: [],
          write: [],
        }
        let tjModelInput = '?'
        for (let i = -warmup; i < c.rounds; i++) {
          await settle()
          let u = process.cpuUsage()
          let t = performance.now()
          await bare.run({ input: c.tensor })
          const bareMs = performance.now() - t
          const bareCpu = cpuMs(u)

          await settle()
          u = process.cpuUsage()
          t = performance.now()
          const result = await matter.matte(c.file)
          const t1 = performance.now()
          const png = await encodePng(result.matte)
          const t2 = performance.now()
          await writeFile(outMk, png)
          const t3 = performance.now()
          const mkCpu = cpuMs(u)

          segSpy.reset()
          await settle()
          u = process.cpuUsage()
          const t4 = performance.now()
          const [first] = (await segmenter(c.file)) as SegmentationOutput[]
          // mask.save() would widen the 1-channel mask to an RGB PNG: keep it one channel, with
          // save()'s own encoder settings (sharp's PNG defaults).
          await first!.mask.toSharp().toColourspace('b-w').png().toFile(outTj)
          const tjMs = performance.now() - t4
          const tjCpu = cpuMs(u)
          tjModelInput = dimsToSize(segSpy.last())

          if (i < 0) continue
          ms.bare.push(bareMs)
          ms.mattekit.push(t3 - t)
          ms.transformers.push(tjMs)
          ms.tjInference.push(segSpy.inferenceMs())
          cpu.bare.push(bareCpu)
          cpu.mattekit.push(mkCpu)
          cpu.transformers.push(tjCpu)
          for (const k of ['decode', 'preprocess', 'inference', 'postprocess'] as const) stages[k]!.push(result.timings[k])
          stages.encode!.push(t2 - t1)
          stages.write!.push(t3 - t2)
        }
        const bareMedian = median(ms.bare)
        const bareMin = Math.min(...ms.bare)
        const bareCpuMedian = median(cpu.bare)
        const stat = (path: 'bare' | 'mattekit' | 'transformers', modelInput: string): PathStats => {
          const v = ms[path]
          return {
            medianMs: round(median(v)),
            p90Ms: round(p90(v)),
            minMs: round(Math.min(...v)),
            ratioToBare: round(median(v) / bareMedian, 3),
            minRatioToBare: round(Math.min(...v) / bareMin, 3),
            cpuMs: round(median(cpu[path])),
            cpuRatioToBare: round(median(cpu[path]) / bareCpuMedian, 3),
            modelInput,
          }
        }
        const tjInference = median(ms.tjInference)
        const describe = async (path: string): Promise<string> => {
          const m = await sharp(path).metadata()
          return `${m.format} ${m.width}x${m.height}, ${m.channels} channel(s), ${m.depth}`
        }
        const [mkPixels, tjPixels] = await Promise.all([outMk, outTj].map((f) => sharp(f).extractChannel(0).raw().toBuffer()))
        rows.push({
          input: `${c.name} JPEG`,
          transformersVsMattekit: mkPixels!.length === tjPixels!.length ? agreement(tjPixels!, mkPixels!) : null,
          outputs: {
            mattekit: await describe(outMk),
            transformers: await describe(outTj),
          },
          rounds: c.rounds,
          bare: stat('bare', c.modelInput),
          mattekit: {
            ...stat('mattekit', c.modelInput),
            stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(median(v))])),
          },
          transformers: {
            ...stat('transformers', tjModelInput),
            inferenceMs: round(tjInference),
            outsideInferenceMs: round(median(ms.transformers.map((v, i) => v - ms.tjInference[i]!))),
          },
        })
      }
      const load = loadavg().map((v) => round(v, 2))
      speedPasses.push({ loadAverage: load, rows })
      log(
        `\nspeed, pass ${pass + 1} of ${passes}: file -> 8-bit alpha PNG on disk, wall-clock medians (p90) in ms, interleaved rounds; ` +
          `ratios to bare: medians (fastest rounds; median CPU time); load average ${load.join(' ')}`,
      )
      log(
        '| input | model input | bare run | MatteKit | ratio (fastest; CPU) | transformers.js | ratio (fastest; CPU) | t.js model input | t.js outside inference |',
      )
      log('|---|---|---|---|---|---|---|---|---|')
      for (const r of rows) {
        log(
          `| ${r.input} | ${r.bare.modelInput} | ${r.bare.medianMs} (${r.bare.p90Ms}) | ${r.mattekit.medianMs} (${r.mattekit.p90Ms}) | ` +
            `${r.mattekit.ratioToBare}x (${r.mattekit.minRatioToBare}x; ${r.mattekit.cpuRatioToBare}x) | ${r.transformers.medianMs} (${r.transformers.p90Ms}) | ` +
            `${r.transformers.ratioToBare}x (${r.transformers.minRatioToBare}x; ${r.transformers.cpuRatioToBare}x) | ${r.transformers.modelInput} | ${r.transformers.outsideInferenceMs} |`,
        )
      }
      for (const r of rows) {
        const a = r.transformersVsMattekit
        log(
          `transformers.js' PNG vs MatteKit's, ${r.input}: ${
            a ? `max ${a.maxDiff} levels, ${a.over1Pct}% of pixels off by more than 1` : 'sizes differ'
          }`,
        )
      }
    }

    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        ortNode: ort.env.versions.node,
      },
      model: 'stand-in (MODNet architecture, models/stand-in/model.onnx)',
      modelSha256: sha,
      versions: {
        transformers: TJS_VERSION,
        onnxruntimeNode: ort.env.versions.node,
        opencvReference: meta.opencv,
      },
      transformersSetup: {
        pipeline:
          "pipeline('image-segmentation', 'Xenova/modnet', { dtype: 'fp32' }) (its mask is the alpha); background-removal checked to give the same alpha",
        env: {
          allowRemoteModels: false,
          allowLocalModels: true,
          localModelPath: '<tmp>/models',
          useFSCache: false,
        },
        files: {
          'Xenova/modnet/config.json': XENOVA_MODNET_CONFIG,
          'Xenova/modnet/preprocessor_config.json': XENOVA_MODNET_PREPROCESSOR,
          'Xenova/modnet/onnx/model.onnx': 'symlink to models/stand-in/model.onnx',
        },
        speedPath:
          "segmenter(file), then mask.toSharp().toColourspace('b-w').png().toFile(out): what mask.save() does (sharp, PNG defaults) but kept to one channel (save() writes an RGB PNG)",
      },
      mattekitSetup: {
        matter: 'createMatter({ model })',
        speedPath: 'matter.matte(file), encodePng(matte), writeFile (as bench/node.ts)',
      },
      bareSetup: "ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' }); session.run on a ready tensor at the model input",
      fidelity: { summary, rows: fidelity },
      modelInputSizes: sizes,
      speed: {
        warmupRounds: warmup,
        loadAverageAtStart,
        loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
        passes: speedPasses,
      },
      durationS: round((performance.now() - started) / 1000),
      sectionsS: {
        setupAndFidelityAndSizes: round((fidelityDone - started) / 1000),
        speed: round((performance.now() - fidelityDone) / 1000),
      },
    }
    if (options.write ?? true) {
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
      writeFileSync(join(ROOT, 'bench', 'results', 'compare.json'), JSON.stringify(report, null, 2) + '\n')
      log('\nwrote bench/results/compare.json')
    }
    log(`done in ${report.durationS} s`)
    return report
  } finally {
    await remover?.dispose().catch(() => undefined)
    await segmenter?.dispose().catch(() => undefined)
    await bare?.release().catch(() => undefined)
    await matter?.dispose()
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runCompareBench()
}
