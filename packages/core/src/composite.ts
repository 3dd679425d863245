/**
 * What users do with a matte: cut the subject out, or put it in front of another background
 * (a colour, an image, or a blurred copy of the original). Pure pixel code, shared by every adapter.
 */
import { MatteError } from './errors.js'
import type { Matte, RgbaImage, RgbImage, Size } from './image.js'
import { resizeArea } from './resample/area.js'
import { bilinearRows, bilinearTable, resizeBilinear } from './resample/bilinear.js'
import { wasmKernels } from './wasm/kernels.js'
import { estimateForeground, type ForegroundOptions } from './foreground.js'

/** An RGB colour as three 0-255 integers. */
export type Rgb = readonly [number, number, number]

/**
 * A background to composite over.
 * - `{ type: 'color', color }`: a flat colour;
 * - `{ type: 'image', image }`: an image of exactly the same size as the input (see {@link fitCover});
 * - `{ type: 'blur', radius? }`: the input itself, blurred (a "portrait mode" effect).
 */
export type Background =
  | { readonly type: 'color'; readonly color: Rgb }
  | { readonly type: 'image'; readonly image: RgbImage }
  | { readonly type: 'blur'; readonly radius?: number }

/** Options of {@link cutout} and {@link composite}. */
export interface ComposeOptions {
  /**
   * Which foreground colours to use at the subject's soft edges:
   * - `'observed'`: the input's pixels as they are (edges keep a tint of the old background);
   * - `'estimate'`: estimated foreground colours ({@link estimateForeground}, multi-level method),
   *   which removes that halo;
   * - an object: `'estimate'` with those {@link ForegroundOptions} (e.g. `{ method: 'blur-fusion' }`).
   * @defaultValue `'observed'`
   */
  readonly foreground?: 'observed' | 'estimate' | ForegroundOptions
}

function foregroundOf(image: RgbImage, matte: Matte, options: ComposeOptions): RgbImage {
  const f = options.foreground ?? 'observed'
  if (f === 'observed') return image
  if (f === 'estimate') return estimateForeground(image, matte)
  if (typeof f === 'object' && f !== null) return estimateForeground(image, matte, f)
  throw new MatteError('INVALID_OPTION', `foreground must be 'observed', 'estimate' or estimator options, got ${String(f)}.`)
}

function checkPair(image: RgbImage, matte: Matte): void {
  if (image.width !== matte.width || image.height !== matte.height) {
    throw new MatteError(
      'INVALID_INPUT',
      `The matte is ${matte.width}x${matte.height} but the image is ${image.width}x${image.height}; ` +
        'use the image and matte of the same MatteResult.',
    )
  }
}

/**
 * Whether two views share bytes of one buffer. Views of different `SharedArrayBuffer` objects over
 * the same memory are not detected; inputs that are not views are left to the callers' own checks.
 */
const overlaps = (a: Uint8Array, b: unknown): boolean =>
  ArrayBuffer.isView(b) &&
  a.buffer === b.buffer &&
  a.byteLength > 0 &&
  b.byteLength > 0 &&
  a.byteOffset < b.byteOffset + b.byteLength &&
  b.byteOffset < a.byteOffset + a.byteLength

/** The array a result goes into: `out` when given (checked), else a new one. */
function outputArray(out: Uint8Array | undefined, length: number, inputs: readonly unknown[]): Uint8Array {
  if (out === undefined) return new Uint8Array(length)
  if (!(out instanceof Uint8Array) || out.length !== length) {
    const got = out instanceof Uint8Array ? `${out.length} bytes` : ArrayBuffer.isView(out) ? (out as object).constructor.name : typeof out
    throw new MatteError('INVALID_INPUT', `out must be a Uint8Array of ${length} bytes for this image, got ${got}.`)
  }
  if (inputs.some((d) => overlaps(out, d))) {
    throw new MatteError('INVALID_INPUT', 'out must not share memory with the image, the matte or the background: pass a buffer of its own.')
  }
  return out
}

