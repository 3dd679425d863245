/**
 * `decodeImage` on the calling thread: the decoder `matte()` uses, for callers who want the
 * pixels themselves (and for image backgrounds).
 */
import type { RgbImage } from '@mattekit/core'
import { decodePayload } from './decode.js'
import { prepareInput } from './input.js'
import { checkMaxPixels } from './max-pixels.js'
import { type PixelReader, createPixelReader } from './pixels.js'
import type { WebImageInput } from './types.js'

/** Options of {@link decodeImage}. */
export interface WebDecodeOptions {
  /**
   * Largest image accepted, in pixels.
   * @defaultValue 100 000 000
   */
  readonly maxPixels?: number
  /** Cancels the decode. */
  readonly signal?: AbortSignal
}

let shared: PixelReader | undefined

/**
 * Decodes any browser input into 8-bit RGB exactly as `matte()` does (EXIF orientation applied,
 * alpha dropped with the colour under it kept, no colour management), on the calling thread.
 *
 * @param input - any {@link WebImageInput}
 * @param options - pixel limit and cancellation
 * @returns the oriented RGB image
 * @throws {@link MatteError} `INVALID_INPUT`, `UNSUPPORTED_FORMAT`, `CORRUPT_IMAGE`,
 *   `IMAGE_TOO_LARGE`, `UNSUPPORTED_ENVIRONMENT` (no WebGL2), `INVALID_OPTION`, `ABORTED`
 * @example
 * ```ts
 * const image = await decodeImage(fileInput.files[0])
 * console.log(image.width, image.height, image.data.length) // W, H, W * H * 3
 * ```
 */
export async function decodeImage(input: WebImageInput, options: WebDecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = checkMaxPixels(options.maxPixels)
  const prepared = await prepareInput(input, false, false)
  shared ??= createPixelReader()
  return decodePayload(prepared.payload, { maxPixels, signal: options.signal, reader: shared })
}
