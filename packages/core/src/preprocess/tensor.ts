/**
 * The preprocessing hot path: 8-bit RGB image to MODNet's input tensor in one pass.
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { RgbImage, Size } from '../image.js'
import { RowCache, declaredName, resizePlan, type AreaAxis, type LinearAxis } from '../resample/area.js'
import { wasmKernels, wasmKernelsSource } from '../wasm/kernels.js'

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
    case 'copy': {
      const wasm = wasmKernels()
      if (wasm === undefined || !wasm.copyTensor(data, NORMALISED, dst, dw * dh)) copyPlanar(data, dst, dw * dh)
      break
    }
    case 'fast':
      fastPlanar(data, sw, plan.scaleX, plan.scaleY, dst, dw, dh)
      break
    case 'area':
      areaFill(data, sw, plan.x, plan.y, dst, dw, dh, 0, dh, 0, padAxis(plan.x, dw))
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
 * The horizontal table of an area axis padded to `k` entries per destination pixel: sample offsets
 * (`index * 3`) and weights, the extra entries pointing at the pixel's first source with weight 0.
 * Adding `s * 0` (a zero) after the real entries leaves every sum bit-identical, and a fixed entry
 * count lets the hot loop run without per-pixel bounds. The JavaScript kernel uses it for `k <= 4`
 * (scales below 3), the WebAssembly kernel for every scale.
 */
export interface PaddedAxis {
  /** Entries per destination pixel (2 or more; the JavaScript kernel uses the table up to 4). */
  readonly k: number
  /** Sample offset (`index * 3`) of each entry, `k` per destination pixel. */
  readonly offset: Int32Array
  /** Weight of each entry (0 for padding). */
  readonly weight: Float64Array
}

const paddedCache = new WeakMap<AreaAxis, PaddedAxis>()

function padAxis(x: AreaAxis, dw: number): PaddedAxis {
  const cached = paddedCache.get(x)
  if (cached !== undefined) return cached
  const xs = x.start
  let k = 2
  for (let dx = 0; dx < dw; dx++) k = Math.max(k, xs[dx + 1]! - xs[dx]!)
  const offset = new Int32Array(dw * k)
  const weight = new Float64Array(dw * k)
  for (let dx = 0; dx < dw; dx++) {
    const e0 = xs[dx]!
    const n = xs[dx + 1]! - e0
    for (let i = 0; i < k; i++) {
      offset[dx * k + i] = x.index[i < n ? e0 + i : e0]! * 3
      weight[dx * k + i] = i < n ? x.weight[e0 + i]! : 0
    }
  }
  const padded = { k, offset, weight }
  paddedCache.set(x, padded)
  return padded
}

/**
 * One source row resampled horizontally (float64, OpenCV's entry order), times `beta`, added into
 * `sum`; and, when `sum2` is given, times `beta2` into `sum2` (a source row feeds at most two output
 * rows). Unrolled for 2, 3 and 4 entries per pixel.
 */