/** round(x / 255) for x in [0, 255 * 255], without a division. */
const div255 = (x: number): number => (x + 128 + ((x + 128) >> 8)) >> 8

/**
 * Cuts the subject out: the image's RGB with the matte as straight alpha.
 *
 * @param image - the decoded image (`MatteResult.image`)
 * @param matte - its matte (`MatteResult.matte`)
 * @param options - `foreground: 'estimate'` removes the old background's tint from soft edges
 * @param out - where to write the `width * height * 4` bytes (e.g. a buffer reused from frame to
 *   frame, which spares the allocation): a `Uint8Array` (for an `ImageData`, pass
 *   `new Uint8Array(imageData.data.buffer)`); a new array when omitted
 * @returns RGBA pixels, alpha = matte
 * @throws {@link MatteError} `INVALID_INPUT` when sizes differ, or `out` has the wrong length or
 *   shares memory with an input (checked for views of the same buffer)
 * @example
 * ```ts
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const rgba = cutout(image, matte) // write it as PNG to keep the transparency
 * ```
 */
export function cutout(image: RgbImage, matte: Matte, options: ComposeOptions = {}, out?: Uint8Array): RgbaImage {
  checkPair(image, matte)
  const n = image.width * image.height
  const dst = outputArray(out, n * 4, [image.data, matte.data])
  const src = foregroundOf(image, matte, options).data
  const a = matte.data
  if (!wasmKernels()?.interleaveRgba(src, a, dst, n)) interleaveRgba(src, a, dst, n)
  return { data: dst, width: image.width, height: image.height }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** RGB and alpha to RGBA: one 32-bit store per pixel where the platform is little-endian. */
function interleaveRgba(src: Uint8Array, a: Uint8Array, out: Uint8Array, n: number): void {
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const words = new Uint32Array(out.buffer, out.byteOffset, n)
    for (let i = 0, j = 0; i < n; i++, j += 3) words[i] = (src[j]! | (src[j + 1]! << 8) | (src[j + 2]! << 16) | (a[i]! << 24)) >>> 0
    return
  }
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
    out[k] = src[j]!
    out[k + 1] = src[j + 1]!
    out[k + 2] = src[j + 2]!
    out[k + 3] = a[i]!
  }
}

/**
 * Places the subject over a new background: `out = fg * a + bg * (1 - a)` per channel, rounded.
 *
 * @param image - the decoded image (`MatteResult.image`)
 * @param matte - its matte (`MatteResult.matte`)
 * @param background - a colour, a same-size image, or `blur` (a blurred copy of `image`)
 * @param options - `foreground: 'estimate'` removes the old background's tint from soft edges
 * @param out - where to write the `width * height * 3` bytes (e.g. a buffer reused from frame to
 *   frame); a new array when omitted
 * @returns the composite, same size as the image
 * @throws {@link MatteError} `INVALID_INPUT` when sizes differ, or `out` has the wrong length or
 *   shares memory with an input (checked for views of the same buffer)
 * @example
 * ```ts
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const green = composite(image, matte, { type: 'color', color: [0, 177, 64] })
 * const bokeh = composite(image, matte, { type: 'blur' })
 * const clean = composite(image, matte, { type: 'color', color: [255, 255, 255] }, { foreground: 'estimate' })
 * ```
 */
