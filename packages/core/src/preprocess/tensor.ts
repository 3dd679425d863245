/**
 * The preprocessing hot path: 8-bit RGB image to MODNet's input tensor in one pass.
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { RgbImage, Size } from '../image.js'
import { RowCache, resizePlan, type AreaAxis, type LinearAxis } from '../resample/area.js'

/** `(v - 127.5) / 127.5` for every 8-bit value, in float64, as the official script computes it. */
const NORMALISED: Float64Array = (() => {
  const t = new Float64Array(256)
  for (let v = 0; v < 256; v++) t[v] = (v - 127.5) / 127.5
  return t
})()

/**
 * Converts an 8-bit RGB image into MODNet's input: planar NCHW float32 `[1, 3, h, w]`, RGB, values
 * in [-1, 1], resampled to `size`.
 *
 * It computes exactly what the official `inference_onnx.py` does (normalise each sample to
 * `(v - 127.5) / 127.5` in float64, `cv2.resize(fx = w / W, fy = h / H, INTER_AREA)` on that
 * float64 image, cast to float32, HWC to CHW), fused into one pass: the normalisation is a lookup
 * table, the resampling runs on float64 rows with OpenCV's tables and summation order (cached per
 * size pair), and results go straight into the planes. The output matches the official pipeline
 * bit for bit.
 *
 * @example
 * ```ts
 * const size = modelInputSize(image.width, image.height)
 * const input = toModelTensor(image, size) // Float32Array of 3 * size.width * size.height
 * ```
 *
 * @param image - interleaved 8-bit RGB pixels
 * @param size - the model input size, usually from `modelInputSize`
 * @param out - where to write the tensor (`3 * size.width * size.height` values); allocated when omitted
 * @returns `out`, or a new array, holding the R plane, then G, then B
 * @throws {@link MatteError} `INVALID_INPUT` when the image or size is malformed, or `out` has the wrong length
 */
export function toModelTensor(image: RgbImage, size: Size, out?: Float32Array): Float32Array {
  const { width: sw, height: sh, data } = image
  if (!(data instanceof Uint8Array)) throw new MatteError('INVALID_INPUT', 'The image data must be a Uint8Array of RGB samples.')
  const plan = resizePlan({ width: sw, height: sh }, size)
  if (data.length !== sw * sh * 3) {
    throw new MatteError('INVALID_INPUT', `The image data has ${data.length} bytes, but ${sw}x${sh} RGB needs ${sw * sh * 3}.`)
  }
  const dw = plan.to.width
  const dh = plan.to.height
  const n = 3 * dw * dh
  if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n)) {
    throw new MatteError('INVALID_INPUT', `The output tensor must be a Float32Array of ${n} values (3x${dh}x${dw}).`)
  }
  const dst = out ?? new Float32Array(n)
  switch (plan.mode) {
    case 'copy':
      copyPlanar(data, dst, dw * dh)
      break
    case 'fast':
      fastPlanar(data, sw, plan.scaleX, plan.scaleY, dst, dw, dh)
      break
    case 'area':
      areaPlanar(data, sw, plan.x, plan.y, dst, dw, dh)
      break
    case 'linear':
      linearPlanar(data, sw, sh, plan.x, plan.y, dst, dw, dh)
      break
  }
  return dst
}

function copyPlanar(src: Uint8Array, dst: Float32Array, plane: number): void {
  const N = NORMALISED
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    dst[i] = N[src[p]!]!
    dst[plane + i] = N[src[p + 1]!]!
    dst[2 * plane + i] = N[src[p + 2]!]!
  }
}

