/**
 * OpenCV's `cv::resize(src, dst, dsize, 0, 0, INTER_AREA)`, reproduced operation by operation
 * (OpenCV 4.6.0, `modules/imgproc/src/resize.cpp`, as Debian builds it: SSE2 baseline, no IPP).
 *
 * What `cv::resize` does with `INTER_AREA`, and therefore what this module does:
 * - same size: a copy;
 * - both scales (`src / dst`) at least 1 and both integers: `resizeAreaFast_`, the plain mean of each
 *   `sx` by `sy` block (8-bit 2x2 blocks round as `(sum + 2) >> 2`);
 * - both scales at least 1 otherwise: `resizeArea_`, an area-weighted mean over the tables of
 *   `computeResizeAreaTab`, accumulated in float32 (float64 for float64 data);
 * - any scale below 1 (enlarging on at least one axis): the generic separable linear resizer with
 *   INTER_AREA's coefficients (`sx = floor(dx * scale)`, `fx = (dx + 1) - (sx + 1) / scale`,
 *   `fx = fx <= 0 ? 0 : fx - floor(fx)`), which blends at most two neighbours per axis; 8-bit data
 *   goes through OpenCV's fixed-point path (11-bit coefficients, integer rows, and the vertical step
 *   `((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16) + 2 >> 2`).
 *
 * The scales are computed as OpenCV does (`inv = dst / src`, `scale = 1 / inv`, in doubles) and every
 * float32 operation is rounded with `Math.fround`, so results are bit-identical to OpenCV's
 * (checked against Debian's cv2 4.6.0 on 106 uint8/float32, 1/3-channel cases, see `area.test.ts`).
 * Details that matter for bit-exactness, all verified against that build:
 * - the 8-bit vertical step has no separate scalar rounding: OpenCV specialises `VResizeLinear` for
 *   uchar so its scalar tail uses the same truncating formula as `VResizeLinearVec_32s8u`, and
 *   `FixedPtCast`'s `(S0 * b0 + S1 * b1 + 2^21) >> 22` is never used for INTER_AREA;
 * - float32 2x2 block means of 1- or 4-channel data add `(a + b) + (c + d)` for the samples the SIMD
 *   kernel covers (all but the last `width mod 4`) and `((a + b) + c) + d` for the rest; other blocks
 *   add in groups of four (`sum += ((s0 + s1) + s2) + s3`, CV_ENABLE_UNROLLED);
 * - table weights are float32 even for float64 data, and float32 block means multiply by
 *   `float(1 / area)`.
 *
 * @packageDocumentation
 */


import { MatteError } from '../errors.js'
import type { Size } from '../image.js'
import { wasmKernels } from '../wasm/kernels.js'

const fround = Math.fround
const DBL_EPSILON = 2.220446049250313e-16
/** OpenCV's INTER_RESIZE_COEF_SCALE: 8-bit linear weights are 11-bit fixed point. */
const COEF_SCALE = 2048

/**
 * Rounds to the nearest integer, ties to even: what `cvRound` and `saturate_cast` do on x86.
 *
 * @param x - any finite number
 * @returns the nearest integer, ties going to the even one
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d < 0.5) return f
  if (d > 0.5) return f + 1
  return f % 2 === 0 ? f : f + 1
}

function saturateShort(x: number): number {
  const r = roundHalfEven(x)
  return r < -32768 ? -32768 : r > 32767 ? 32767 : r
}

/**
 * One axis of OpenCV's area decimation (`computeResizeAreaTab`), grouped by destination index:
 * destination `d` is the weighted sum of the entries `start[d]` to `start[d + 1] - 1`, in order.
 */
export interface AreaAxis {
  /** Entry range of each destination index; `dst + 1` items. */
  readonly start: Int32Array
  /** Source index (in pixels, not samples) of each entry. */
  readonly index: Int32Array
  /** Weight of each entry, a float32 value (as OpenCV stores it). */
  readonly weight: Float64Array
}

/**
 * One axis of OpenCV's generic linear resizer with INTER_AREA's coefficients: destination `d` is
 * `w0[d] * S[index[d]] + w1[d] * S[index[d] + 1]`.
 */