export function composite(image: RgbImage, matte: Matte, background: Background, options: ComposeOptions = {}, out?: Uint8Array): RgbImage {
  checkPair(image, matte)
  const n = image.width * image.height
  const dst = outputArray(out, n * 3, background.type === 'image' ? [image.data, matte.data, background.image.data] : [image.data, matte.data])
  const fg = foregroundOf(image, matte, options).data
  const a = matte.data
  if (background.type === 'color') {
    const [r, g, b] = background.color
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const al = a[i]!
      const ia = 255 - al
      dst[j] = div255(fg[j]! * al + r * ia)
      dst[j + 1] = div255(fg[j + 1]! * al + g * ia)
      dst[j + 2] = div255(fg[j + 2]! * al + b * ia)
    }
  } else {
    const bgImage = background.type === 'image' ? background.image : blur(image, background.radius)
    if (bgImage.width !== image.width || bgImage.height !== image.height) {
      throw new MatteError(
        'INVALID_INPUT',
        `The background is ${bgImage.width}x${bgImage.height} but the image is ${image.width}x${image.height}; ` +
          'resize it first (fitCover does that).',
      )
    }
    const bg = bgImage.data
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const al = a[i]!
      const ia = 255 - al
      dst[j] = div255(fg[j]! * al + bg[j]! * ia)
      dst[j + 1] = div255(fg[j + 1]! * al + bg[j + 1]! * ia)
      dst[j + 2] = div255(fg[j + 2]! * al + bg[j + 2]! * ia)
    }
  }
  return { data: dst, width: image.width, height: image.height }
}

/**
 * {@link composite} over a background given at another size (typically a reduced one, such as
 * {@link reducedBlur}'s), enlarged to the image's size bilinearly ({@link resizeBilinear}) on the
 * fly: the same result bit for bit as `composite(image, matte, { type: 'image', image: enlarged })`,
 * without making or reading the full-size background (at 720p: 10-11 ms in WebAssembly, 15-16 ms
 * in JavaScript, against 20 for the two steps).
 *
 * @param image - the original image
 * @param matte - its matte, same size
 * @param background - the background at any size; it is stretched to the image's size (no crop:
 *   keep its aspect ratio, or crop it first)
 * @param options - which foreground colours to use
 * @param out - where to write the `width * height * 3` bytes (e.g. a buffer reused from frame to
 *   frame); a new array when omitted
 * @returns an RGB image of the image's size
 * @throws {@link MatteError} `INVALID_INPUT` when the matte's size differs from the image's, the
 *   background's data does not match its size, or `out` has the wrong length or shares memory with
 *   an input (checked for views of the same buffer)
 *
 * @example
 * ```ts
 * import { compositeScaled, reducedBlur } from '@mattekit/core'
 *
 * // A video frame over a blurred copy of itself, blurred at a reduced size:
 * const frame = compositeScaled(image, matte, reducedBlur(image))
 * ```
 */
export function compositeScaled(image: RgbImage, matte: Matte, background: RgbImage, options: ComposeOptions = {}, out?: Uint8Array): RgbImage {
  checkPair(image, matte)
  const { width: bw, height: bh, data: bg } = background
  if (!(Number.isSafeInteger(bw) && Number.isSafeInteger(bh) && bw > 0 && bh > 0) || !(bg instanceof Uint8Array) || bg.length !== bw * bh * 3) {
    throw new MatteError('INVALID_INPUT', `The background must be RGB pixels of its size (${String(bw)}x${String(bh)}).`)
  }
  const { width: w, height: h } = image
  const dst = outputArray(out, w * h * 3, [image.data, matte.data, bg])
  const fg = foregroundOf(image, matte, options).data
  const a = matte.data
  const wasm = wasmKernels()
  if (wasm === undefined || !wasm.compositeScaled(fg, a, bg, bw, bh, w, h, bilinearTable(bw, w, 3), dst)) bilinearRows(bg, background, image, 3, (y, top, bottom, wy) => blendRow(fg, a, top, bottom, wy, dst, y * w, w))
  return { data: dst, width: w, height: h }
}

/** One row of {@link compositeScaled}: the background sample as resizeBilinear rounds it, then composite's blend. */
function blendRow(fg: Uint8Array, a: Uint8Array, top: Float64Array, bottom: Float64Array, wy: number, out: Uint8Array, p0: number, w: number): void {
  for (let x = 0, p = p0, j = p0 * 3, i = 0; x < w; x++, p++, j += 3, i += 3) {
    const al = a[p]!
    const ia = 255 - al
    let t = top[i]!
    out[j] = div255(fg[j]! * al + ((t + (bottom[i]! - t) * wy + 0.5) | 0) * ia)
    t = top[i + 1]!
    out[j + 1] = div255(fg[j + 1]! * al + ((t + (bottom[i + 1]! - t) * wy + 0.5) | 0) * ia)
    t = top[i + 2]!
    out[j + 2] = div255(fg[j + 2]! * al + ((t + (bottom[i + 2]! - t) * wy + 0.5) | 0) * ia)
  }
}

