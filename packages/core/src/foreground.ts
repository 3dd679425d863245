/**
 * Foreground colour estimation: the colour the subject would have without the old background
 * mixed into its soft edges. Compositing the observed colour over a new background leaves a halo
 * (hair and edges keep the old background's tint); compositing the estimated foreground does not.
 *
 * Two methods:
 * - `ml`: the multi-level method of Germer, Uelwer, Conrad and Harmeling ("Fast Multi-Level
 *   Foreground Estimation", ICPR 2020), as pymatting's `estimate_foreground_ml` implements it
 *   (same pyramid, nearest-neighbour resizing, neighbourhood weights and iteration counts).
 * - `blur-fusion`: Forte and Pitié's approximation ("Approximate Fast Foreground Colour
 *   Estimation", ICIP 2021): two passes of box-filtered colour averages, O(1) per pixel whatever
 *   the radius; the method for live video.
 */
import { MatteError } from './errors.js'
import type { Matte, RgbImage } from './image.js'

/** Which foreground estimator to use. */
export type ForegroundMethod = 'ml' | 'blur-fusion'

/** Options of {@link estimateForeground}. */
export interface ForegroundOptions {
  /**
   * The estimator.
   * @defaultValue `'ml'`
   */
  readonly method?: ForegroundMethod
  /**
   * `ml`: smoothness regularisation.
   * @defaultValue 1e-5 (pymatting's default)
   */
  readonly regularization?: number
  /**
   * `ml`: iterations on levels no larger than {@link ForegroundOptions.smallSize}.
   * @defaultValue 10
   */
  readonly smallIterations?: number
  /**
   * `ml`: iterations on the larger levels.
   * @defaultValue 2
   */
  readonly bigIterations?: number
  /**
   * `ml`: the side below which a level counts as small.
   * @defaultValue 32
   */
  readonly smallSize?: number
  /**
   * `ml`: weight of the alpha gradient in the neighbourhood term.
   * @defaultValue 1
   */
  readonly gradientWeight?: number
  /**
   * `blur-fusion`: the box size of the first pass (the second uses 6, as in the paper).
   * @defaultValue 90
   */
  readonly radius?: number
}

function checkPair(image: RgbImage, matte: Matte): void {
  if (image.width !== matte.width || image.height !== matte.height) {
    throw new MatteError(
      'INVALID_INPUT',
      `The matte is ${matte.width}x${matte.height} but the image is ${image.width}x${image.height}; use a matching pair.`,
    )
  }
}

/** Round half to even, as Python's `round`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Nearest-neighbour resize of interleaved float samples, pymatting's `_resize_nearest`. */
function resizeNearest(src: Float32Array, sw: number, sh: number, dst: Float32Array, dw: number, dh: number, channels: number): void {
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(sh - 1, Math.floor((y * sh) / dh))
    for (let x = 0; x < dw; x++) {
      const sx = Math.min(sw - 1, Math.floor((x * sw) / dw))
      const s = (sy * sw + sx) * channels
      const d = (y * dw + x) * channels
      for (let c = 0; c < channels; c++) dst[d + c] = src[s + c]!
    }
  }
}

/**
 * Germer et al.'s multi-level estimator on float data in [0, 1]: returns F (interleaved RGB).
 * Each level solves, per pixel, the 2x2 system of the compositing equation plus a smoothness term
 * towards the 4 neighbours' current F and B (Gauss-Seidel, in place), coarse to fine.
 */