function areaRowPadded(
  N: Float64Array,
  src: Uint8Array,
  base: number,
  px: PaddedAxis,
  dw: number,
  sum: Float64Array,
  beta: number,
  sum2: Float64Array | undefined,
  beta2: number,
): void {
  const off = px.offset
  const wt = px.weight
  const two = sum2 !== undefined
  const s2 = sum2 ?? sum
  if (px.k === 4) {
    for (let dx = 0, b = 0, q = 0; dx < dw; dx++, b += 3, q += 4) {
      const p0 = base + off[q]!
      const p1 = base + off[q + 1]!
      const p2 = base + off[q + 2]!
      const p3 = base + off[q + 3]!
      const w0 = wt[q]!
      const w1 = wt[q + 1]!
      const w2 = wt[q + 2]!
      const w3 = wt[q + 3]!
      const r = 0 + N[src[p0]!]! * w0 + N[src[p1]!]! * w1 + N[src[p2]!]! * w2 + N[src[p3]!]! * w3
      const g = 0 + N[src[p0 + 1]!]! * w0 + N[src[p1 + 1]!]! * w1 + N[src[p2 + 1]!]! * w2 + N[src[p3 + 1]!]! * w3
      const bl = 0 + N[src[p0 + 2]!]! * w0 + N[src[p1 + 2]!]! * w1 + N[src[p2 + 2]!]! * w2 + N[src[p3 + 2]!]! * w3
      sum[b] = sum[b]! + beta * r
      sum[b + 1] = sum[b + 1]! + beta * g
      sum[b + 2] = sum[b + 2]! + beta * bl
      if (two) {
        s2[b] = s2[b]! + beta2 * r
        s2[b + 1] = s2[b + 1]! + beta2 * g
        s2[b + 2] = s2[b + 2]! + beta2 * bl
      }
    }
    return
  }
  if (px.k === 3) {
    for (let dx = 0, b = 0, q = 0; dx < dw; dx++, b += 3, q += 3) {
      const p0 = base + off[q]!
      const p1 = base + off[q + 1]!
      const p2 = base + off[q + 2]!
      const w0 = wt[q]!
      const w1 = wt[q + 1]!
      const w2 = wt[q + 2]!
      const r = 0 + N[src[p0]!]! * w0 + N[src[p1]!]! * w1 + N[src[p2]!]! * w2
      const g = 0 + N[src[p0 + 1]!]! * w0 + N[src[p1 + 1]!]! * w1 + N[src[p2 + 1]!]! * w2
      const bl = 0 + N[src[p0 + 2]!]! * w0 + N[src[p1 + 2]!]! * w1 + N[src[p2 + 2]!]! * w2
      sum[b] = sum[b]! + beta * r
      sum[b + 1] = sum[b + 1]! + beta * g
      sum[b + 2] = sum[b + 2]! + beta * bl
      if (two) {
        s2[b] = s2[b]! + beta2 * r
        s2[b + 1] = s2[b + 1]! + beta2 * g
        s2[b + 2] = s2[b + 2]! + beta2 * bl
      }
    }
    return
  }
    for (let dx = 0, b = 0, q = 0; dx < dw; dx++, b += 3, q += 2) {
      const p0 = base + off[q]!
      const p1 = base + off[q + 1]!
      const w0 = wt[q]!
      const w1 = wt[q + 1]!
      const r = 0 + N[src[p0]!]! * w0 + N[src[p1]!]! * w1
      const g = 0 + N[src[p0 + 1]!]! * w0 + N[src[p1 + 1]!]! * w1
      const bl = 0 + N[src[p0 + 2]!]! * w0 + N[src[p1 + 2]!]! * w1
      sum[b] = sum[b]! + beta * r
      sum[b + 1] = sum[b + 1]! + beta * g
      sum[b + 2] = sum[b + 2]! + beta * bl
      if (two) {
        s2[b] = s2[b]! + beta2 * r
        s2[b + 1] = s2[b + 1]! + beta2 * g
        s2[b + 2] = s2[b + 2]! + beta2 * bl
      }
    }
    return
}

/** {@link areaRowPadded} for any number of entries per pixel (scales of 3 and more). */
function areaRow(
  N: Float64Array,
  src: Uint8Array,
  base: number,
  x: AreaAxis,
  dw: number,
  sum: Float64Array,
  beta: number,
  sum2: Float64Array | undefined,
  beta2: number,
): void {
  const xs = x.start
  const xi = x.index
  const xw = x.weight
  const two = sum2 !== undefined
  const s2 = sum2 ?? sum
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
    sum[b] = sum[b]! + beta * r
    sum[b + 1] = sum[b + 1]! + beta * g
    sum[b + 2] = sum[b + 2]! + beta * bl
    if (two) {
      s2[b] = s2[b]! + beta2 * r
      s2[b + 1] = s2[b + 1]! + beta2 * g
      s2[b + 2] = s2[b + 2]! + beta2 * bl
    }
  }
}

/**
 * `resizeArea_<double, double>`, fused: each source row is resampled horizontally and added, with its
 * vertical weight, straight into the sums of the one or two output rows it feeds. The additions
 * happen in OpenCV's order (entries of an output row in table order), so the result is identical;
 * sums start at +0, and `0 + b * h === b * h` since `h` is never -0.
 *
 * Computes output rows `rowStart` to `rowEnd - 1` only, so that threads can share one image; `src`
 * may hold only the source rows from `srcRow0` on. Self-contained (everything it uses comes in as
 * arguments or is one of the two row functions), because {@link MODEL_TENSOR_KERNEL} ships its
 * source to worker threads.
 */
