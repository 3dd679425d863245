/**
 * The official MODNet size rule (MODNET.md section 2, step 3): which model input size an image of
 * a given size is resampled to.
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { Size } from '../image.js'

/**
 * The reference size of the official ONNX script (`ref_size = 512`).
 *
 * @example
 * ```ts
 * import { MODNET_REF_SIZE, modelInputSize } from '@mattekit/core'
 *
 * modelInputSize(1920, 1080)                  // { width: 896, height: 512 }: the short side goes to MODNET_REF_SIZE
 * modelInputSize(1920, 1080, MODNET_REF_SIZE) // the same
 * ```
 */
export const MODNET_REF_SIZE = 512

/**
 * Model input sides must be multiples of this (the detail branch halves the image five times).
 *
 * @example
 * ```ts
 * import { MODNET_SIZE_MULTIPLE } from '@mattekit/core'
 *
 * // MODNet's encoder downsamples 5 times: both model sides must be multiples of 32.
 * const ok = (w: number, h: number) => w % MODNET_SIZE_MULTIPLE === 0 && h % MODNET_SIZE_MULTIPLE === 0
 * ```
 */
export const MODNET_SIZE_MULTIPLE = 32

function checkDimension(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new MatteError(
      'INVALID_INPUT',
      `The image ${name} must be a positive whole number of pixels, got ${String(value)}.`,
    )
  }
}

/**
 * The model input size for an image, exactly as MODNet's official `inference_onnx.py` computes it.
 *
 * When the image is entirely smaller than `ref` (`max(H, W) < ref`) or entirely larger
 * (`min(H, W) > ref`), the shorter side becomes `ref` and the longer one
 * `trunc(long / short * ref)` (double-precision division, then the product, truncated);
 * otherwise (`min <= ref <= max`) the size is kept. Each side is then rounded down to a multiple
 * of 32, independently.
 *
 * @example
 * ```ts
 * modelInputSize(1920, 1080) // { width: 896, height: 512 }
 * modelInputSize(600, 400) // { width: 576, height: 384 }
 * ```
 *
 * @param width - the (oriented) image width in pixels
 * @param height - the (oriented) image height in pixels
 * @param ref - the reference size; 512 for the published MODNet models
 * @returns the model input size; both sides are positive multiples of 32
 * @throws {@link MatteError} `INVALID_INPUT` when a side is not a positive safe integer;
 *   `INVALID_OPTION` when `ref` is not a positive safe integer; `IMAGE_TOO_SMALL` when a side
 *   rounds down to 0 (for example 20x600, which the official script crashes on)
 */
export function modelInputSize(width: number, height: number, ref: number = MODNET_REF_SIZE): Size {
  checkDimension('width', width)
  checkDimension('height', height)
  if (typeof ref !== 'number' || !Number.isSafeInteger(ref) || ref <= 0) {
    throw new MatteError('INVALID_OPTION', `The reference size must be a positive whole number, got ${String(ref)}.`)
  }

  let rw: number
  let rh: number
  const rescaled = Math.max(width, height) < ref || Math.min(width, height) > ref
  if (rescaled) {
    if (width >= height) {
      rh = ref
      rw = Math.trunc((width / height) * ref)
    } else {
      rw = ref
      rh = Math.trunc((height / width) * ref)
    }
  } else {
    rw = width
    rh = height
  }
  rw -= rw % MODNET_SIZE_MULTIPLE
  rh -= rh % MODNET_SIZE_MULTIPLE

  if (rw === 0 || rh === 0) {
    if (rescaled) {
      throw new MatteError(
        'IMAGE_TOO_SMALL',
        `The reference size ${ref} is below ${MODNET_SIZE_MULTIPLE}: the size rule rounds the ` +
          `${width}x${height} image down to ${rw}x${rh}. Use a reference size of at least ${MODNET_SIZE_MULTIPLE}.`,
      )
    }
    const side = rw === 0 ? 'width' : 'height'
    const value = rw === 0 ? width : height
    throw new MatteError(
      'IMAGE_TOO_SMALL',
      `The image is ${width}x${height} pixels, too thin for MODNet: its size rule keeps this size ` +
        `(one side is at least ${ref}) and rounds the ${side} (${value}) down to a multiple of ` +
        `${MODNET_SIZE_MULTIPLE}, which is 0. Pad or crop the image so that its shorter side is at least ` +
        `${MODNET_SIZE_MULTIPLE} pixels.`,
    )
  }
  return { width: rw, height: rh }
}

/**
 * The model input size for live video: the frame scaled so that its longer side is `longSide`
 * (aspect ratio kept, the shorter side truncated), then each side rounded down to a multiple of
 * 32 as MODNet requires (at least 32). Smaller than the official rule's ~512 for speed: the matte
 * is computed at this size and upsampled to the frame.
 *
 * @example
 * ```ts
 * liveModelSize(640, 480, 256) // { width: 256, height: 192 }
 * liveModelSize(1280, 720, 256) // { width: 256, height: 128 }
 * liveModelSize(720, 1280, 384) // { width: 192, height: 384 }
 * ```
 *
 * @param width - the frame width in pixels
 * @param height - the frame height in pixels
 * @param longSide - the longer side of the model input, before rounding; at least 32
 * @returns the model input size; both sides are positive multiples of 32
 * @throws {@link MatteError} `INVALID_INPUT` when a side is not a positive safe integer;
 *   `INVALID_OPTION` when `longSide` is not a whole number from 32 to 4096
 */
export function liveModelSize(width: number, height: number, longSide: number): Size {
  checkDimension('width', width)
  checkDimension('height', height)
  checkLongSide(longSide)
  const long = Math.max(width, height)
  const short = Math.min(width, height)
  const a = longSide - (longSide % MODNET_SIZE_MULTIPLE)
  const t = Math.trunc((short / long) * longSide)
  const b = Math.max(MODNET_SIZE_MULTIPLE, t - (t % MODNET_SIZE_MULTIPLE))
  return width >= height ? { width: a, height: b } : { width: b, height: a }
}

/**
 * Checks a live model size (the longer side of the model input).
 *
 * @param longSide - the value to check
 * @throws {@link MatteError} `INVALID_OPTION` unless it is a whole number from 32 to 4096
 *
 * @example
 * ```ts
 * import { checkLongSide, liveModelSize } from '@mattekit/core'
 *
 * const longSide: unknown = settings.modelSize
 * checkLongSide(longSide)                 // throws INVALID_OPTION unless 32..4096
 * liveModelSize(1280, 720, longSide)      // { width: 256, height: 128 } for 256
 * ```
 */
export function checkLongSide(longSide: unknown): asserts longSide is number {
  if (typeof longSide !== 'number' || !Number.isInteger(longSide) || longSide < MODNET_SIZE_MULTIPLE || longSide > 4096) {
    throw new MatteError(
      'INVALID_OPTION',
      `The model size must be a whole number of pixels from ${MODNET_SIZE_MULTIPLE} to 4096 (the longer side of the model input), or 'official'; got ${String(longSide)}.`,
    )
  }
}