export interface LinearAxis {
  /** Left (or top) source index of each destination index. */
  readonly index: Int32Array
  /** Weight of the left source, a float32 value (`1 - fx`). */
  readonly w0: Float64Array
  /** Weight of the right source, a float32 value (`fx`). */
  readonly w1: Float64Array
  /** `w0` as 11-bit fixed point, for 8-bit data. */
  readonly iw0: Int32Array
  /** `w1` as 11-bit fixed point, for 8-bit data. */
  readonly iw1: Int32Array
  /**
   * Horizontal axis only (OpenCV's `xmax`): from this destination index on, the source's last
   * pixel is copied without weights. On the vertical axis it is the destination length.
   */
  readonly limit: number
}

/** How `cv::resize(INTER_AREA)` resamples one size to another, with its precomputed tables. */
export type ResizePlan =
  | { readonly mode: 'copy'; readonly from: Size; readonly to: Size }
  | {
      readonly mode: 'fast'
      readonly from: Size
      readonly to: Size
      /** Integer horizontal scale (source pixels per destination pixel). */
      readonly scaleX: number
      /** Integer vertical scale. */
      readonly scaleY: number
    }
  | { readonly mode: 'area'; readonly from: Size; readonly to: Size; readonly x: AreaAxis; readonly y: AreaAxis }
  | { readonly mode: 'linear'; readonly from: Size; readonly to: Size; readonly x: LinearAxis; readonly y: LinearAxis }

function computeAreaAxis(ssize: number, dsize: number, scale: number): AreaAxis {
  const start = new Int32Array(dsize + 1)
  const cap = ssize * 2 + 2
  const index = new Int32Array(cap)
  const weight = new Float64Array(cap)
  let k = 0
  for (let dx = 0; dx < dsize; dx++) {
    start[dx] = k
    const fsx1 = dx * scale
    const fsx2 = fsx1 + scale
    const cellWidth = Math.min(scale, ssize - fsx1)
    let sx1 = Math.ceil(fsx1)
    let sx2 = Math.floor(fsx2)
    sx2 = Math.min(sx2, ssize - 1)
    sx1 = Math.min(sx1, sx2)
    if (sx1 - fsx1 > 1e-3) {
      index[k] = sx1 - 1
      weight[k++] = fround((sx1 - fsx1) / cellWidth)
    }
    const full = fround(1.0 / cellWidth)
    for (let sx = sx1; sx < sx2; sx++) {
      index[k] = sx
      weight[k++] = full
    }
    if (fsx2 - sx2 > 1e-3) {
      index[k] = sx2
      weight[k++] = fround(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth)
    }
  }
  start[dsize] = k
  return { start, index: index.slice(0, k), weight: weight.slice(0, k) }
}

function computeLinearAxis(ssize: number, dsize: number, scale: number, invScale: number, horizontal: boolean): LinearAxis {
  const index = new Int32Array(dsize)
  const w0 = new Float64Array(dsize)
  const w1 = new Float64Array(dsize)
  const iw0 = new Int32Array(dsize)
  const iw1 = new Int32Array(dsize)
  let limit = dsize
  for (let dx = 0; dx < dsize; dx++) {
    let sx = Math.floor(dx * scale)
    let fx = fround(dx + 1 - (sx + 1) * invScale)
    fx = fx <= 0 ? 0 : fround(fx - Math.floor(fx))
    if (horizontal && sx + 1 >= ssize) {
      limit = Math.min(limit, dx)
      if (sx >= ssize - 1) {
        fx = 0
        sx = ssize - 1
      }
    }
    index[dx] = sx
    const a0 = fround(1 - fx)
    w0[dx] = a0
    w1[dx] = fx
    iw0[dx] = saturateShort(a0 * COEF_SCALE)
    iw1[dx] = saturateShort(fx * COEF_SCALE)
  }
  return { index, w0, w1, iw0, iw1, limit }
}

function checkSize(what: string, size: Size): void {
  if (
    typeof size !== 'object' ||
    size === null ||
    !Number.isSafeInteger(size.width) ||
    !Number.isSafeInteger(size.height) ||
    size.width <= 0 ||
    size.height <= 0
  ) {
    const shown = typeof size === 'object' && size !== null ? `${String(size.width)}x${String(size.height)}` : String(size)
    throw new MatteError('INVALID_INPUT', `The ${what} size must have positive whole-number sides, got ${shown}.`)
  }
}

