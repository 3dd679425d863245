/**
 * `createMatter` for Node: core's pipeline bound to onnxruntime-node and sharp.
 */
import { performance } from 'node:perf_hooks'
import {
  type CustomModelSource,
  MatteError,
  type ModelProgressEvent,
  type ModelVariant,
  abortError,
  createMatterCore,
  isMatteError,
  throwIfAborted,
  type Matter,
  type ModelSession,
  type RgbImage,
} from '@mattekit/core'
import { decodeImage, fromRawPixels, type RawPixels } from './image-io.js'
import { ensureModel } from './model/models.js'
import { type NodeSessionOptions, createOrtSession } from './ort-session.js'
import { type WorkerModelSession, createOrtWorkerSession } from './ort-worker.js'
import { defaultPoolSize, poolSessions, type SessionLayout } from './session-pool.js'
import { availableParallelism } from 'node:os'

/**
 * What `matte()` accepts in Node:
 * - a file path (`string`);
 * - the bytes of an encoded image (`Uint8Array`, including `Buffer`): JPEG, PNG, WebP;
 * - raw pixels `{ data, width, height, channels }` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
 */
export type NodeImageInput = string | Uint8Array | RawPixels

/**
 * Which MODNet model {@link createMatter} loads:
 * - a path to an `.onnx` file, or its bytes (used as they are);
 * - `{ variant: 'fp32' | 'fp16' | 'uint8' }`: an official file, downloaded once into the cache,
 *   verified against its pinned SHA-256 (see `ensureModel`);
 * - `{ url, sha256, bytes? }`: your own model, delivered the same way. A URL without its hash is
 *   never trusted, so a plain URL string is refused.
 */
export type NodeModelOption = string | Uint8Array | { readonly variant: ModelVariant } | CustomModelSource

/** Options of {@link createMatter}. */
export interface NodeMatterOptions {
  /**
   * The MODNet ONNX model; see {@link NodeModelOption}.
   * @defaultValue `{ variant: 'fp32' }`: the official model, fetched once and cached
   */
  readonly model?: NodeModelOption
  /**
   * Where delivered models are cached.
   * @defaultValue `MATTEKIT_CACHE_DIR`, else the OS user cache (e.g. `~/.cache/mattekit/models`)
   */
  readonly cacheDir?: string
  /**
   * Never download: use the cached model or fail with `MODEL_NOT_CACHED`.
   * @defaultValue `MATTEKIT_OFFLINE`, else false
   */
  readonly offline?: boolean
  /**
   * Base URL of a mirror of the official files (`<mirror>/onnx/model.onnx`).
   * @defaultValue `MATTEKIT_MODEL_MIRROR`, else the pinned Hugging Face revision
   */
  readonly mirror?: string
  /** Progress of a model download (download, retry, wait, verify, ready). */
  readonly onProgress?: (event: ModelProgressEvent) => void
  /** onnxruntime-node session options (threads, execution providers). */
  readonly session?: NodeSessionOptions
  /**
   * Where the model runs: `'worker'`, a worker thread, so inference never blocks the event loop
   * and the next image's decoding and preprocessing overlap it; or `'main'`, the calling thread
   * (onnxruntime-node's own behaviour: each run blocks the event loop for its whole duration).
   * @defaultValue `'worker'`
   */
  readonly inferenceThread?: 'worker' | 'main'
  /**
   * Sessions run side by side (each in its own worker thread, with its share of the cores): runs
   * go to the least busy one. A number, or a {@link SessionLayout}: `'latency'` (one session per
   * 4 cores: each call finishes soonest) or `'throughput'` (one single- or few-threaded session
   * per core, up to 4: more images per second when several calls are in flight, as in batches and
   * video files). With more than one session, each one's `intraOpNumThreads` defaults to
   * cores / sessions.
   * @defaultValue `'latency'` (1 session on machines with fewer than 8 cores)
   */
  readonly sessions?: number | SessionLayout
  /**
   * Whether the big resampling steps are shared with the inference worker when that worker is
   * idle: the preprocessing of a large image (more than a megapixel, reduced to the model's size)
   * and the resize of its matte back to its size (more than a megapixel). The main thread computes
   * the top half of the rows while the worker computes the bottom half, bit for bit the same.
   * Applies to `inferenceThread: 'worker'` with one session.
   * @defaultValue true
   */
  readonly sharePreprocessing?: boolean
  /**
   * Largest image accepted, in pixels; larger images fail with `IMAGE_TOO_LARGE` before any big
   * allocation (protects servers from decompression bombs).
   * @defaultValue 100 000 000 (e.g. 10000x10000)
   */
  readonly maxPixels?: number
  /** Cancels model delivery and loading (a download in progress stops and leaves no file). */
  readonly signal?: AbortSignal
}

