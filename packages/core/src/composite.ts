/**
 * What users do with a matte: cut the subject out, or put it in front of another background
 * (a colour, an image, or a blurred copy of the original). Pure pixel code, shared by every adapter.
 */
import { MatteError } from './errors.js'
import type { Matte, RgbaImage, RgbImage, Size } from './image.js'
import { resizeArea } from './resample/area.js'
import { resizeBilinear } from './resample/bilinear.js'
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

/** round(x / 255) for x in [0, 255 * 255], without a division. */
const div255 = (x: number): number => (x + 128 + ((x + 128) >> 8)) >> 8

/**
 * Cuts the subject out: the image's RGB with the matte as straight alpha.
 *
 * @param image - the decoded image (`MatteResult.image`)
 * @param matte - its matte (`MatteResult.matte`)
 * @param options - `foreground: 'estimate'` removes the old background's tint from soft edges
 * @returns RGBA pixels, alpha = matte
 * @example
 * ```ts
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const rgba = cutout(image, matte) // write it as PNG to keep the transparency
 * ```
 */
export function cutout(image: RgbImage, matte: Matte, options: ComposeOptions = {}): RgbaImage {
  checkPair(image, matte)
  const n = image.width * image.height
  const src = foregroundOf(image, matte, options).data
  const a = matte.data
  const out = new Uint8Array(n * 4)
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
    out[k] = src[j]!
    out[k + 1] = src[j + 1]!
    out[k + 2] = src[j + 2]!
    out[k + 3] = a[i]!
  }
  return { data: out, width: image.width, height: image.height }
}

/**
 * Places the subject over a new background: `out = fg * a + bg * (1 - a)` per channel, rounded.
 *
 * @param image - the decoded image (`MatteResult.image`)
 * @param matte - its matte (`MatteResult.matte`)
 * @param background - a colour, a same-size image, or `blur` (a blurred copy of `image`)
 * @param options - `foreground: 'estimate'` removes the old background's tint from soft edges
 * @returns the composite, same size as the image
 * @throws {@link MatteError} `INVALID_INPUT` when sizes differ
 * @example
 * ```ts
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const green = composite(image, matte, { type: 'color', color: [0, 177, 64] })
 * const bokeh = composite(image, matte, { type: 'blur' })
 * const clean = composite(image, matte, { type: 'color', color: [255, 255, 255] }, { foreground: 'estimate' })
 * ```
 */
export function composite(image: RgbImage, matte: Matte, background: Background, options: ComposeOptions = {}): RgbImage {
  checkPair(image, matte)
  const n = image.width * image.height
  const fg = foregroundOf(image, matte, options).data
  const a = matte.data
  const out = new Uint8Array(n * 3)
  if (background.type === 'color') {
    const [r, g, b] = background.color
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const al = a[i]!
      const ia = 255 - al
      out[j] = div255(fg[j]! * al + r * ia)
      out[j + 1] = div255(fg[j + 1]! * al + g * ia)
      out[j + 2] = div255(fg[j + 2]! * al + b * ia)
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
      out[j] = div255(fg[j]! * al + bg[j]! * ia)
      out[j + 1] = div255(fg[j + 1]! * al + bg[j + 1]! * ia)
      out[j + 2] = div255(fg[j + 2]! * al + bg[j + 2]! * ia)
    }
  }
  return { data: out, width: image.width, height: image.height }
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
  const r = Math.round(radius ?? defaultBlurRadius(image.width, image.height))
  if (!Number.isFinite(r) || r < 0) {
    throw new MatteError('INVALID_OPTION', `The blur radius must be a non-negative number, got ${String(radius)}.`)
  }
  const { width: w, height: h } = image
  const a = Uint8Array.from(image.data)
  if (r === 0) return { data: a, width: w, height: h }
  const b = new Uint8Array(a.length)
  for (let pass = 0; pass < 3; pass++) {
    boxPass(a, b, w, h, r, 3, w * 3) // horizontal
    boxPass(b, a, h, w, r, w * 3, 3) // vertical (rows and columns swapped through strides)
  }
  return { data: a, width: w, height: h }
}

/**
 * One box-filter pass along lines of `len` pixels, `lines` of them. `step` is the stride between
 * neighbouring pixels of a line, `lineStep` between lines; 3 interleaved channels.
 */
function boxPass(src: Uint8Array, dst: Uint8Array, len: number, lines: number, r: number, step: number, lineStep: number): void {
  const win = 2 * r + 1
  const last = len - 1
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep
    for (let c = 0; c < 3; c++) {
      const o = base + c
      // Window sum around x = 0 with edge clamping.
      let sum = src[o]! * (r + 1)
      for (let k = 1; k <= r; k++) sum += src[o + Math.min(k, last) * step]!
      for (let x = 0; x < len; x++) {
        dst[o + x * step] = ((sum + (win >> 1)) / win) | 0
        const add = Math.min(x + r + 1, last)
        const sub = Math.max(x - r, 0)
        sum += src[o + add * step]! - src[o + sub * step]!
      }
    }
  }
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
