/**
 * Bilinear resampling as a GPU's LINEAR texture filter does it: half-pixel centres, clamped edges,
 * rounded half up to 8 bits. For display-side enlargements where OpenCV's semantics are not the
 * reference (a live matte upsampled to the frame, a blurred background enlarged back): unlike
 * INTER_AREA, which enlarges by an integer factor by repeating pixels, it has no blocks.
 *
 * @packageDocumentation
 */

import { MatteError } from '../errors.js'
import type { Size } from '../image.js'

/**
 * Resizes interleaved 8-bit samples bilinearly with half-pixel centres and clamped edges (what a
 * GPU's LINEAR filter does), rounded half up. Each source row is interpolated horizontally once
 * (in float64, with float32 weights), then the rows are blended vertically.
 *
 * @param src - `from.width * from.height * channels` samples
 * @param from - the source size
 * @param to - the destination size
 * @param channels - samples per pixel (1 to 4)
 * @param out - where to write (`to.width * to.height * channels` samples); allocated when omitted
 * @returns `out`, or a new array
 * @throws {@link MatteError} `INVALID_INPUT` when a size, the channel count or a length is wrong
 *
 * @example
 * ```ts
 * import { resizeBilinear } from '@mattekit/core'
 *
 * // A 320x180 blurred background back to the 1280x720 frame, smooth (no 4x4 blocks):
 * const background = resizeBilinear(small, { width: 320, height: 180 }, { width: 1280, height: 720 }, 3)
 * ```
 */
export function resizeBilinear(src: Uint8Array, from: Size, to: Size, channels: number, out?: Uint8Array): Uint8Array {
  const { width: sw, height: sh } = from
  const { width: dw, height: dh } = to
  const sizes = [sw, sh, dw, dh]
  if (!sizes.every((v) => Number.isSafeInteger(v) && v > 0) || !(Number.isInteger(channels) && channels >= 1 && channels <= 4)) {
    throw new MatteError('INVALID_INPUT', `resizeBilinear needs positive integer sizes and 1 to 4 channels, got ${sw}x${sh} to ${dw}x${dh}, ${channels} channels.`)
  }
  if (!(src instanceof Uint8Array) || src.length !== sw * sh * channels) {
    throw new MatteError('INVALID_INPUT', `resizeBilinear: the source must be a Uint8Array of ${sw * sh * channels} samples.`)
  }
  const n = dw * dh * channels
  if (out !== undefined && (!(out instanceof Uint8Array) || out.length !== n)) {
    throw new MatteError('INVALID_INPUT', `resizeBilinear: the output must be a Uint8Array of ${n} samples.`)
  }
  const dst = out ?? new Uint8Array(n)
  const rowLen = dw * channels
  bilinearRows(src, from, to, channels, (y, top, bottom, wy) => vline(top, bottom, wy, dst, y * rowLen, rowLen))
  return dst
}

/**
 * Receives the rows of a bilinear enlargement one at a time: output row `y` is, sample by sample,
 * `(top[i] + (bottom[i] - top[i]) * wy + 0.5) | 0`.
 *
 * @internal
 */
export type BilinearRow = (y: number, top: Float64Array, bottom: Float64Array, wy: number) => void

/**
 * The row machinery of {@link resizeBilinear}, for kernels that consume its rows directly (core's
 * composite over a background at a reduced size) instead of storing them: for each output row, the
 * two source rows it blends, interpolated horizontally (each source row once), and its weight.
 * Arguments are not checked.
 *
 * @internal
 */
export function bilinearRows(src: Uint8Array, from: Size, to: Size, cn: number, row: BilinearRow): void {
  const { width: sw, height: sh } = from
  const { width: dw, height: dh } = to
  const rowLen = dw * cn
  const { a0, a1, wx } = bilinearTable(sw, dw, cn)
  const srcRow = sw * cn
  // The two source rows of the current output row, interpolated horizontally.
  let top = new Float64Array(rowLen)
  let bottom = new Float64Array(rowLen)
  let topRow = -1
  let bottomRow = -1
  const scaleY = sh / dh
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), sh - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, sh - 1)
    const wy = fy - y0
    if (topRow !== y0) {
      if (bottomRow === y0) {
        const t = top
        top = bottom
        bottom = t
        topRow = y0
        bottomRow = -1
      } else {
        hline(src, y0 * srcRow, a0, a1, wx, rowLen, top)
        topRow = y0
      }
    }
    if (bottomRow !== y1) {
      if (y1 === y0) bottom.set(top)
      else hline(src, y1 * srcRow, a0, a1, wx, rowLen, bottom)
      bottomRow = y1
    }
    row(y, top, bottom, wy)
  }
}

/**
 * The horizontal table of a bilinear enlargement from `sw` to `dw` pixels of `cn` samples: per
 * destination sample, the two source samples (offsets in a row) and the weight of the second.
 *
 * @internal
 */
export function bilinearTable(sw: number, dw: number, cn: number): { a0: Int32Array; a1: Int32Array; wx: Float32Array } {
  const rowLen = dw * cn
  const a0 = new Int32Array(rowLen)
  const a1 = new Int32Array(rowLen)
  const wx = new Float32Array(rowLen)
  const scaleX = sw / dw
  for (let x = 0; x < dw; x++) {
    const fx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), sw - 1)
    const x0 = Math.floor(fx)
    const x1 = Math.min(x0 + 1, sw - 1)
    for (let c = 0; c < cn; c++) {
      a0[x * cn + c] = x0 * cn + c
      a1[x * cn + c] = x1 * cn + c
      wx[x * cn + c] = fx - x0
    }
  }
  return { a0, a1, wx }
}

function hline(src: Uint8Array, base: number, a0: Int32Array, a1: Int32Array, wx: Float32Array, rowLen: number, h: Float64Array): void {
  for (let i = 0; i < rowLen; i++) {
    const p = src[base + a0[i]!]!
    h[i] = p + (src[base + a1[i]!]! - p) * wx[i]!
  }
}

/** One output row. A function of its own: V8 optimises the tight loop better (8.3 ms instead of 10.3 for 720p RGB). */
function vline(top: Float64Array, bottom: Float64Array, wy: number, dst: Uint8Array, o: number, rowLen: number): void {
  for (let i = 0; i < rowLen; i++) {
    const t = top[i]!
    // Non-negative, so truncation is the floor; an int32 stores faster than a double.
    dst[o + i] = (t + (bottom[i]! - t) * wy + 0.5) | 0
  }
}