/**
 * Scales and centre-crops an image so it covers `size` exactly (CSS `object-fit: cover`). A larger
 * image is reduced with INTER_AREA (no aliasing); a smaller one is enlarged bilinearly
 * ({@link resizeBilinear}), since INTER_AREA enlarges by repeating pixels, in blocks. Use it to
 * prepare an image background for {@link composite}.
 *
 * @param image - the background image
 * @param size - the size to cover (usually the input image's)
 * @returns a new image of exactly `size`
 *
 * @example
 * ```ts
 * import { composite, fitCover } from '@mattekit/node'
 *
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const beach = await decodeImage('beach.jpg') // any size
 * const out = composite(image, matte, { type: 'image', image: fitCover(beach, image) })
 * ```
 */
export function fitCover(image: RgbImage, size: Size): RgbImage {
  const { width: W, height: H } = image
  if (W === size.width && H === size.height) return image
  const scale = Math.max(size.width / W, size.height / H)
  const cw = Math.min(W, Math.max(1, Math.round(size.width / scale)))
  const ch = Math.min(H, Math.max(1, Math.round(size.height / scale)))
  const x0 = (W - cw) >> 1
  const y0 = (H - ch) >> 1
  let crop = image.data
  if (cw !== W || ch !== H) {
    crop = new Uint8Array(cw * ch * 3)
    for (let y = 0; y < ch; y++) {
      const from = ((y0 + y) * W + x0) * 3
      crop.set(image.data.subarray(from, from + cw * 3), y * cw * 3)
    }
  }
  const cropSize = { width: cw, height: ch }
  const enlarging = cw < size.width || ch < size.height
  const data = enlarging ? resizeBilinear(crop, cropSize, size, 3) : resizeArea(crop, cropSize, size, 3)
  return { data, width: size.width, height: size.height }
}

/**
 * The default blur radius for an image: 2% of its longer side, at least 2 pixels.
 *
 * @example
 * ```ts
 * import { blur, defaultBlurRadius } from '@mattekit/core'
 *
 * defaultBlurRadius(1920, 1080) // 38: 2% of the longer side
 * const softer = blur(image, 2 * defaultBlurRadius(image.width, image.height))
 * ```
 */
export function defaultBlurRadius(width: number, height: number): number {
  return Math.max(2, Math.round(0.02 * Math.max(width, height)))
}

/**
 * A fast Gaussian-like blur: three box passes per axis (running sums, O(1) per pixel whatever the
 * radius), edges clamped.
 *
 * @param image - RGB pixels
 * @param radius - box radius in pixels; the result approximates a Gaussian of sigma ~ radius.
 *   Defaults to {@link defaultBlurRadius}.
 * @returns a new, blurred image
 *
 * @example
 * ```ts
 * import { blur, composite } from '@mattekit/node'
 *
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const bokeh = composite(image, matte, { type: 'image', image: blur(image, 24) })
 * // the same as composite(image, matte, { type: 'blur', radius: 24 })
 * ```
 */
export function blur(image: RgbImage, radius?: number): RgbImage {
  const r = blurRadius(image, radius)
  const { width: w, height: h } = image
  const a = Uint8Array.from(image.data)
  if (r > 0) boxBlur(a, w, h, [r, r, r])
  return { data: a, width: w, height: h }
}

