/**
 * Turning results into files: PNG encoding and the output kinds of the CLI (alpha, cut-out,
 * composite), with backgrounds given as a colour, an image or `blur`.
 */
import {
  MatteError,
  composite,
  cutout,
  encodePng as encodePngFast,
  fitCover,
  parseColor,
  type Background,
  type ComposeOptions,
  type Matte,
  type MatteResult,
  type RgbaImage,
  type RgbImage,
} from '@mattekit/core'
import sharp from 'sharp'
import { decodeImage } from './image-io.js'

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /**
   * A zlib level, 0-9, to encode through libvips (sharp) instead of MatteKit's own encoder: higher
   * is smaller and slower. Leave it out for the default, core's {@link @mattekit/core!encodePng}:
   * PNG's Up filter with run-length and Huffman deflate, 2-3x faster than libvips at level 1 (its
   * fastest useful setting) on mattes, and its files are about half the size. The pixels are the
   * same either way. MatteKit's encoder runs on the calling thread (about 4.5 ms for a 1080p matte);
   * libvips runs on libuv's thread pool.
   */
  readonly compressionLevel?: number
}

/**
 * Encodes pixels as PNG: a {@link Matte} becomes an 8-bit grey PNG, RGB an RGB PNG, RGBA an RGBA PNG.
 *
 * @param image - a matte, RGB or RGBA pixels
 * @param options - PNG options
 * @returns the PNG file's bytes
 * @throws {@link MatteError} `INVALID_INPUT` when the data is not 1, 3 or 4 bytes per pixel; `OUTPUT` when encoding fails
 * @example
 * ```ts
 * const { matte } = await matter.matte('portrait.jpg')
 * await writeFile('alpha.png', await encodePng(matte))
 * ```
 */
export async function encodePng(image: Matte | RgbImage | RgbaImage, options: EncodePngOptions = {}): Promise<Buffer> {
  const { width, height, data } = image
  const channels = data.length / (width * height)
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new MatteError('INVALID_INPUT', `Cannot encode ${data.length} bytes as a ${width}x${height} image.`)
  }
  const level = options.compressionLevel
  if (level === undefined) {
    const png = encodePngFast(image)
    return Buffer.from(png.buffer, png.byteOffset, png.length)
  }
  if (!(Number.isInteger(level) && level >= 0 && level <= 9)) {
    throw new MatteError('INVALID_OPTION', `compressionLevel must be an integer from 0 to 9, got ${String(level)}.`)
  }
  try {
    const img = sharp(data, { raw: { width, height, channels } })
    // One channel must stay one channel (sharp would otherwise widen grey raw input to sRGB).
    if (channels === 1) img.toColourspace('b-w')
    return await img.png({ compressionLevel: level, adaptiveFiltering: false }).toBuffer()
  } catch (error) {
    throw new MatteError('OUTPUT', `PNG encoding failed: ${(error as Error).message}`, { cause: error })
  }
}

/** The kinds of output the CLI and {@link renderOutput} produce. */
export type OutputKind = 'alpha' | 'cutout' | 'composite'

/**
 * Resolves a background given as text, as the CLI's `--background` takes it: `blur`, a colour
 * (`#00b140`, `rgb(0,177,64)`, `white`...), or a path to an image (scaled to cover the input).
 *
 * @param spec - the text
 * @param size - the size of the image it will go behind
 * @returns a {@link Background} for `composite`
 * @throws {@link MatteError} when an image path cannot be decoded
 *
 * @example
 * ```ts
 * import { composite, resolveBackground } from '@mattekit/node'
 *
 * const { image, matte } = await matter.matte('portrait.jpg')
 * const background = await resolveBackground('beach.jpg', image) // or 'blur:20', '#00b140', 'white'
 * const out = composite(image, matte, background)
 * ```
 */
export async function resolveBackground(spec: string, size: { width: number; height: number }): Promise<Background> {
  const [kind, arg] = spec.split(':', 2)
  if (kind === 'blur') {
    const radius = arg === undefined ? undefined : Number(arg)
    if (radius !== undefined && !(Number.isFinite(radius) && radius >= 0)) {
      throw new MatteError('INVALID_OPTION', `--background blur:<radius> needs a non-negative number, got "${arg}".`)
    }
    return { type: 'blur', radius }
  }
  const color = parseColor(spec)
  if (color) return { type: 'color', color }
  const image = await decodeImage(spec)
  return { type: 'image', image: fitCover(image, size) }
}

/**
 * Encodes one result as the CLI writes it: `alpha` (8-bit grey matte PNG), `cutout` (RGBA PNG)
 * or `composite` (RGB PNG over `background`).
 *
 * @param result - a {@link MatteResult}
 * @param kind - which output
 * @param background - for `composite`: a {@link Background}, or text as {@link resolveBackground} takes
 * @param options - PNG options, and `foreground: 'estimate'` to remove the old background's tint at soft edges
 * @returns PNG bytes
 *
 * @example
 * ```ts
 * import { createMatter, renderOutput } from '@mattekit/node'
 *
 * const result = await matter.matte('portrait.jpg')
 * await writeFile('cutout.png', await renderOutput(result, 'cutout', undefined, { foreground: 'estimate' }))
 * await writeFile('green.png', await renderOutput(result, 'composite', '#00b140'))
 * ```
 */
export async function renderOutput(
  result: MatteResult,
  kind: OutputKind,
  background: Background | string = 'blur',
  options: EncodePngOptions & ComposeOptions = {},
): Promise<Buffer> {
  const { image, matte } = result
  switch (kind) {
    case 'alpha':
      return encodePng(matte, options)
    case 'cutout':
      return encodePng(cutout(image, matte, options), options)
    case 'composite': {
      const bg = typeof background === 'string' ? await resolveBackground(background, image) : background
      return encodePng(composite(image, matte, bg, options), options)
    }
    default:
      throw new MatteError('INVALID_OPTION', `Unknown output kind "${String(kind)}": use alpha, cutout or composite.`)
  }
}
