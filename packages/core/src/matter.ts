/**
 * The platform-neutral matting pipeline. Adapters supply decoding, a model session and a clock;
 * core does everything else: the official size rule, OpenCV-exact resampling and normalisation,
 * inference, quantisation and the resize back (MODNET.md section 2).
 */
import { MatteError } from './errors.js'
import type { Matte, RgbImage, Size } from './image.js'
import { quantizeAlpha, resizeMatte } from './postprocess/alpha.js'
import { checkLongSide, liveModelSize, modelInputSize } from './preprocess/size.js'
import { toModelTensor } from './preprocess/tensor.js'
import type { ModelSession } from './session.js'
import { type AbortSignalLike, raceAbort, throwIfAborted } from './signal.js'

/** Options of one {@link Matter.matte} call. */
export interface MatteOptions {
  /** Cancels the call: it rejects with a `MatteError` whose code is `ABORTED`. */
  readonly signal?: AbortSignalLike
  /**
   * The model input size: `'official'` (MODNet's size rule, near 512) or a number, the longer side
   * of a smaller input for speed ({@link liveModelSize}: aspect kept, multiples of 32). Used by
   * live video.
   * @defaultValue `'official'`
   */
  readonly modelSize?: number | 'official'
  /**
   * `'input'` resizes the matte back to the input's size (INTER_AREA, as the official script);
   * `'model'` returns it at the model's size (live video upsamples it on the GPU instead).
   * @defaultValue `'input'`
   */
  readonly matteSize?: 'input' | 'model'
}

/** Milliseconds spent in each stage of one {@link Matter.matte} call. */
export interface MatteTimings {
  /** Reading and decoding the input into RGB pixels. */
  readonly decode: number
  /** Size rule, INTER_AREA resampling and normalisation into the input tensor. */
  readonly preprocess: number
  /** The model run, and the quantisation of its alpha (`trunc(alpha * 255)`), which the Node worker does. */
  readonly inference: number
  /** The INTER_AREA resize of the quantised matte back to the input size. */
  readonly postprocess: number
  /** The whole call. */
  readonly total: number
}

/** What {@link Matter.matte} returns. */
export interface MatteResult {
  /** The 8-bit matte at the size of the (EXIF-oriented) input, as MODNet's official script writes it. */
  readonly matte: Matte
  /** The decoded input pixels the matte belongs to (for cut-outs and composites). */
  readonly image: RgbImage
  /** The size the model ran at (the official rule: near 512, multiples of 32). */
  readonly modelSize: Size
  /** Per-stage timings in milliseconds. */
  readonly timings: MatteTimings
}

/**
 * A loaded MODNet model ready to matte images. Create one with `createMatter` from
 * `@mattekit/node` or `@mattekit/web`, reuse it for many images, and dispose it when done.
 *
 * Concurrent {@link Matter.matte} calls are safe.
 *
 * @typeParam TInput - the input types the platform accepts (file paths, encoded bytes, pixels...)
 */
export interface Matter<TInput> {
  /**
   * Computes the alpha matte of one image.
   *
   * @param input - the image
   * @param options - per-call options such as an AbortSignal
   * @returns the 8-bit matte with the decoded image, the model input size and timings
   * @throws {@link MatteError} with codes such as `INVALID_INPUT`, `CORRUPT_IMAGE`, `IMAGE_TOO_SMALL`,
   *   `IMAGE_TOO_LARGE`, `INFERENCE`, `ABORTED`, `DISPOSED`
   */
  matte(input: TInput, options?: MatteOptions): Promise<MatteResult>
  /** Releases the model session. Idempotent; calls in flight reject with `DISPOSED`. */
  dispose(): Promise<void>
  /** Same as {@link Matter.dispose}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
  /** Whether {@link Matter.dispose} was called. */
  readonly disposed: boolean
}

/** What an adapter provides to {@link createMatterCore}. */
export interface MatterPlatform<TInput> {
  /** The loaded model. The Matter owns it from now on and disposes it. */
  readonly session: ModelSession
  /**
   * Decodes an input into 8-bit RGB exactly as `cv2.imread(IMREAD_COLOR)` + BGR to RGB would.
   * Must reject with a {@link MatteError}.
   */
  decode(input: TInput, options: { readonly signal?: AbortSignalLike }): Promise<RgbImage>
  /** A monotonic clock in milliseconds (e.g. `performance.now`). */
  now(): number
  /**
   * Optional: fills the model tensor in the platform's own way, e.g. sharing the work with an idle
   * thread. It must give exactly what `toModelTensor(image, size, out)` gives by the time
   * `session.run` reads the tensor (the Node adapter's worker completes its share before the run).
   * @defaultValue `toModelTensor`
   */
  readonly fillTensor?: (image: RgbImage, size: Size, out: Float32Array) => Float32Array
  /**
   * Optional: resizes the quantised matte back to the image's size in the platform's own way, e.g.
   * sharing the rows with an idle thread. It must give exactly what `resizeMatte(matte, from, to)`
   * gives.
   * @defaultValue `resizeMatte`
   */
  readonly resizeMatte?: (matte: Uint8Array, from: Size, to: Size) => Uint8Array | Promise<Uint8Array>
}

/**
 * Keeps the last few input tensors, of any size, so that steady-state calls allocate none (a fresh
 * 5.5 MB tensor for 896x512 costs about 2 ms in page faults). Bounded in count, not per size: a
 * batch of photos of many shapes holds at most {@link TensorPool.MAX} tensors.
 */
class TensorPool {
  static readonly MAX = 4
  private free: Float32Array[] = []

  constructor(private readonly allocate: (length: number) => Float32Array = (n) => new Float32Array(n)) {}

