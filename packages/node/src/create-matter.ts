/**
 * `createMatter` for Node: core's pipeline bound to onnxruntime-node and sharp.
 */
import { performance } from 'node:perf_hooks'
import { MatteError, abortError, createMatterCore, throwIfAborted, type Matter, type RgbImage } from '@mattekit/core'
import { decodeImage, fromRawPixels, type RawPixels } from './image-io.js'
import { type NodeSessionOptions, createOrtSession } from './ort-session.js'

/**
 * What `matte()` accepts in Node:
 * - a file path (`string`);
 * - the bytes of an encoded image (`Uint8Array`, including `Buffer`): JPEG, PNG, WebP;
 * - raw pixels `{ data, width, height, channels }` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
 */
export type NodeImageInput = string | Uint8Array | RawPixels

/** Options of {@link createMatter}. */
export interface NodeMatterOptions {
  /**
   * The MODNet ONNX model: a path to the `.onnx` file, or its bytes.
   * (Downloading and caching the official weights by default arrives with model delivery.)
   */
  readonly model: string | Uint8Array
  /** onnxruntime-node session options (threads, execution providers). */
  readonly session?: NodeSessionOptions
  /**
   * Largest image accepted, in pixels; larger images fail with `IMAGE_TOO_LARGE` before any big
   * allocation (protects servers from decompression bombs).
   * @defaultValue 100 000 000 (e.g. 10000x10000)
   */
  readonly maxPixels?: number
  /** Cancels model loading. */
  readonly signal?: AbortSignal
}

/** A {@link Matter} that takes Node inputs. */
export type NodeMatter = Matter<NodeImageInput>

function isRawPixels(input: unknown): input is RawPixels {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'data' in input && 'width' in input
}

/**
 * Loads MODNet into onnxruntime-node and returns a {@link NodeMatter}.
 *
 * @param options - the model and runtime options
 * @returns a ready Matter; dispose it when done (or use `await using`)
 * @throws {@link MatteError} `MODEL_LOAD`, `INVALID_OPTION`, `ABORTED`
 * @example
 * ```ts
 * import { createMatter, encodePng } from '@mattekit/node'
 * import { writeFile } from 'node:fs/promises'
 *
 * await using matter = await createMatter({ model: 'modnet.onnx' })
 * const { matte } = await matter.matte('portrait.jpg')
 * await writeFile('portrait-alpha.png', await encodePng(matte))
 * ```
 */
export async function createMatter(options: NodeMatterOptions): Promise<NodeMatter> {
  if (options === null || typeof options !== 'object') {
    throw new MatteError('INVALID_OPTION', 'createMatter() needs an options object, e.g. { model: "modnet.onnx" }.')
  }
  const { model, maxPixels, signal } = options
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new MatteError('INVALID_OPTION', 'options.model must be a path to a MODNet .onnx file or its bytes.')
  }
  if (maxPixels !== undefined && !(Number.isInteger(maxPixels) && maxPixels > 0)) {
    throw new MatteError('INVALID_OPTION', `options.maxPixels must be a positive integer, got ${String(maxPixels)}.`)
  }
  throwIfAborted(signal)
  const session = await createOrtSession(model, options.session)
  if (signal?.aborted) {
    await session.dispose()
    throw abortError(signal)
  }
  return createMatterCore<NodeImageInput>({
    session,
    now: () => performance.now(),
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