function buildPlan(from: Size, to: Size): ResizePlan {
  const fromSize: Size = { width: from.width, height: from.height }
  const toSize: Size = { width: to.width, height: to.height }
  if (from.width === to.width && from.height === to.height) return { mode: 'copy', from: fromSize, to: toSize }
  const invX = to.width / from.width
  const invY = to.height / from.height
  const scaleX = 1 / invX
  const scaleY = 1 / invY
  if (scaleX >= 1 && scaleY >= 1) {
    const iscaleX = roundHalfEven(scaleX)
    const iscaleY = roundHalfEven(scaleY)
    if (Math.abs(scaleX - iscaleX) < DBL_EPSILON && Math.abs(scaleY - iscaleY) < DBL_EPSILON) {
      return { mode: 'fast', from: fromSize, to: toSize, scaleX: iscaleX, scaleY: iscaleY }
    }
    return {
      mode: 'area',
      from: fromSize,
      to: toSize,
      x: computeAreaAxis(from.width, to.width, scaleX),
      y: computeAreaAxis(from.height, to.height, scaleY),
    }
  }
  return {
    mode: 'linear',
    from: fromSize,
    to: toSize,
    x: computeLinearAxis(from.width, to.width, scaleX, invX, true),
    y: computeLinearAxis(from.height, to.height, scaleY, invY, false),
  }
}

const PLAN_CACHE_SIZE = 8
const planCache = new Map<string, ResizePlan>()

/**
 * The plan (mode and index/weight tables) `cv::resize(INTER_AREA)` uses between two sizes. Plans
 * are cached (the last 8 size pairs), so repeated calls with the same sizes cost nothing.
 *
 * @param from - the source size
 * @param to - the destination size
 * @returns the cached or newly built plan; treat it as read-only
 * @throws {@link MatteError} `INVALID_INPUT` when a side is not a positive safe integer
 */
export function resizePlan(from: Size, to: Size): ResizePlan {
  checkSize('source', from)
  checkSize('destination', to)
  const key = `${from.width}x${from.height}>${to.width}x${to.height}`
  const cached = planCache.get(key)
  if (cached !== undefined) {
    // Refresh its place in the insertion order (least recently used goes first).
    planCache.delete(key)
    planCache.set(key, cached)
    return cached
  }
  const plan = buildPlan(from, to)
  if (planCache.size >= PLAN_CACHE_SIZE) {
    const oldest = planCache.keys().next()
    if (oldest.done !== true) planCache.delete(oldest.value)
  }
  planCache.set(key, plan)
  return plan
}

type Samples = Uint8Array | Float32Array