  take(size: Size): Float32Array {
    const n = 3 * size.width * size.height
    const i = this.free.findIndex((t) => t.length === n)
    return i < 0 ? this.allocate(n) : this.free.splice(i, 1)[0]!
  }

  give(tensor: Float32Array): void {
    if (tensor.length === 0) return // detached: a session took it by transfer and did not hand it back
    this.free.push(tensor)
    if (this.free.length > TensorPool.MAX) this.free.shift()
  }

  clear(): void {
    this.free = []
  }
}

const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose)

/**
 * Builds a {@link Matter} from platform services. Adapters call this; applications call the
 * adapter's `createMatter`.
 *
 * @param platform - decoding, the model session and a clock
 * @returns the Matter, which owns `platform.session`
 *
 * @example
 * ```ts
 * import { createMatterCore, type ModelSession, type RgbImage } from '@mattekit/core'
 *
 * // A custom adapter: your own decoder and session, core's exact pipeline.
 * const matter = createMatterCore<RgbImage>({
 *   session: mySession,                       // a ModelSession: run(tensor) -> alpha tensor
 *   decode: async (image) => image,           // inputs are already RGB here
 *   now: () => performance.now(),
 * })
 * const { matte } = await matter.matte({ data: rgb, width: 640, height: 480 })
 * ```
 */
export function createMatterCore<TInput>(platform: MatterPlatform<TInput>): Matter<TInput> {
  const { session, decode, now } = platform
  const pool = new TensorPool(session.createInput ? (n) => session.createInput!(n) : undefined)
  const inflight = new Set<Promise<unknown>>()
  let disposed = false
  let disposing: Promise<void> | undefined

  const disposedError = (): MatteError =>
    new MatteError('DISPOSED', 'This Matter was disposed; create a new one with createMatter().')

  const check = (signal: AbortSignalLike | undefined): void => {
    if (disposed) throw disposedError()
    throwIfAborted(signal)
  }

  // Runs the model and returns the quantised alpha (the session may quantise it itself).
  const infer = async (tensor: Float32Array, size: Size, signal: AbortSignalLike | undefined): Promise<Uint8Array> => {
    const raw = session.run({ data: tensor, dims: [1, 3, size.height, size.width] }, { signal, levels: true })
    const run = raw.then(
      (out) => {
        const expected = size.width * size.height
        const got = out.levels?.length ?? out.data.length
        if (got !== expected) {
          throw new MatteError(
            'INFERENCE',
            `The model returned ${got} values for a ${size.width}x${size.height} input; ` +
              `expected ${expected}. Is this a MODNet model ([N,1,H,W] output)?`,
          )
        }
        return out.levels ?? quantizeAlpha(out.data)
      },
      (error: unknown) => {
        if (error instanceof MatteError) throw error
        throw new MatteError('INFERENCE', `The model failed to run: ${String((error as Error)?.message ?? error)}`, {
          cause: error,
        })
      },
    )
    // The tensor goes back to the pool only once the runtime is done reading it, even when the
    // caller stopped waiting (abort) or the output is refused; dispose() waits for the same
    // promise. A session that moved the tensor (a transfer to a worker) may hand it back.
    const settled = raw.then(
      (out) => pool.give(out.input ?? tensor),
      () => pool.give(tensor),
    )
    inflight.add(settled)
    void settled.finally(() => inflight.delete(settled))
    return raceAbort(run, signal)
  }

  const matter: Matter<TInput> = {
    get disposed() {
      return disposed
    },

    async matte(input: TInput, options: MatteOptions = {}): Promise<MatteResult> {
      if (options === null || typeof options !== 'object') {
        throw new MatteError('INVALID_OPTION', 'matte() options must be an object such as { signal }.')
      }
      const { signal } = options
      if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
        throw new MatteError('INVALID_OPTION', 'options.signal must be an AbortSignal.')
      }
      const { modelSize: sizeOption = 'official', matteSize = 'input' } = options
      if (sizeOption !== 'official') checkLongSide(sizeOption)
      if (matteSize !== 'input' && matteSize !== 'model') {
        throw new MatteError('INVALID_OPTION', `options.matteSize must be 'input' or 'model', got ${String(matteSize)}.`)
      }
      check(signal)
      const t0 = now()
      const image = await decode(input, { signal })
      check(signal)
      const t1 = now()

      const modelSize =
        sizeOption === 'official' ? modelInputSize(image.width, image.height) : liveModelSize(image.width, image.height, sizeOption)
      const tensor = (platform.fillTensor ?? toModelTensor)(image, modelSize, pool.take(modelSize))
      const t2 = now()

      const quantised = await infer(tensor, modelSize, signal)
      check(signal)
      const t3 = now()

      const atModel = matteSize === 'model' || (modelSize.width === image.width && modelSize.height === image.height)
      const data = atModel ? quantised : await (platform.resizeMatte ?? resizeMatte)(quantised, modelSize, image)
      const t4 = now()

      return {
        matte: atModel ? { data, ...modelSize } : { data, width: image.width, height: image.height },
        image,
        modelSize,
        timings: { decode: t1 - t0, preprocess: t2 - t1, inference: t3 - t2, postprocess: t4 - t3, total: t4 - t0 },
      }
    },

    dispose(): Promise<void> {
      if (!disposing) {
        disposed = true
        disposing = (async () => {
          // Let the runtime finish the runs it started before releasing it.
          await Promise.allSettled([...inflight])
          pool.clear()
          await session.dispose()
        })()
      }
      return disposing
    },

    [asyncDispose](): Promise<void> {
      return matter.dispose()
    },
  }
  return matter
}