/**
 * {@link blur} made at a reduced size, for real-time backgrounds: the image is reduced by a factor
 * of up to 8 (INTER_AREA), blurred there by three box passes whose combined spread matches the
 * full-size blur of `radius`, and returned at that size. Enlarge it bilinearly to use it:
 * {@link compositeScaled} does that while compositing, or {@link resizeBilinear}. A blur this wide
 * has no detail the reduced size loses: enlarged, it differs from `blur(image, radius)` by under a
 * level on average (0.69 on a 720p photo at the default radius, largest difference 13) for a
 * twelfth of the work (6.6 ms instead of 83 on the machine of docs/performance.md).
 *
 * The factor is the power of two at or below `sigma / 2` (up to 4), or `sigma / 3` (up to 8)
 * when that is larger, where `sigma = sqrt(r (r + 1))` is the full-size blur's spread; below a
 * sigma of 4 (radius 3 and less) this is `blur` itself, at full size.
 *
 * @param image - RGB pixels
 * @param radius - the radius of the full-size {@link blur} it stands for; default
 *   {@link defaultBlurRadius}
 * @returns a new image, at most 8 times smaller on each side
 * @throws {@link MatteError} `INVALID_OPTION` when the radius is negative or not a number
 *
 * @example
 * ```ts
 * import { compositeScaled, reducedBlur } from '@mattekit/core'
 *
 * const background = reducedBlur(frame) // 160x90 for a 1280x720 frame
 * const out = compositeScaled(frame, matte, background)
 * ```
 */
export function reducedBlur(image: RgbImage, radius?: number): RgbImage {
  const r = blurRadius(image, radius)
  const sigma = Math.sqrt(r * (r + 1))
  const wanted = Math.max(1, Math.min(4, Math.floor(sigma / 2)), Math.min(8, Math.floor(sigma / 3)))
  // A power of two: frame sizes divide by it, so the reduction is a plain block average.
  const f = 2 ** Math.floor(Math.log2(wanted))
  if (f === 1) return blur(image, r)
  const size = { width: Math.max(1, Math.round(image.width / f)), height: Math.max(1, Math.round(image.height / f)) }
  const small = resizeArea(image.data, image, size, 3)
  // The variance left to add at the reduced size, in its pixels: the full blur's r (r + 1), less
  // about a quarter of a pixel that the reduction's box and the enlargement's tent add.
  boxBlur(small, size.width, size.height, boxRadii(Math.max(0, (r * (r + 1)) / (f * f) - 0.25)))
  return { data: small, ...size }
}

/**
 * Three box radii whose variances, `r (r + 1) / 3` each, add up closest to `variance`: two
 * neighbouring radii mixed, so that the spread is not rounded to a whole radius.
 */
function boxRadii(variance: number): [number, number, number] {
  const boxVariance = (r: number): number => (r * (r + 1)) / 3
  let best: [number, number, number] = [0, 0, 0]
  let error = Infinity
  for (let low = 0; low <= Math.ceil(Math.sqrt(variance)) + 1; low++) {
    for (let wide = 0; wide <= 3; wide++) {
      const radii = [0, 1, 2].map((i) => (i < wide ? low + 1 : low)) as [number, number, number]
      const e = Math.abs(radii.reduce((sum, r) => sum + boxVariance(r), 0) - variance)
      if (e < error) {
        error = e
        best = radii
      }
    }
  }
  return best
}

/** The whole radius `blur` and `reducedBlur` use: the given one rounded, or the default. */
function blurRadius(image: RgbImage, radius: number | undefined): number {
  const r = Math.round(radius ?? defaultBlurRadius(image.width, image.height))
  if (!Number.isFinite(r) || r < 0) {
    throw new MatteError('INVALID_OPTION', `The blur radius must be a non-negative number, got ${String(radius)}.`)
  }
  return r
}

/** Three box passes per axis, in place; `radii` per pass. */
function boxBlur(a: Uint8Array, w: number, h: number, radii: readonly [number, number, number]): void {
  const b = new Uint8Array(a.length)
  const sums = new Float64Array(w * 3) // exact integers; 255 (2r + 1) passes int32 for r above 4 million
  for (const r of radii) {
    boxRows(a, b, w, h, r)
    boxColumns(b, a, w, h, r, sums)
  }
}