/** `resizeAreaFast_<double, double>`: block sums in OpenCV's order (unrolled by four), times float(1 / area). */
function fastPlanar(src: Uint8Array, sw: number, scaleX: number, scaleY: number, dst: Float32Array, dw: number, dh: number): void {
  const N = NORMALISED
  const plane = dw * dh
  const srcRow = sw * 3
  const area = scaleX * scaleY
  const scale = Math.fround(1 / area)
  const ofs = new Int32Array(area)
  for (let ky = 0, k = 0; ky < scaleY; ky++) for (let kx = 0; kx < scaleX; kx++) ofs[k++] = ky * srcRow + kx * 3
  const groups = area - (area % 4)
  if (scaleX === 2 && scaleY === 2) {
    // One group of four: ((a + b) + c) + d, then times 0.25.
    for (let dy = 0; dy < dh; dy++) {
      const rowBase = dy * 2 * srcRow
      const o = dy * dw
      for (let dx = 0, p = rowBase; dx < dw; dx++, p += 6) {
        const q = p + srcRow
        dst[o + dx] = (N[src[p]!]! + N[src[p + 3]!]! + N[src[q]!]! + N[src[q + 3]!]!) * scale
        dst[plane + o + dx] = (N[src[p + 1]!]! + N[src[p + 4]!]! + N[src[q + 1]!]! + N[src[q + 4]!]!) * scale
        dst[2 * plane + o + dx] = (N[src[p + 2]!]! + N[src[p + 5]!]! + N[src[q + 2]!]! + N[src[q + 5]!]!) * scale
      }
    }
    return
  }
  for (let dy = 0; dy < dh; dy++) {
    const rowBase = dy * scaleY * srcRow
    const o = dy * dw
    for (let dx = 0; dx < dw; dx++) {
      const p0 = rowBase + dx * scaleX * 3
      for (let c = 0; c < 3; c++) {
        const p = p0 + c
        let s = 0
        let k = 0
        for (; k < groups; k += 4) {
          s += N[src[p + ofs[k]!]!]! + N[src[p + ofs[k + 1]!]!]! + N[src[p + ofs[k + 2]!]!]! + N[src[p + ofs[k + 3]!]!]!
        }
        for (; k < area; k++) s += N[src[p + ofs[k]!]!]!
        dst[c * plane + o + dx] = s * scale
      }
    }
  }
}

/**
 * `resizeArea_<double, double>`, fused: each source row is resampled horizontally and added, with its
 * vertical weight, straight into the sums of the one or two output rows it feeds. The additions
 * happen in OpenCV's order (entries of an output row in table order), so the result is identical;
 * sums start at +0, and `0 + b * h === b * h` since `h` is never -0.
 */
function areaPlanar(src: Uint8Array, sw: number, x: AreaAxis, y: AreaAxis, dst: Float32Array, dw: number, dh: number): void {
  const N = NORMALISED
  const plane = dw * dh
  const srcRow = sw * 3
  const rowLen = dw * 3
  const sumEven = new Float64Array(rowLen)
  const sumOdd = new Float64Array(rowLen)
  const xs = x.start
  const xi = x.index
  const xw = x.weight
  const ys = y.start
  const yi = y.index
  const yw = y.weight
  const entries = ys[dh]!
  // `dy` is the first unfinished output row; entry j belongs to it.
  let dy = 0
  let j = 0
  while (j < entries) {
    const sumA = (dy & 1) === 0 ? sumEven : sumOdd
    if (j === ys[dy]!) sumA.fill(0)
    const sy = yi[j]!
    const betaA = yw[j]!
    const shared = j + 1 < entries && yi[j + 1]! === sy
    const base = sy * srcRow
    if (shared) {
      // A source row feeds at most two output rows (scale >= 1): the next entry is the first of row dy + 1.
      const betaB = yw[j + 1]!
      const sumB = (dy & 1) === 0 ? sumOdd : sumEven
      sumB.fill(0)
      for (let dx = 0, b = 0; dx < dw; dx++, b += 3) {
        const e0 = xs[dx]!
        const e1 = xs[dx + 1]!
        let r = 0
        let g = 0
        let bl = 0
        // The entries of one destination pixel are consecutive source pixels.
        for (let e = e0, p = base + xi[e0]! * 3; e < e1; e++, p += 3) {
          const w = xw[e]!
          r += N[src[p]!]! * w
          g += N[src[p + 1]!]! * w
          bl += N[src[p + 2]!]! * w
        }
        sumA[b] = sumA[b]! + betaA * r
        sumA[b + 1] = sumA[b + 1]! + betaA * g
        sumA[b + 2] = sumA[b + 2]! + betaA * bl
        sumB[b] = sumB[b]! + betaB * r
        sumB[b + 1] = sumB[b + 1]! + betaB * g
        sumB[b + 2] = sumB[b + 2]! + betaB * bl
      }
      j += 2
    } else {
      for (let dx = 0, b = 0; dx < dw; dx++, b += 3) {
        const e0 = xs[dx]!
        const e1 = xs[dx + 1]!
        let r = 0
        let g = 0
        let bl = 0
        for (let e = e0, p = base + xi[e0]! * 3; e < e1; e++, p += 3) {
          const w = xw[e]!
          r += N[src[p]!]! * w
          g += N[src[p + 1]!]! * w
          bl += N[src[p + 2]!]! * w
        }
        sumA[b] = sumA[b]! + betaA * r
        sumA[b + 1] = sumA[b + 1]! + betaA * g
        sumA[b + 2] = sumA[b + 2]! + betaA * bl
      }
      j += 1
    }
    // Write out the output rows whose last entry is in.
    while (dy < dh && j >= ys[dy + 1]!) {
      const sum = (dy & 1) === 0 ? sumEven : sumOdd
      const o = dy * dw
      for (let dx = 0, b = 0; dx < dw; dx++, b += 3) {
        dst[o + dx] = sum[b]!
        dst[plane + o + dx] = sum[b + 1]!
        dst[2 * plane + o + dx] = sum[b + 2]!
      }
      dy++
    }
  }
}

