/**
 * Post-processing: the model's float alpha to the 8-bit matte of the input's size (MODNET.md
 * section 2, steps 6 and 7).
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { Size } from '../image.js'
import { RowCache, declaredName, hlineU8, linearFillU8, linearKernelU8, resizeArea, resizePlan, type LinearAxis } from '../resample/area.js'
import { wasmKernels, wasmKernelsSource } from '../wasm/kernels.js'

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
  if (!wasmKernels()?.quantize(alpha, dst)) quantizeInto(alpha, dst)
  return dst
}

/** {@link quantizeAlpha}'s loop. */
function quantizeInto(alpha: Float32Array, dst: Uint8Array): void {
  for (let i = 0; i < alpha.length; i++) {
    const v = alpha[i]! * 255
    // A Uint8Array store truncates towards zero; `v > 0` is false for NaN.
    dst[i] = v >= 255 ? 255 : v > 0 ? v : 0
  }
}

/**
 * The source of a function body that returns `(alpha: Float32Array) => Uint8Array`, which
 * quantises as {@link quantizeAlpha} does into a new array. Build it in a worker with
 * `new Function('__name', QUANTIZE_KERNEL)((f) => f)`: `@mattekit/node`'s inference worker
 * quantises the alpha where it lies and sends a quarter of the bytes back.
 *
 * @example
 * ```ts
 * import { QUANTIZE_KERNEL } from '@mattekit/core'
 *
 * const quantize = new Function('__name', QUANTIZE_KERNEL)((f: unknown) => f) as (alpha: Float32Array) => Uint8Array
 * postMessage(quantize(alpha)) // trunc(alpha * 255), as quantizeAlpha
 * ```
 */
export const QUANTIZE_KERNEL: string = [
  String(quantizeInto),
  wasmKernelsSource('wasm'),
  `return function (alpha) { const q = new Uint8Array(alpha.length); if (!wasm || !wasm.quantize(alpha, q)) ${declaredName(quantizeInto)}(alpha, q); return q }`,
].join('\n')

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

/**
 * A share of {@link resizeMatte}'s work for another thread: destination rows `rowStart` to
 * `rowEnd - 1` of an enlarging resize, computed from the whole (small) quantised matte by
 * {@link MATTE_RESIZE_KERNEL}. Plain data, so it can be posted to a worker. Used by
 * `@mattekit/node` to share post-processing with its idle inference thread.
 */
export interface MatteSlice {
  /** The quantised matte at the model's size. */
  readonly matte: Uint8Array
  /** Its width. */
  readonly sw: number
  /** Its height. */
  readonly sh: number
  /** Destination width. */
  readonly dw: number
  /** Destination height. */
  readonly dh: number
  /** First destination row of the slice. */
  readonly rowStart: number
  /** One past the last destination row of the slice. */
  readonly rowEnd: number
  /** Horizontal resampling table. */
  readonly x: LinearAxis
  /** Vertical resampling table. */
  readonly y: LinearAxis
}

/**
 * {@link resizeMatte}, with part of the work offered to another thread: when the resize enlarges
 * to at least `minPixels` pixels, the bottom `share` of the destination rows is described as a
 * {@link MatteSlice} and passed to `handOff` first; if `handOff` accepts it (returns true), only the
 * other rows are written to `out` here, and the caller must copy the slice's rows (computed by
 * {@link MATTE_RESIZE_KERNEL}) into `out` from row `rowStart` on. Otherwise the whole matte is
 * resized here. The rows are bit-identical to {@link resizeMatte}'s either way.
 *
 * @param matte - the quantised matte, `from.width * from.height` levels
 * @param from - the matte's size (the model input size)
 * @param to - the wanted size
 * @param out - where to write, `to.width * to.height` levels
 * @param handOff - offered the slice; returns whether another thread computes it
 * @param share - the fraction of rows to offer, in (0, 1)
 * @param minPixels - the least destination pixels for which a split pays off
 * @returns the slice handed off, or `undefined` when `out` holds the whole matte
 * @throws {@link MatteError} `INVALID_INPUT` as {@link resizeMatte}
 *
 * @example
 * ```ts
 * import { resizeMatteShared } from '@mattekit/core'
 *
 * const out = new Uint8Array(1920 * 1080)
 * const slice = resizeMatteShared(matte8, { width: 896, height: 512 }, { width: 1920, height: 1080 }, out, (s) => helper.offer(s))
 * if (slice) out.set(await helper.rows(), slice.rowStart * slice.dw) // the helper's rows, computed meanwhile
 * ```
 */
export function resizeMatteShared(
  matte: Uint8Array,
  from: Size,
  to: Size,
  out: Uint8Array,
  handOff: (slice: MatteSlice) => boolean,
  share = 0.5,
  minPixels = 1_000_000,
): MatteSlice | undefined {
  const ok = matte instanceof Uint8Array && out instanceof Uint8Array && matte.length === from.width * from.height && out.length === to.width * to.height
  const plan = ok ? resizePlan(from, to) : undefined
  if (plan?.mode !== 'linear' || to.width * to.height < minPixels) {
    resizeMatte(matte, from, to, out)
    return undefined
  }
  const { width: dw, height: dh } = to
  const rowStart = Math.min(dh - 1, Math.max(1, Math.round(dh * (1 - share))))
  const slice: MatteSlice = { matte, sw: from.width, sh: from.height, dw, dh, rowStart, rowEnd: dh, x: plan.x, y: plan.y }
  const accepted = handOff(slice)
  linearFillU8(matte, from.width, from.height, 1, plan.x, plan.y, out, dw, dh, 0, accepted ? rowStart : dh)
  return accepted ? slice : undefined
}

/**
 * The source of a function body that returns `(slice: MatteSlice) => Uint8Array`: the slice's
 * rows (`(rowEnd - rowStart) * dw` levels) exactly as {@link resizeMatte} computes them. Build it
 * in a worker with `new Function('__name', MATTE_RESIZE_KERNEL)((f) => f)`; it is the same code the
 * main thread runs, shipped as text.
 *
 * @example
 * ```ts
 * // inside a worker thread that received a MatteSlice from resizeMatteShared:
 * import { MATTE_RESIZE_KERNEL } from '@mattekit/core'
 *
 * const rowsOf = new Function('__name', MATTE_RESIZE_KERNEL)((f: unknown) => f) as (slice: MatteSlice) => Uint8Array
 * postMessage(rowsOf(slice))
 * ```
 */
export const MATTE_RESIZE_KERNEL: string = [
  // Bundlers may emit the class as an anonymous `var RowCache = class {...}`: bind it under the
  // name the kernel's own source uses for it.
  `const ${/new ([\w$]+)\(/.exec(String(linearKernelU8))![1]!} = ${String(RowCache)}`,
  String(hlineU8),
  String(linearKernelU8),
  wasmKernelsSource('wasm'),
  `return function (s) { const rows = new Uint8Array((s.rowEnd - s.rowStart) * s.dw); ` +
    `if (!wasm || !wasm.linearU8(s.matte, s.sw, s.sh, s.x, s.y, rows, s.dw, s.rowStart, s.rowEnd, s.rowStart)) ` +
    `${declaredName(linearKernelU8)}(s.matte, s.sw, s.sh, 1, s.x, s.y, rows, s.dw, s.dh, s.rowStart, s.rowEnd, s.rowStart); return rows }`,
].join('\n')
