/**
 * The official MODNet size rule (MODNET.md section 2, step 3): which model input size an image of
 * a given size is resampled to.
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { Size } from '../image.js'

/** The reference size of the official ONNX script (`ref_size = 512`). */
export const MODNET_REF_SIZE = 512

/** Model input sides must be multiples of this (the detail branch halves the image five times). */
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