/** A {@link Matter} that takes Node inputs. */
export type NodeMatter = Matter<NodeImageInput>

function isRawPixels(input: unknown): input is RawPixels {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'data' in input && 'width' in input
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i

/** Loads the model the options name: a path or bytes as given, anything else through delivery. */
/** Opens one session, or a pool of worker sessions that share the cores. */
async function openSessions(model: string | Uint8Array, options: NodeMatterOptions): Promise<ModelSession> {
  if (options.inferenceThread === 'main') return createOrtSession(model, options.session)
  const sessions = options.sessions ?? 'latency'
  const count = typeof sessions === 'number' ? sessions : defaultPoolSize(availableParallelism(), sessions)
  if (count === 1) return createOrtWorkerSession(model, options.session)
  const threads = options.session?.intraOpNumThreads || Math.max(1, Math.floor(availableParallelism() / count))
  const settled = await Promise.allSettled(
    Array.from({ length: count }, () => createOrtWorkerSession(model, { ...options.session, intraOpNumThreads: threads })),
  )
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  const opened = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  if (failed) {
    await Promise.all(opened.map((s) => s.dispose()))
    throw failed.reason
  }
  return poolSessions(opened)
}

async function loadSession(options: NodeMatterOptions): Promise<ModelSession> {
  const { model, signal } = options
  const open = (m: string | Uint8Array): Promise<ModelSession> => openSessions(m, options)
  if (typeof model === 'string' || model instanceof Uint8Array) return open(model)
  const deliver = (verify: 'size' | 'full') =>
    ensureModel(model, {
      cacheDir: options.cacheDir,
      offline: options.offline,
      mirror: options.mirror,
      onProgress: options.onProgress,
      signal,
      verify,
    })
  const delivered = await deliver('size')
  throwIfAborted(signal)
  try {
    return await open(delivered.path)
  } catch (error) {
    // A cached file of the right size that does not load: re-hash it; if it was corrupt, it was
    // removed and downloaded again, so try once more.
    if (!delivered.cached || !isMatteError(error, 'MODEL_LOAD')) throw error
    const again = await deliver('full')
    if (again.cached) throw error
    return open(again.path)
  }
}

/**
 * Loads MODNet into onnxruntime-node and returns a {@link NodeMatter}.
 *
 * With no `model`, the official fp32 MODNet is used: downloaded once from its pinned Hugging Face
 * revision, verified (size and SHA-256) and cached; later runs load it from the cache, offline.
 *
 * @param options - the model, its delivery, and runtime options
 * @returns a ready Matter; dispose it when done (or use `await using`)
 * @throws {@link MatteError} `MODEL_LOAD`, `MODEL_FETCH`, `MODEL_INTEGRITY`, `MODEL_NOT_CACHED`,
 *   `INVALID_OPTION`, `ABORTED`
 * @example
 * ```ts
 * import { createMatter, encodePng } from '@mattekit/node'
 * import { writeFile } from 'node:fs/promises'
 *
 * await using matter = await createMatter() // official fp32, fetched once, then cached
 * const { matte } = await matter.matte('portrait.jpg')
 * await writeFile('portrait-alpha.png', await encodePng(matte))
 * ```
 * @example
 * ```ts
 * await createMatter({ model: 'modnet.onnx' })                        // a local file
 * await createMatter({ model: { variant: 'uint8' }, offline: true })  // cached quantised model only
 * await createMatter({ model: { url: 'https://example.com/modnet.onnx', sha256: '…' } })
 * ```
 */
export async function createMatter(options: NodeMatterOptions = {}): Promise<NodeMatter> {
  if (options === null || typeof options !== 'object') {
    throw new MatteError('INVALID_OPTION', 'createMatter() takes an options object, e.g. { model: "modnet.onnx" }, or nothing.')
  }
  const { model, maxPixels, signal } = options
  if (typeof model === 'string' && URL_LIKE.test(model)) {
    throw new MatteError(
      'INVALID_OPTION',
      `options.model looks like a URL (${model}). Pass { url, sha256 } so the download can be verified; ` +
        'a model fetched without a pinned SHA-256 is never trusted.',
    )
  }
  const valid =
    model === undefined ||
    typeof model === 'string' ||
    model instanceof Uint8Array ||
    (typeof model === 'object' && model !== null && ('variant' in model || 'url' in model))
  if (!valid) {
    throw new MatteError(
      'INVALID_OPTION',
      'options.model must be a path to a MODNet .onnx file, its bytes, { variant }, or { url, sha256 }.',
    )
  }
  if (options.inferenceThread !== undefined && options.inferenceThread !== 'worker' && options.inferenceThread !== 'main') {
    throw new MatteError('INVALID_OPTION', `options.inferenceThread must be 'worker' or 'main', got ${String(options.inferenceThread)}.`)
  }
  const { sessions } = options
  if (sessions !== undefined && sessions !== 'latency' && sessions !== 'throughput' && !(Number.isInteger(sessions) && sessions >= 1 && sessions <= 64)) {
    throw new MatteError('INVALID_OPTION', `options.sessions must be a whole number from 1 to 64, 'latency' or 'throughput', got ${String(sessions)}.`)
  }
  if (maxPixels !== undefined && !(Number.isInteger(maxPixels) && maxPixels > 0)) {
    throw new MatteError('INVALID_OPTION', `options.maxPixels must be a positive integer, got ${String(maxPixels)}.`)
  }
  for (const name of ['intraOpNumThreads', 'interOpNumThreads'] as const) {
    // Checked here too, so that a bad option fails before a model download rather than after.
    const value = options.session?.[name]
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new MatteError('INVALID_OPTION', `session.${name} must be a non-negative integer (0 = default), got ${String(value)}.`)
    }
  }
  const spinning = options.session?.allowSpinning
  if (spinning !== undefined && typeof spinning !== 'boolean') {
    throw new MatteError('INVALID_OPTION', `session.allowSpinning must be true or false, got ${String(spinning)}.`)
  }
  if (options.sharePreprocessing !== undefined && typeof options.sharePreprocessing !== 'boolean') {
    throw new MatteError('INVALID_OPTION', `options.sharePreprocessing must be true or false, got ${String(options.sharePreprocessing)}.`)
  }
  throwIfAborted(signal)
  const session = await loadSession(options)
  if (signal?.aborted) {
    await session.dispose()
    throw abortError(signal)
  }
  const sharing = options.sharePreprocessing === false ? undefined : (session as Partial<WorkerModelSession>).fillTensor
  return createMatterCore<NodeImageInput>({
    session,
    now: () => performance.now(),
    // A single worker session takes half of a large image's preprocessing and of its matte's
    // resize back while it is idle.
    ...(sharing ? { fillTensor: sharing.bind(session), resizeMatte: (session as WorkerModelSession).resizeMatte.bind(session) } : {}),
    decode: async (input, { signal: callSignal }): Promise<RgbImage> => {
      if (typeof input === 'string' || input instanceof Uint8Array) {
        return decodeImage(input, { maxPixels, signal: callSignal as AbortSignal | undefined })
      }
      if (isRawPixels(input)) return fromRawPixels(input)
      throw new MatteError(
        'INVALID_INPUT',
        'matte() takes a file path, the bytes of an encoded image, or raw pixels { data, width, height, channels }.',
      )
    },
  })
}