function estimateMl(image: Float32Array, alpha: Float32Array, w0: number, h0: number, o: ForegroundOptions): Float32Array {
  const regularization = o.regularization ?? 1e-5
  const smallIterations = o.smallIterations ?? 10
  const bigIterations = o.bigIterations ?? 2
  const smallSize = o.smallSize ?? 32
  const gradientWeight = o.gradientWeight ?? 1
  const levels = Math.ceil(Math.log2(Math.max(w0, h0)))
  let prevW = 1
  let prevH = 1
  // The 1x1 start: the mean colour of the sure foreground (alpha > 0.9) and sure background
  // (alpha < 0.1), accumulated in float32 in row-major order, as pymatting does.
  let prevF = new Float32Array(3)
  let prevB = new Float32Array(3)
  let countF = 0
  let countB = 0
  for (let i = 0; i < w0 * h0; i++) {
    const a = alpha[i]!
    if (a > 0.9) {
      for (let c = 0; c < 3; c++) prevF[c] = prevF[c]! + image[i * 3 + c]!
      countF++
    }
    if (a < 0.1) {
      for (let c = 0; c < 3; c++) prevB[c] = prevB[c]! + image[i * 3 + c]!
      countB++
    }
  }
  for (let c = 0; c < 3; c++) {
    prevF[c] = prevF[c]! / (countF + 1e-5)
    prevB[c] = prevB[c]! / (countB + 1e-5)
  }
  for (let level = 0; level <= levels; level++) {
    const w = levels === 0 ? w0 : roundHalfEven(w0 ** (level / levels))
    const h = levels === 0 ? h0 : roundHalfEven(h0 ** (level / levels))
    const img = level === levels ? image : new Float32Array(w * h * 3)
    const a = level === levels ? alpha : new Float32Array(w * h)
    if (level !== levels) {
      resizeNearest(image, w0, h0, img, w, h, 3)
      resizeNearest(alpha, w0, h0, a, w, h, 1)
    }
    const F = new Float32Array(w * h * 3)
    const B = new Float32Array(w * h * 3)
    resizeNearest(prevF, prevW, prevH, F, w, h, 3)
    resizeNearest(prevB, prevW, prevH, B, w, h, 3)
    const iterations = w <= smallSize && h <= smallSize ? smallIterations : bigIterations
    for (let it = 0; it < iterations; it++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x
          const a0 = a[i]!
          const a1 = 1 - a0
          let a00 = a0 * a0
          const a01 = a0 * a1
          let a11 = a1 * a1
          const p = i * 3
          let f0 = a0 * img[p]!
          let f1 = a0 * img[p + 1]!
          let f2 = a0 * img[p + 2]!
          let b0 = a1 * img[p]!
          let b1 = a1 * img[p + 1]!
          let b2 = a1 * img[p + 2]!
          // The 4 neighbours (edges clamped), unrolled: left, right, up, down as in pymatting.
          for (let d = 0; d < 4; d++) {
            const j =
              d === 0 ? (x > 0 ? i - 1 : i) : d === 1 ? (x < w - 1 ? i + 1 : i) : d === 2 ? (y > 0 ? i - w : i) : y < h - 1 ? i + w : i
            const da = regularization + gradientWeight * Math.abs(a0 - a[j]!)
            a00 += da
            a11 += da
            const q = j * 3
            f0 += da * F[q]!
            f1 += da * F[q + 1]!
            f2 += da * F[q + 2]!
            b0 += da * B[q]!
            b1 += da * B[q + 1]!
            b2 += da * B[q + 2]!
          }
          const inv = 1 / (a00 * a11 - a01 * a01)
          const m00 = inv * a11
          const m01 = -inv * a01
          const m11 = inv * a00
          F[p] = clamp01(m00 * f0 + m01 * b0)
          F[p + 1] = clamp01(m00 * f1 + m01 * b1)
          F[p + 2] = clamp01(m00 * f2 + m01 * b2)
          B[p] = clamp01(m01 * f0 + m11 * b0)
          B[p + 1] = clamp01(m01 * f1 + m11 * b1)
          B[p + 2] = clamp01(m01 * f2 + m11 * b2)
        }
      }
    }
    prevF = F
    prevB = B
    prevW = w
    prevH = h
  }
  return prevF
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v)

/**
 * Normalised box filter of size `k` (span `[x - floor(k/2), x + k - 1 - floor(k/2)]`, as
 * cv::blur's default anchor; edges clamped) on `channels` interleaved float planes, separable,
 * O(1) per sample.
 */
function boxBlur(src: Float32Array, w: number, h: number, channels: number, k: number): Float32Array {
  const tmp = new Float32Array(src.length)
  const out = new Float32Array(src.length)
  blurLines(src, tmp, w, h, channels, channels, w * channels, k)
  blurLines(tmp, out, h, w, channels, w * channels, channels, k)
  return out
}