/** One horizontal box pass (radius `r`, edges clamped, rounded half up) over RGB rows. */
function boxRows(src: Uint8Array, dst: Uint8Array, w: number, h: number, r: number): void {
  const win = 2 * r + 1
  const half = win >> 1
  const last = w - 1
  for (let y = 0; y < h; y++) {
    for (let c = 0; c < 3; c++) {
      const o = y * w * 3 + c
      // Window sum around x = 0 with edge clamping.
      let sum = src[o]! * (r + 1)
      for (let k = 1; k <= r; k++) sum += src[o + Math.min(k, last) * 3]!
      for (let x = 0; x < w; x++) {
        dst[o + x * 3] = ((sum + half) / win) | 0
        sum += src[o + Math.min(x + r + 1, last) * 3]! - src[o + Math.max(x - r, 0) * 3]!
      }
    }
  }
}

/**
 * One vertical box pass, the same arithmetic as {@link boxRows} down each column, computed a row
 * at a time with a running sum per column: memory is read in order (walking a column of a 720p
 * frame touches a new cache line per sample, which made the pass four times slower).
 */
function boxColumns(src: Uint8Array, dst: Uint8Array, w: number, h: number, r: number, sums: Float64Array): void {
  const win = 2 * r + 1
  const half = win >> 1
  const last = h - 1
  const rowLen = w * 3
  for (let i = 0; i < rowLen; i++) sums[i] = src[i]! * (r + 1)
  for (let k = 1; k <= r; k++) addRow(sums, src, Math.min(k, last) * rowLen, rowLen)
  for (let y = 0; y < h; y++) {
    const o = y * rowLen
    const add = Math.min(y + r + 1, last) * rowLen
    const sub = Math.max(y - r, 0) * rowLen
    for (let i = 0; i < rowLen; i++) {
      const sum = sums[i]!
      dst[o + i] = ((sum + half) / win) | 0
      sums[i] = sum + src[add + i]! - src[sub + i]!
    }
  }
}

function addRow(sums: Float64Array, src: Uint8Array, base: number, rowLen: number): void {
  for (let i = 0; i < rowLen; i++) sums[i]! += src[base + i]!
}

const NAMED: Record<string, Rgb> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  red: [255, 0, 0],
  green: [0, 128, 0],
  blue: [0, 0, 255],
  grey: [128, 128, 128],
  gray: [128, 128, 128],
  greenscreen: [0, 177, 64],
}

/**
 * Parses a colour: `#rgb`, `#rrggbb`, `rgb(r, g, b)` or a name (`black`, `white`, `red`, `green`,
 * `blue`, `grey`, `greenscreen`).
 *
 * @param text - the colour as text
 * @returns the colour, or `undefined` when `text` is not a colour
 *
 * @example
 * ```ts
 * import { parseColor } from '@mattekit/core'
 *
 * parseColor('#00b140')           // [0, 177, 64]
 * parseColor('rgb(255, 255, 255)') // [255, 255, 255]
 * parseColor('white')             // [255, 255, 255]
 * parseColor('nonsense')          // undefined
 * ```
 */
export function parseColor(text: string): Rgb | undefined {
  const s = text.trim().toLowerCase()
  const named = NAMED[s]
  if (named) return named
  let m = /^#([0-9a-f]{3})$/.exec(s)
  if (m) {
    const [r, g, b] = [...m[1]!].map((d) => parseInt(d + d, 16))
    return [r!, g!, b!]
  }
  m = /^#([0-9a-f]{6})$/.exec(s)
  if (m) {
    const v = parseInt(m[1]!, 16)
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
  }
  m = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.exec(s)
  if (m) {
    const rgb = [Number(m[1]), Number(m[2]), Number(m[3])]
    if (rgb.every((v) => v <= 255)) return rgb as unknown as Rgb
  }
  return undefined
}