/** Horizontal pass of the float64 linear resizer for one RGB row. */
function hlineRgb(src: Uint8Array, base: number, x: LinearAxis, dw: number, row: Float64Array): void {
  const N = NORMALISED
  const xi = x.index
  const a0 = x.w0
  const a1 = x.w1
  const limit = x.limit
  let dx = 0
  for (let b = 0; dx < limit; dx++, b += 3) {
    const p = base + xi[dx]! * 3
    const w0 = a0[dx]!
    const w1 = a1[dx]!
    row[b] = N[src[p]!]! * w0 + N[src[p + 3]!]! * w1
    row[b + 1] = N[src[p + 1]!]! * w0 + N[src[p + 4]!]! * w1
    row[b + 2] = N[src[p + 2]!]! * w0 + N[src[p + 5]!]! * w1
  }
  for (let b = dx * 3; dx < dw; dx++, b += 3) {
    const p = base + xi[dx]! * 3
    row[b] = N[src[p]!]!
    row[b + 1] = N[src[p + 1]!]!
    row[b + 2] = N[src[p + 2]!]!
  }
}

/** The generic linear resizer with INTER_AREA's coefficients, on float64 rows. */
function linearPlanar(src: Uint8Array, sw: number, sh: number, x: LinearAxis, y: LinearAxis, dst: Float32Array, dw: number, dh: number): void {
  const plane = dw * dh
  const srcRow = sw * 3
  const rowLen = dw * 3
  const rows = new RowCache(new Float64Array(rowLen), new Float64Array(rowLen))
  const yi = y.index
  const b0s = y.w0
  const b1s = y.w1
  const last = sh - 1
  let prevR0 = -1
  let prevR1 = -1
  let prevB0 = -1
  let prevB1 = -1
  for (let dy = 0; dy < dh; dy++) {
    const sy = yi[dy]!
    const r0 = sy < last ? sy : last
    const r1 = sy + 1 < last ? sy + 1 : last
    const b0 = b0s[dy]!
    const b1 = b1s[dy]!
    const o = dy * dw
    if (r0 === prevR0 && r1 === prevR1 && b0 === prevB0 && b1 === prevB1) {
      // Same rows, same weights: when enlarging, most rows repeat the one above.
      dst.copyWithin(o, o - dw, o)
      dst.copyWithin(plane + o, plane + o - dw, plane + o)
      dst.copyWithin(2 * plane + o, 2 * plane + o - dw, 2 * plane + o)
      continue
    }
    prevR0 = r0
    prevR1 = r1
    prevB0 = b0
    prevB1 = b1
    const l0 = rows.locate(r0, r1)
    const h0 = l0 === 1 || l0 === -1 ? rows.a : rows.b
    if (l0 < 0) hlineRgb(src, r0 * srcRow, x, dw, h0)
    const l1 = rows.locate(r1, r0)
    const h1 = l1 === 1 || l1 === -1 ? rows.a : rows.b
    if (l1 < 0) hlineRgb(src, r1 * srcRow, x, dw, h1)
    for (let dx = 0, b = 0; dx < dw; dx++, b += 3) {
      dst[o + dx] = h0[b]! * b0 + h1[b]! * b1
      dst[plane + o + dx] = h0[b + 1]! * b0 + h1[b + 1]! * b1
      dst[2 * plane + o + dx] = h0[b + 2]! * b0 + h1[b + 2]! * b1
    }
  }
}
