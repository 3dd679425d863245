/**
 * Post-processing: the model's float alpha to the 8-bit matte of the input's size (MODNET.md
 * section 2, steps 6 and 7).
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { Size } from '../image.js'
import { resizeArea } from '../resample/area.js'

/**
 * Quantises the model's alpha to 8 bits the way the official script does
 * (`(alpha * 255).astype('uint8')`): truncation, not rounding (0.999 gives 254), clamped to
 * [0, 255]; NaN gives 0.
 *
 * @param alpha - alpha values, nominally in [0, 1] (the model's output plane)
 * @param out - where to write the levels (same length as `alpha`); allocated when omitted
 * @returns `out`, or a new array, holding one level per value
 * @throws {@link MatteError} `INVALID_INPUT` when `out` has a different length than `alpha`
 *
 * @example
 * ```ts
 * import { quantizeAlpha } from '@mattekit/core'
 *
 * const { data } = await session.run({ data: tensor, dims: [1, 3, 512, 896] })
 * const matte8 = quantizeAlpha(data) // trunc(alpha * 255), as MODNet's official script
 * ```
 */
export function quantizeAlpha(alpha: Float32Array, out?: Uint8Array): Uint8Array {
  const n = alpha.length
  if (out !== undefined && out.length !== n) {
    throw new MatteError('INVALID_INPUT', `The output has ${out.length} values, but the alpha has ${n}.`)
  }
  const dst = out ?? new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const v = alpha[i]! * 255
    // A Uint8Array store truncates towards zero; `v > 0` is false for NaN.
    dst[i] = v >= 255 ? 255 : v > 0 ? v : 0
  }
  return dst
}

/**
 * Resizes the 8-bit matte from the model's size back to the image's size with OpenCV's
 * `cv::resize(INTER_AREA)` on one-channel 8-bit data, bit for bit (OpenCV's rounding, saturation
 * and fixed-point enlarging). Tables are cached per size pair and rows are processed in place, so
 * 896x512 to 1920x1080 or 672x512 to 4000x3000 take a few milliseconds.
 *
 * @param matte - the quantised matte, `from.width * from.height` levels, rows top to bottom
 * @param from - the matte's size (the model input size)
 * @param to - the wanted size (the oriented input image's size)
 * @param out - where to write the result (`to.width * to.height` levels); allocated when omitted
 * @returns `out`, or a new array, holding the resized matte
 * @throws {@link MatteError} `INVALID_INPUT` for a bad size or array length
 *
 * @example
 * ```ts
 * import { quantizeAlpha, resizeMatte } from '@mattekit/core'
 *
 * // The model's 896x512 matte back to the 1920x1080 photo, with OpenCV's INTER_AREA on uint8:
 * const full = resizeMatte(quantizeAlpha(alpha), { width: 896, height: 512 }, { width: 1920, height: 1080 })
 * ```
 */
export function resizeMatte(matte: Uint8Array, from: Size, to: Size, out?: Uint8Array): Uint8Array {
  if (!(matte instanceof Uint8Array)) throw new MatteError('INVALID_INPUT', 'The matte must be a Uint8Array.')
  return resizeArea(matte, from, to, 1, out)
}