function blurLines(
  src: Float32Array,
  dst: Float32Array,
  len: number,
  lines: number,
  channels: number,
  step: number,
  lineStep: number,
  k: number,
): void {
  const lo = k >> 1
  const hi = k - 1 - lo
  const last = len - 1
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < channels; c++) {
      const o = line * lineStep + c
      let sum = 0
      for (let t = -lo; t <= hi; t++) sum += src[o + Math.min(Math.max(t, 0), last) * step]!
      for (let x = 0; x < len; x++) {
        dst[o + x * step] = sum / k
        sum += src[o + Math.min(x + hi + 1, last) * step]! - src[o + Math.max(x - lo, 0) * step]!
      }
    }
  }
}

/** One blur-fusion pass: returns [F, blurred B]. */
function blurFusionPass(
  image: Float32Array,
  F: Float32Array,
  B: Float32Array,
  alpha: Float32Array,
  w: number,
  h: number,
  k: number,
): [Float32Array, Float32Array] {
  const n = w * h
  const fa = new Float32Array(n * 3)
  const b1a = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    const a = alpha[i]!
    for (let c = 0; c < 3; c++) {
      fa[i * 3 + c] = F[i * 3 + c]! * a
      b1a[i * 3 + c] = B[i * 3 + c]! * (1 - a)
    }
  }
  const blurredAlpha = boxBlur(alpha, w, h, 1, k)
  const blurredFA = boxBlur(fa, w, h, 3, k)
  const blurredB1A = boxBlur(b1a, w, h, 3, k)
  const outF = new Float32Array(n * 3)
  const outB = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    const a = alpha[i]!
    const ba = blurredAlpha[i]!
    for (let c = 0; c < 3; c++) {
      const p = i * 3 + c
      const bf = blurredFA[p]! / (ba + 1e-5)
      const bb = blurredB1A[p]! / (1 - ba + 1e-5)
      outB[p] = bb
      outF[p] = clamp01(bf + a * (image[p]! - a * bf - (1 - a) * bb))
    }
  }
  return [outF, outB]
}

/**
 * Estimates the foreground colours of an image from its matte.
 *
 * @param image - the decoded image (`MatteResult.image`)
 * @param matte - its matte (`MatteResult.matte`)
 * @param options - the method and its parameters
 * @returns the estimated foreground, 8-bit RGB (use it instead of `image` for cut-outs and composites)
 * @throws {@link MatteError} `INVALID_INPUT` when sizes differ, `INVALID_OPTION` for a bad method or radius
 * @example
 * ```ts
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const fg = estimateForeground(image, matte)          // no halo from the old background
 * const clean = composite(fg, matte, { type: 'color', color: [0, 177, 64] })
 * ```
 */
export function estimateForeground(image: RgbImage, matte: Matte, options: ForegroundOptions = {}): RgbImage {
  checkPair(image, matte)
  const method = options.method ?? 'ml'
  if (method !== 'ml' && method !== 'blur-fusion') {
    throw new MatteError('INVALID_OPTION', `Unknown foreground method "${String(method)}": use "ml" or "blur-fusion".`)
  }
  const radius = options.radius ?? 90
  if (!(Number.isInteger(radius) && radius >= 1)) {
    throw new MatteError('INVALID_OPTION', `The blur-fusion radius must be a positive integer, got ${String(options.radius)}.`)
  }
  const { width: w, height: h } = image
  const n = w * h
  const img = new Float32Array(n * 3)
  for (let i = 0; i < n * 3; i++) img[i] = image.data[i]! / 255
  const alpha = new Float32Array(n)
  for (let i = 0; i < n; i++) alpha[i] = matte.data[i]! / 255
  let F: Float32Array
  if (method === 'ml') {
    F = estimateMl(img, alpha, w, h, options)
  } else {
    const [f1, b1] = blurFusionPass(img, img, img, alpha, w, h, radius)
    F = blurFusionPass(img, f1, b1, alpha, w, h, 6)[0]
  }
  const data = new Uint8Array(n * 3)
  for (let i = 0; i < n * 3; i++) data[i] = Math.round(F[i]! * 255)
  return { data, width: w, height: h }
}