function checkData(src: Samples, from: Size, to: Size, channels: number, out: Samples | undefined): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new MatteError('INVALID_INPUT', `channels must be 1, 2, 3 or 4, got ${String(channels)}.`)
  }
  checkSize('source', from)
  checkSize('destination', to)
  const need = from.width * from.height * channels
  if (src.length !== need) {
    throw new MatteError(
      'INVALID_INPUT',
      `The source has ${src.length} samples, but ${from.width}x${from.height} with ${channels} channel(s) needs ${need}.`,
    )
  }
  if (out !== undefined && out.length !== to.width * to.height * channels) {
    throw new MatteError(
      'INVALID_INPUT',
      `The output buffer has ${out.length} samples, but ${to.width}x${to.height} with ${channels} channel(s) needs ${to.width * to.height * channels}.`,
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels. `dst` is a Float32Array, or a Uint8ClampedArray view of an 8-bit output: its stores round
// half to even and saturate, exactly as OpenCV's saturate_cast<uchar>(float).

/** `resizeArea_<T, float>`: area-weighted sums in float32, rows then columns. */
function areaKernel(src: Samples, sw: number, cn: number, x: AreaAxis, y: AreaAxis, dst: Float32Array | Uint8ClampedArray, dw: number, dh: number): void {
  const rowLen = dw * cn
  const srcRow = sw * cn
  const buf = new Float64Array(rowLen)
  const sum = new Float64Array(rowLen)
  const xs = x.start
  const xi = x.index
  const xw = x.weight
  const ys = y.start
  const yi = y.index
  const yw = y.weight
  let lastSy = -1
  for (let dy = 0; dy < dh; dy++) {
    const j0 = ys[dy]!
    const j1 = ys[dy + 1]!
    for (let j = j0; j < j1; j++) {
      const sy = yi[j]!
      const beta = yw[j]!
      if (sy !== lastSy) {
        lastSy = sy
        const base = sy * srcRow
        for (let dx = 0; dx < dw; dx++) {
          const e0 = xs[dx]!
          const e1 = xs[dx + 1]!
          for (let c = 0; c < cn; c++) {
            let acc = 0
            for (let e = e0; e < e1; e++) acc = fround(acc + fround(src[base + xi[e]! * cn + c]! * xw[e]!))
            buf[dx * cn + c] = acc
          }
        }
      }
      if (j === j0) for (let i = 0; i < rowLen; i++) sum[i] = fround(beta * buf[i]!)
      else for (let i = 0; i < rowLen; i++) sum[i] = fround(sum[i]! + fround(beta * buf[i]!))
    }
    dst.set(sum, dy * rowLen)
  }
}

/** `resizeAreaFast_<uchar, int>`: integer block sums. */
function fastKernelU8(src: Uint8Array, sw: number, cn: number, scaleX: number, scaleY: number, dst: Uint8ClampedArray, dw: number, dh: number): void {
  const srcRow = sw * cn
  const rowLen = dw * cn
  const area = scaleX * scaleY
  const scale = fround(1 / area)
  const two = scaleX === 2 && scaleY === 2
  for (let dy = 0; dy < dh; dy++) {
    const base = dy * scaleY * srcRow
    const o = dy * rowLen
    for (let dx = 0; dx < dw; dx++) {
      for (let c = 0; c < cn; c++) {
        const p = base + dx * scaleX * cn + c
        if (two) {
          dst[o + dx * cn + c] = (src[p]! + src[p + cn]! + src[p + srcRow]! + src[p + srcRow + cn]! + 2) >> 2
        } else {
          let s = 0
          for (let ky = 0; ky < scaleY; ky++) {
            const q = p + ky * srcRow
            for (let kx = 0; kx < scaleX; kx++) s += src[q + kx * cn]!
          }
          dst[o + dx * cn + c] = fround(s * scale)
        }
      }
    }
  }
}

/** `resizeAreaFast_<float, float>`: float32 block sums in OpenCV's order (unrolled by four). */
function fastKernelF32(src: Float32Array, sw: number, cn: number, scaleX: number, scaleY: number, dst: Float32Array, dw: number, dh: number): void {
  const srcRow = sw * cn
  const rowLen = dw * cn
  const area = scaleX * scaleY
  const scale = fround(1 / area)
  const ofs = new Int32Array(area)
  for (let ky = 0, k = 0; ky < scaleY; ky++) for (let kx = 0; kx < scaleX; kx++) ofs[k++] = ky * srcRow + kx * cn
  // The SIMD kernel covers 2x2 one- and four-channel data, four samples at a time: (a + b) + (c + d).
  const vectorEnd = scaleX === 2 && scaleY === 2 && (cn === 1 || cn === 4) && rowLen >= 4 ? rowLen - (rowLen % 4) : 0
  for (let dy = 0; dy < dh; dy++) {
    const base = dy * scaleY * srcRow
    const o = dy * rowLen
    let i = 0
    for (; i < vectorEnd; i++) {
      const p = base + Math.floor(i / cn) * 2 * cn + (i % cn)
      dst[o + i] = fround(fround(fround(src[p]! + src[p + cn]!) + fround(src[p + srcRow]! + src[p + srcRow + cn]!)) * 0.25)
    }
    for (; i < rowLen; i++) {
      const p = base + Math.floor(i / cn) * scaleX * cn + (i % cn)
      let s = 0
      let k = 0
      for (; k <= area - 4; k += 4) {
        s = fround(s + fround(fround(fround(src[p + ofs[k]!]! + src[p + ofs[k + 1]!]!) + src[p + ofs[k + 2]!]!) + src[p + ofs[k + 3]!]!))
      }
      for (; k < area; k++) s = fround(s + src[p + ofs[k]!]!)
      dst[o + i] = fround(s * scale)
    }
  }
}

/**
 * The two-row cache of a two-tap vertical pass: which source rows its two buffers hold.
 *
 * @internal
 */
export class RowCache<B> {
  /** Row held by buffer `a`, or -1. */
  rowA = -1
  /** Row held by buffer `b`, or -1. */
  rowB = -1

  /**
   * @param a - the first buffer
   * @param b - the second buffer
   */
  constructor(
    readonly a: B,
    readonly b: B,
  ) {}

  /**
   * Where source row `r` is, or where to compute it: the buffer not holding `keep` (the other tap).
   * After this call the buffer returned is recorded as holding `r`.
   *
   * @param r - the row wanted
   * @param keep - a row that must stay available
   * @returns 1 or 2 when row `r` is already in buffer `a` or `b`; -1 or -2 when it must be computed
   *   into `a` or `b`
   */
  locate(r: number, keep: number): number {
    if (this.rowA === r) return 1
    if (this.rowB === r) return 2
    if (this.rowA === keep) {
      this.rowB = r
      return -2
    }
    this.rowA = r
    return -1
  }
}

/**
 * Horizontal pass of the 8-bit linear resizer for one row, results shifted right by 4.
 *
 * @internal
 */
export function hlineU8(src: Uint8Array, base: number, cn: number, x: LinearAxis, dw: number, out: Int32Array): void {
  const one = 2048 // COEF_SCALE, written out: this function is also shipped as text to worker threads
  const xi = x.index
  const a0 = x.iw0
  const a1 = x.iw1
  const limit = x.limit
  if (cn === 1) {
    let dx = 0
    for (; dx < limit; dx++) {
      const p = base + xi[dx]!
      out[dx] = (Math.imul(src[p]!, a0[dx]!) + Math.imul(src[p + 1]!, a1[dx]!)) >> 4
    }
    for (; dx < dw; dx++) out[dx] = (src[base + xi[dx]!]! * one) >> 4
    return
  }
  for (let dx = 0; dx < dw; dx++) {
    const p = base + xi[dx]! * cn
    const w0 = a0[dx]!
    const w1 = a1[dx]!
    for (let c = 0; c < cn; c++) {
      out[dx * cn + c] = dx < limit ? (src[p + c]! * w0 + src[p + cn + c]! * w1) >> 4 : (src[p + c]! * one) >> 4
    }
  }
}

/** Horizontal pass of the float32 linear resizer for one row. */
function hlineF32(src: Float32Array, base: number, cn: number, x: LinearAxis, dw: number, out: Float64Array): void {
  const xi = x.index
  const a0 = x.w0
  const a1 = x.w1
  const limit = x.limit
  for (let dx = 0; dx < dw; dx++) {
    const p = base + xi[dx]! * cn
    const w0 = a0[dx]!
    const w1 = a1[dx]!
    for (let c = 0; c < cn; c++) {
      out[dx * cn + c] = dx < limit ? fround(fround(src[p + c]! * w0) + fround(src[p + cn + c]! * w1)) : src[p + c]!
    }
  }
}

/**
 * The generic linear resizer on 8-bit data: OpenCV's fixed-point path. Computes destination rows
 * `dy0` to `dy1 - 1` (each depends only on its own source rows and weights), writing row `dy` at
 * row `dy - dstRow0` of `dst`.
 *
 * @internal
 */
export function linearKernelU8(
  src: Uint8Array,
  sw: number,
  sh: number,
  cn: number,
  x: LinearAxis,
  y: LinearAxis,
  dst: Uint8Array,
  dw: number,
  dh: number,
  dy0 = 0,
  dy1 = dh,
  dstRow0 = 0,
): void {
  const rowLen = dw * cn
  const srcRow = sw * cn
  // Rows hold the horizontal results already shifted right by 4, as the vertical step uses them.
  const rows = new RowCache(new Int32Array(rowLen), new Int32Array(rowLen))
  const yi = y.index
  const b0s = y.iw0
  const b1s = y.iw1
  const last = sh - 1
  let prevR0 = -1
  let prevR1 = -1
  let prevB0 = -1
  let prevB1 = -1
  for (let dy = dy0; dy < dy1; dy++) {
    const sy = yi[dy]!
    const r0 = sy < last ? sy : last
    const r1 = sy + 1 < last ? sy + 1 : last
    const b0 = b0s[dy]!
    const b1 = b1s[dy]!
    const o = (dy - dstRow0) * rowLen
    if (r0 === prevR0 && r1 === prevR1 && b0 === prevB0 && b1 === prevB1) {
      // Same rows, same weights: when enlarging, most rows repeat the one above.
      dst.copyWithin(o, o - rowLen, o)
      continue
    }
    prevR0 = r0
    prevR1 = r1
    prevB0 = b0
    prevB1 = b1
    const l0 = rows.locate(r0, r1)
    const h0 = l0 === 1 || l0 === -1 ? rows.a : rows.b
    if (l0 < 0) hlineU8(src, r0 * srcRow, cn, x, dw, h0)
    if (b1 === 0) {
      for (let i = 0; i < rowLen; i++) dst[o + i] = ((Math.imul(b0, h0[i]!) >> 16) + 2) >> 2
      continue
    }
    const l1 = rows.locate(r1, r0)
    const h1 = l1 === 1 || l1 === -1 ? rows.a : rows.b
    if (l1 < 0) hlineU8(src, r1 * srcRow, cn, x, dw, h1)
    for (let i = 0; i < rowLen; i++) {
      dst[o + i] = ((Math.imul(b0, h0[i]!) >> 16) + (Math.imul(b1, h1[i]!) >> 16) + 2) >> 2
    }
  }
}

/**
 * {@link linearKernelU8}'s rows through the WebAssembly kernel for one channel where there is one
 * (bit-identical, 3x faster at 1080p), else through {@link linearKernelU8} itself.
 *
 * @internal
 */
export function linearFillU8(
  src: Uint8Array,
  sw: number,
  sh: number,
  cn: number,
  x: LinearAxis,
  y: LinearAxis,
  dst: Uint8Array,
  dw: number,
  dh: number,
  dy0 = 0,
  dy1 = dh,
  dstRow0 = 0,
): void {
  const wasm = cn === 1 && dy1 > dy0 ? wasmKernels() : undefined
  if (wasm === undefined || !wasm.linearU8(src, sw, sh, x, y, dst, dw, dy0, dy1, dstRow0)) linearKernelU8(src, sw, sh, cn, x, y, dst, dw, dh, dy0, dy1, dstRow0)
}

/** The generic linear resizer on float32 data. */
function linearKernelF32(src: Float32Array, sw: number, sh: number, cn: number, x: LinearAxis, y: LinearAxis, dst: Float32Array, dw: number, dh: number): void {
  const rowLen = dw * cn
  const srcRow = sw * cn
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
    const o = dy * rowLen
    if (r0 === prevR0 && r1 === prevR1 && b0 === prevB0 && b1 === prevB1) {
      dst.copyWithin(o, o - rowLen, o)
      continue
    }
    prevR0 = r0
    prevR1 = r1
    prevB0 = b0
    prevB1 = b1
    const l0 = rows.locate(r0, r1)
    const h0 = l0 === 1 || l0 === -1 ? rows.a : rows.b
    if (l0 < 0) hlineF32(src, r0 * srcRow, cn, x, dw, h0)
    const l1 = rows.locate(r1, r0)
    const h1 = l1 === 1 || l1 === -1 ? rows.a : rows.b
    if (l1 < 0) hlineF32(src, r1 * srcRow, cn, x, dw, h1)
    for (let i = 0; i < rowLen; i++) dst[o + i] = fround(fround(h0[i]! * b0) + fround(h1[i]! * b1))
  }
}

/**
 * Resamples 8-bit interleaved pixels exactly as OpenCV 4.6's
 * `cv::resize(src, dst, (to.width, to.height), interpolation=INTER_AREA)` does on `CV_8UC{channels}`
 * data (rounding and saturation included).
 *
 * @param src - interleaved samples, `from.width * from.height * channels` of them, rows top to bottom
 * @param from - the source size
 * @param to - the destination size
 * @param channels - samples per pixel, 1 to 4
 * @param out - where to write the result (`to.width * to.height * channels` samples); allocated when omitted
 * @returns `out`, or a new array, holding the resampled pixels
 * @throws {@link MatteError} `INVALID_INPUT` for a bad size, channel count or array length
 *
 * @example
 * ```ts
 * import { resizeArea } from '@mattekit/core'
 *
 * // cv2.resize(rgb, (320, 180), interpolation=cv2.INTER_AREA), bit for bit:
 * const small = resizeArea(rgb, { width: 1920, height: 1080 }, { width: 320, height: 180 }, 3)
 * ```
 */
export function resizeArea(src: Uint8Array, from: Size, to: Size, channels: number, out?: Uint8Array): Uint8Array
/**
 * Resamples float32 interleaved samples exactly as OpenCV 4.6's
 * `cv::resize(src, dst, (to.width, to.height), interpolation=INTER_AREA)` does on `CV_32FC{channels}`
 * data (bit-identical: every float32 operation is rounded as OpenCV's).
 *
 * @param src - interleaved samples, `from.width * from.height * channels` of them, rows top to bottom
 * @param from - the source size
 * @param to - the destination size
 * @param channels - samples per pixel, 1 to 4
 * @param out - where to write the result (`to.width * to.height * channels` samples); allocated when omitted
 * @returns `out`, or a new array, holding the resampled samples
 * @throws {@link MatteError} `INVALID_INPUT` for a bad size, channel count or array length
 */
export function resizeArea(src: Float32Array, from: Size, to: Size, channels: number, out?: Float32Array): Float32Array
export function resizeArea(src: Samples, from: Size, to: Size, channels: number, out?: Samples): Samples {
  const isU8 = src instanceof Uint8Array
  if (!isU8 && !(src instanceof Float32Array)) {
    throw new MatteError('INVALID_INPUT', 'resizeArea takes a Uint8Array or a Float32Array.')
  }
  if (out !== undefined && (out instanceof Uint8Array) !== isU8) {
    throw new MatteError('INVALID_INPUT', 'The output array must have the same type as the source.')
  }
  checkData(src, from, to, channels, out)
  const plan = resizePlan(from, to)
  const n = to.width * to.height * channels
  const cn = channels
  const { width: sw, height: sh } = from
  const { width: dw, height: dh } = to
  if (isU8) {
    const dst = (out as Uint8Array | undefined) ?? new Uint8Array(n)
    const s = src
    switch (plan.mode) {
      case 'copy':
        dst.set(s)
        break
      case 'fast':
        if (!wasmKernels()?.fastU8(s, sw, cn, plan.scaleX, plan.scaleY, dst, dw, dh)) {
          fastKernelU8(s, sw, cn, plan.scaleX, plan.scaleY, new Uint8ClampedArray(dst.buffer, dst.byteOffset, n), dw, dh)
        }
        break
      case 'area':
        areaKernel(s, sw, cn, plan.x, plan.y, new Uint8ClampedArray(dst.buffer, dst.byteOffset, n), dw, dh)
        break
      case 'linear':
        linearFillU8(s, sw, sh, cn, plan.x, plan.y, dst, dw, dh)
        break
    }
    return dst
  }
  const dst = (out as Float32Array | undefined) ?? new Float32Array(n)
  const s = src as Float32Array
  switch (plan.mode) {
    case 'copy':
      dst.set(s)
      break
    case 'fast':
      fastKernelF32(s, sw, cn, plan.scaleX, plan.scaleY, dst, dw, dh)
      break
    case 'area':
      areaKernel(s, sw, cn, plan.x, plan.y, dst, dw, dh)
      break
    case 'linear':
      linearKernelF32(s, sw, sh, cn, plan.x, plan.y, dst, dw, dh)
      break
  }
  return dst
}

/**
 * The name a function declaration's source gives it (bundlers may rename functions), for kernels
 * shipped to workers as text.
 *
 * @internal
 */
export function declaredName(fn: (...args: never[]) => unknown): string {
  const m = /^function\s*([\w$]+)/.exec(String(fn))
  if (!m) throw new Error('unexpected function source')
  return m[1]!
}