function areaPlanar(
  src: Uint8Array,
  sw: number,
  x: AreaAxis,
  y: AreaAxis,
  dst: Float32Array,
  dw: number,
  dh: number,
  rowStart: number,
  rowEnd: number,
  srcRow0: number,
  N: Float64Array,
  px: PaddedAxis | undefined,
): void {
  const plane = dw * dh
  const srcRow = sw * 3
  const rowLen = dw * 3
  const sumEven = new Float64Array(rowLen)
  const sumOdd = new Float64Array(rowLen)
  const ys = y.start
  const yi = y.index
  const yw = y.weight
  const entries = ys[rowEnd]!
  // `dy` is the first unfinished output row; entry j belongs to it.
  let dy = rowStart
  let j = ys[rowStart]!
  while (j < entries) {
    const sumA = (dy & 1) === 0 ? sumEven : sumOdd
    if (j === ys[dy]!) sumA.fill(0)
    const sy = yi[j]!
    const base = (sy - srcRow0) * srcRow
    // A source row feeds at most two output rows (scale >= 1): then the next entry is the first of row dy + 1.
    const shared = j + 1 < entries && yi[j + 1]! === sy
    const sumB = shared ? ((dy & 1) === 0 ? sumOdd : sumEven) : undefined
    sumB?.fill(0)
    const betaB = shared ? yw[j + 1]! : 0
    if (px !== undefined && px.k <= 4) areaRowPadded(N, src, base, px, dw, sumA, yw[j]!, sumB, betaB)
    else areaRow(N, src, base, x, dw, sumA, yw[j]!, sumB, betaB)
    j += shared ? 2 : 1
    // Write out the output rows whose last entry is in.
    while (dy < rowEnd && j >= ys[dy + 1]!) {
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

/**
 * {@link areaPlanar}'s rows through the WebAssembly kernel where there is one (bit-identical, 2.3x
 * faster at 1080p), else through {@link areaPlanar} itself.
 */
function areaFill(
  src: Uint8Array,
  sw: number,
  x: AreaAxis,
  y: AreaAxis,
  dst: Float32Array,
  dw: number,
  dh: number,
  rowStart: number,
  rowEnd: number,
  srcRow0: number,
  px: PaddedAxis,
): void {
  if (rowEnd <= rowStart) return
  const wasm = wasmKernels()
  if (wasm === undefined || !wasm.areaTensor(src, sw, srcRow0, px, y, NORMALISED, dst, dw, dh, rowStart, rowEnd)) {
    areaPlanar(src, sw, x, y, dst, dw, dh, rowStart, rowEnd, srcRow0, NORMALISED, px)
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

/**
 * A share of {@link toModelTensor}'s work for another thread: output rows `rowStart` to `rowEnd - 1`
 * of every plane, computed from `rows` (a copy of the source rows they read, from `srcRow0` on) by
 * {@link MODEL_TENSOR_KERNEL}. Plain data, so it can be posted to a worker (transfer `rows.buffer`,
 * or share it when it is a `SharedArrayBuffer`).
 * Used by `@mattekit/node` to share preprocessing with its idle inference thread.
 */
export interface TensorSlice {
  /** The source rows the slice reads, 8-bit RGB, from `srcRow0` on. */
  readonly rows: Uint8Array
  /** The first source row in `rows`. */
  readonly srcRow0: number
  /** Source width. */
  readonly sw: number
  /** Tensor width. */
  readonly dw: number
  /** Tensor height. */
  readonly dh: number
  /** First output row of the slice. */
  readonly rowStart: number
  /** One past the last output row of the slice. */
  readonly rowEnd: number
  /** Horizontal resampling table. */
  readonly x: AreaAxis
  /** Vertical resampling table. */
  readonly y: AreaAxis
  /** The padded horizontal table. */
  readonly padded: PaddedAxis
  /** The normalisation table (`(v - 127.5) / 127.5` in float64). */
  readonly normalised: Float64Array
}

/**
 * {@link toModelTensor}, with part of the work offered to another thread: when the resampling is an
 * area reduction of at least `minPixels` source pixels, the bottom `share` of the output rows is
 * described as a {@link TensorSlice} and passed to `handOff` first; if `handOff` accepts it
 * (returns true), only the other rows are computed here and the caller must have the slice's rows
 * computed into the tensor (the Node adapter's inference worker does that before running the
 * model). Otherwise, or for other resampling modes, the whole tensor is computed here.
 *
 * @param image - interleaved 8-bit RGB pixels
 * @param size - the model input size
 * @param out - the tensor to write, `3 * size.width * size.height` values
 * @param handOff - offered the slice; returns whether another thread computes it
 * @param share - the fraction of output rows to offer, in (0, 1)
 * @param minPixels - the least source pixels for which a split pays off
 * @param copyRows - copies the source rows the slice reads (a view into `image.data`) to where the
 *   other thread can read them; by default a fresh array (`rows.slice()`), which can be
 *   transferred. A caller can copy into a reused `SharedArrayBuffer` instead and skip the
 *   allocation and its page faults.
 * @returns the slice handed off, or `undefined` when `out` holds the whole tensor
 * @throws {@link MatteError} `INVALID_INPUT` as {@link toModelTensor}
 *
 * @example
 * ```ts
 * import { modelInputSize, toModelTensorShared } from '@mattekit/core'
 *
 * const size = modelInputSize(image.width, image.height)
 * const tensor = new Float32Array(3 * size.width * size.height)
 * const slice = toModelTensorShared(image, size, tensor, (s) => worker.offer(s)) // true when a helper thread takes it
 * if (slice) await worker.rowsDone() // the helper has written the slice's rows into `tensor`
 * ```
 */
export function toModelTensorShared(
  image: RgbImage,
  size: Size,
  out: Float32Array,
  handOff: (slice: TensorSlice) => boolean,
  share = 0.5,
  minPixels = 1_000_000,
  copyRows: (rows: Uint8Array) => Uint8Array = (rows) => rows.slice(),
): TensorSlice | undefined {
  const { width: sw, height: sh, data } = image
  const plan = data instanceof Uint8Array && data.length === sw * sh * 3 ? resizePlan({ width: sw, height: sh }, size) : undefined
  if (plan?.mode !== 'area' || sw * sh < minPixels || !(out instanceof Float32Array) || out.length !== 3 * size.width * size.height) {
    toModelTensor(image, size, out)
    return undefined
  }
  const { width: dw, height: dh } = size
  const rowStart = Math.min(dh - 1, Math.max(1, Math.round(dh * (1 - share))))
  const srcRow0 = plan.y.index[plan.y.start[rowStart]!]!
  const slice: TensorSlice = {
    rows: copyRows(data.subarray(srcRow0 * sw * 3)),
    srcRow0,
    sw,
    dw,
    dh,
    rowStart,
    rowEnd: dh,
    x: plan.x,
    y: plan.y,
    padded: padAxis(plan.x, dw),
    normalised: NORMALISED,
  }
  const accepted = handOff(slice)
  areaFill(data, sw, plan.x, plan.y, out, dw, dh, 0, accepted ? rowStart : dh, 0, slice.padded)
  return accepted ? slice : undefined
}


/**
 * The source of a function body that returns `(slice: TensorSlice, dst: Float32Array) => void`,
 * which computes a {@link TensorSlice}'s rows into `dst` (a whole tensor's worth of values) exactly
 * as {@link toModelTensor} would. Build it in a worker with
 * `new Function('__name', MODEL_TENSOR_KERNEL)((f) => f)` (`__name` covers bundlers that keep
 * function names). It is the same code the main thread runs, shipped as text.
 *
 * @example
 * ```ts
 * // inside a worker thread that received a TensorSlice from toModelTensorShared:
 * import { MODEL_TENSOR_KERNEL } from '@mattekit/core'
 *
 * const fill = new Function('__name', MODEL_TENSOR_KERNEL)((f: unknown) => f) as (slice: TensorSlice, dst: Float32Array) => void
 * fill(slice, tensor) // writes the slice's rows exactly as toModelTensor would
 * ```
 */
export const MODEL_TENSOR_KERNEL: string = [
  String(areaRowPadded),
  String(areaRow),
  String(areaPlanar),
  wasmKernelsSource('wasm'),
  'return function (slice, dst) { if (!wasm || !wasm.areaTensor(slice.rows, slice.sw, slice.srcRow0, slice.padded, slice.y, slice.normalised, dst, slice.dw, slice.dh, slice.rowStart, slice.rowEnd)) ' +
    `${declaredName(areaPlanar)}(slice.rows, slice.sw, slice.x, slice.y, dst, slice.dw, slice.dh, ` +
    'slice.rowStart, slice.rowEnd, slice.srcRow0, slice.normalised, slice.padded) }',
].join('\n')
