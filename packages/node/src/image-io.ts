/**
 * Decoding for Node: encoded JPEG, PNG and WebP to the 8-bit RGB that MODNet's official ONNX
 * script reads, i.e. what `cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)`
 * gives. Built on sharp (libvips) and checked against Debian's OpenCV 4.6 on the fixtures in
 * `fixtures/variants` (see `image-io.test.ts`).
 *
 * What "as OpenCV does" means here, format by format:
 * - EXIF orientation is applied for JPEG and PNG (`eXIf`), as `cv2.imread` does. It is **not**
 *   applied for WebP: OpenCV 4.6 ignores a WebP's EXIF, so the official pipeline sees the stored
 *   pixels (measured: `fixtures/variants/rgb-200x120-exif6.webp`).
 * - Grey and grey+alpha are replicated into R, G and B; alpha is dropped without compositing, so
 *   the stored colour under fully transparent pixels is kept; 16-bit samples keep their high byte
 *   (`v >> 8`, libpng's `png_set_strip_16`, not rounding).
 * - No colour management: embedded ICC profiles are ignored, as OpenCV ignores them.
 * - CMYK JPEGs use OpenCV's own CMYK-to-RGB formula (`icvCvt_CMYK2BGR_8u_C4C3R`) on the samples
 *   libjpeg returns, not an ICC conversion: bit-identical on the fixtures, with or without an
 *   Adobe marker or an embedded CMYK profile. (YCCK goes through libjpeg's own YCCK-to-CMYK step
 *   in both libraries first; no YCCK fixture exists.)
 * - Stricter than OpenCV: a truncated JPEG (even one missing only its end marker) is rejected with
 *   `CORRUPT_IMAGE`, where `cv2.imread` returns the image with the missing part grey. TIFF, BMP
 *   and other formats OpenCV can read are `UNSUPPORTED_FORMAT` (convert them to PNG).
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises'
import sharp, { type Metadata, type OutputInfo } from 'sharp'
import { ENCODED_FORMAT_NAMES, MatteError, isMatteError, raceAbort, readImageHeader, sniffImageFormat, throwIfAborted } from '@mattekit/core'
import type { EncodedFormat, EncodedImageHeader, RgbImage } from '@mattekit/core'

/**
 * The default {@link DecodeOptions.maxPixels}: 100 megapixels (10000 x 10000).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_PIXELS, createMatter } from '@mattekit/node'
 *
 * // Trusted scans up to 4x the default, refused before decoding beyond that:
 * const matter = await createMatter({ maxPixels: 4 * DEFAULT_MAX_PIXELS })
 * ```
 */
export const DEFAULT_MAX_PIXELS = 100_000_000

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /**
   * The most pixels (width x height, as stored) an image may declare. A larger one is rejected
   * with `IMAGE_TOO_LARGE` after reading only its header, before any pixel memory is allocated.
   * A positive integer, or `Infinity` for no limit. Default {@link DEFAULT_MAX_PIXELS}.
   */
  readonly maxPixels?: number
  /** Cancels the decode: the promise rejects with an `ABORTED` {@link MatteError}. */
  readonly signal?: AbortSignal
}

/** Undecoded pixels for {@link fromRawPixels}: 8-bit, interleaved, rows top to bottom. */
export interface RawPixels {
  /** `width * height * channels` samples. */
  readonly data: Uint8Array
  /** Width in pixels. */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
  /** 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA. */
  readonly channels: 1 | 2 | 3 | 4
}

/** The formats {@link decodeImage} decodes. */
type Format = EncodedFormat
const FORMAT_NAMES = ENCODED_FORMAT_NAMES

/**
 * Decodes an encoded JPEG, PNG or WebP into 8-bit RGB exactly as MODNet's official pipeline
 * reads it with OpenCV (`cv2.imread(path, cv2.IMREAD_COLOR)` then BGR to RGB): EXIF orientation
 * applied (JPEG, PNG), grey replicated, alpha dropped without compositing, 16-bit reduced to its
 * high byte, no ICC conversion. See the module notes for the few deliberate differences.
 *
 * @param input - a file path, or the bytes of an encoded image
 * @param options - pixel limit and cancellation
 * @returns the oriented image; `data` is a fresh buffer owned by the caller
 * @throws {@link MatteError} with code
 * - `INVALID_INPUT`: not a path or bytes, the file cannot be read, the input is empty, or it is
 *   not an image at all (text, HTML, unknown bytes);
 * - `UNSUPPORTED_FORMAT`: an image in a format other than JPEG, PNG and WebP (GIF, TIFF, BMP,
 *   HEIC/AVIF, ...), or an animated WebP (OpenCV cannot read those either);
 * - `CORRUPT_IMAGE`: truncated or damaged (bad CRC, bad compressed data, missing end marker);
 * - `IMAGE_TOO_LARGE`: the header declares more than `maxPixels` pixels;
 * - `INVALID_OPTION`: `maxPixels` is not a positive integer or `Infinity`;
 * - `ABORTED`: `options.signal` fired.
 *
 * @example
 * ```ts
 * const image = await decodeImage('portrait.jpg', { maxPixels: 50_000_000 })
 * console.log(image.width, image.height, image.data.length) // W, H, W * H * 3
 * ```
 */
export async function decodeImage(input: Uint8Array | string, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = checkMaxPixels(options.maxPixels)
  const { signal } = options
  throwIfAborted(signal)

  let bytes: Uint8Array
  let label: string
  if (typeof input === 'string') {
    label = `The file "${input}"`
    bytes = await readInputFile(input, signal)
  } else if (input instanceof Uint8Array) {
    label = 'The input bytes'
    bytes = input
  } else {
    throw new MatteError(
      'INVALID_INPUT',
      `decodeImage expects a file path (string) or the bytes of an encoded image (Uint8Array or Buffer), ` +
        `got ${describeValue(input)}. Wrap an ArrayBuffer as new Uint8Array(buffer).`,
    )
  }
  throwIfAborted(signal)

  const format = sniffImageFormat(bytes, label)
  if (format === 'png') checkPngChunks(bytes, label)
  if (format === 'webp') checkWebpNotAnimated(bytes, label)

  // Header only: the pixel limit is checked before libvips allocates anything for the pixels. A
  // JPEG's frame header is read here, which spares a libvips header read (0.6-0.7 ms alone; the
  // decode of a 512x512 photo went from 3.56 to 3.43 ms, of a 1080p one from 10.82 to 10.50);
  // PNG and WebP headers are read by libvips.
  let width: number
  let height: number
  let cmyk = false
  // A JPEG whose markers core's reader does not follow (stray bytes between segments, which
  // libjpeg skips with a warning) has its header read by libvips instead.
  const header = format === 'jpeg' ? jpegHeader(bytes, label) : undefined
  if (header) {
    ;({ width, height } = header)
    cmyk = header.components === 4 // libvips reads every 4-component JPEG as CMYK
  } else {
    let meta: Metadata
    try {
      meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata()
    } catch (error) {
      throw decodeError(error, format, label)
    }
    width = meta.width ?? 0
    height = meta.height ?? 0
    if (!(width > 0 && height > 0) || meta.format !== format) {
      throw new MatteError('CORRUPT_IMAGE', `${label} has a ${FORMAT_NAMES[format]} signature but no readable header. Re-export or re-download it.`)
    }
  }
  if (width * height > maxPixels) {
    throw new MatteError(
      'IMAGE_TOO_LARGE',
      `${label} declares ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} ` +
        `(option maxPixels). Downscale it first, or raise maxPixels if you have the memory (about ${Math.ceil((width * height * 3) / 2 ** 20)} MiB for the RGB pixels alone).`,
    )
  }
  throwIfAborted(signal)

  let pipeline = sharp(bytes, {
    failOn: 'error', // truncated and damaged data fail instead of coming back half grey
    limitInputPixels: Number.isFinite(maxPixels) ? maxPixels : false,
    ignoreIcc: true, // OpenCV does no colour management
    sequentialRead: true,
  })
  // OpenCV 4.6 applies EXIF orientation to JPEG and PNG, and ignores it in WebP.
  if (format !== 'webp') pipeline = pipeline.rotate()
  pipeline = cmyk
    ? pipeline.pipelineColourspace('cmyk').toColourspace('cmyk') // the decoded samples, untouched
    : pipeline.removeAlpha().toColourspace('srgb') // replicates grey, 16-bit to its high byte

  let out: { data: Buffer; info: OutputInfo }
  try {
    out = await raceAbort(pipeline.raw().toBuffer({ resolveWithObject: true }), signal)
  } catch (error) {
    if (isMatteError(error)) throw error
    throw decodeError(error, format, label)
  }
  const { data, info } = out
  const channels = cmyk ? 4 : 3
  if (info.channels !== channels || data.length !== info.width * info.height * channels) {
    throw new MatteError(
      'CORRUPT_IMAGE',
      `${label} decoded to an unexpected layout (${info.width}x${info.height}, ${info.channels} channels, ${data.length} bytes).`,
    )
  }
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return {
    data: cmyk ? cmykToRgb(pixels) : pixels,
    width: info.width,
    height: info.height,
  }
}

/**
 * Converts already-decoded 8-bit pixels to {@link RgbImage} with the same rules as
 * {@link decodeImage}: grey is replicated into R, G and B; alpha is dropped without compositing
 * (the stored colour under transparent pixels is kept). Use it for frames from a camera, a video
 * decoder or a canvas (`ImageData` data wrapped as `new Uint8Array(imageData.data.buffer)`).
 *
 * @param raw - the pixels; `data.length` must be `width * height * channels`
 * @returns RGB pixels; for `channels: 3` the same `data` array is returned (no copy), otherwise
 *   a new one
 * @throws {@link MatteError} `INVALID_INPUT` when the sizes, the channel count or the data length
 *   are wrong
 *
 * @example
 * ```ts
 * const { data, info } = await sharp('frame.png').raw().toBuffer({ resolveWithObject: true })
 * const image = fromRawPixels({ data, width: info.width, height: info.height, channels: info.channels })
 * ```
 */
export function fromRawPixels(raw: RawPixels): RgbImage {
  if (typeof raw !== 'object' || raw === null) {
    throw new MatteError('INVALID_INPUT', `fromRawPixels expects { data, width, height, channels }, got ${describeValue(raw)}.`)
  }
  const { data, width, height, channels } = raw
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new MatteError('INVALID_INPUT', `fromRawPixels: width and height must be positive integers, got ${String(width)}x${String(height)}.`)
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new MatteError('INVALID_INPUT', `fromRawPixels: channels must be 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA), got ${String(channels)}.`)
  }
  if (!(data instanceof Uint8Array)) {
    throw new MatteError('INVALID_INPUT', `fromRawPixels: data must be a Uint8Array of 8-bit samples, got ${describeValue(data)}.`)
  }
  const count = width * height
  if (data.length !== count * channels) {
    throw new MatteError(
      'INVALID_INPUT',
      `fromRawPixels: ${width}x${height} with ${channels} channels needs ${count * channels} bytes, got ${data.length}. ` +
        'Rows must be tightly packed (no padding) and samples 8-bit.',
    )
  }
  if (channels === 3) return { data, width, height }
  const rgb = new Uint8Array(count * 3)
  if (channels === 4) {
    for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
      rgb[j] = data[i]!
      rgb[j + 1] = data[i + 1]!
      rgb[j + 2] = data[i + 2]!
    }
  } else {
    for (let i = 0, j = 0; j < rgb.length; i += channels, j += 3) {
      const v = data[i]!
      rgb[j] = v
      rgb[j + 1] = v
      rgb[j + 2] = v
    }
  }
  return { data: rgb, width, height }
}

function jpegHeader(bytes: Uint8Array, label: string): EncodedImageHeader | undefined {
  try {
    return readImageHeader(bytes, label)
  } catch {
    return undefined
  }
}

function checkMaxPixels(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PIXELS
  if (value === Number.POSITIVE_INFINITY) return value
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new MatteError('INVALID_OPTION', `maxPixels must be a positive integer or Infinity, got ${describeValue(value)}.`)
  }
  return value
}

async function readInputFile(path: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (path.length === 0) {
    throw new MatteError('INVALID_INPUT', 'The file path is an empty string. Pass the path of a JPEG, PNG or WebP file, or its bytes.')
  }
  try {
    const buffer = await readFile(path, signal ? { signal } : {})
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  } catch (error) {
    if (signal?.aborted) throwIfAborted(signal)
    const code = (error as { code?: unknown } | null)?.code
    const why =
      code === 'ENOENT'
        ? `does not exist (resolved against the working directory ${process.cwd()}). Check the path.`
        : code === 'EISDIR'
          ? 'is a directory. Pass the path of an image file.'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read: permission denied.'
            : `cannot be read (${error instanceof Error ? error.message : String(error)}).`
    throw new MatteError('INVALID_INPUT', `The file "${path}" ${why}`, { cause: error })
  }
}

const ascii = (bytes: Uint8Array, start: number, text: string): boolean => {
  if (bytes.length < start + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false
  return true
}

const readU32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0

/**
 * Walks the PNG's chunk lengths (no data read) and requires an IEND chunk: libpng (so OpenCV)
 * fails on a PNG cut anywhere, even after its last pixel row, while libvips returns what it got.
 * Bytes after IEND are ignored by both, so they are allowed.
 */
function checkPngChunks(b: Uint8Array, label: string): void {
  let at = 8
  for (;;) {
    if (at + 12 > b.length) break
    const length = readU32(b, at)
    if (length > 0x7fffffff) break
    const end = at + 12 + length
    if (end > b.length) break
    if (ascii(b, at + 4, 'IEND')) return
    at = end
  }
  throw new MatteError(
    'CORRUPT_IMAGE',
    `${label} is a truncated PNG: its data stops at byte ${b.length} before the IEND chunk that ends every PNG. ` +
      'Re-export or re-download the file.',
  )
}

/** OpenCV rejects animated WebP (`WebPGetFeatures` reports `has_animation`): the VP8X flag. */
function checkWebpNotAnimated(b: Uint8Array, label: string): void {
  if (ascii(b, 12, 'VP8X') && b.length > 20 && (b[20]! & 0x02) !== 0) {
    throw new MatteError(
      'UNSUPPORTED_FORMAT',
      `${label} is an animated WebP; MatteKit decodes still images only. Extract one frame (as PNG) and pass that.`,
    )
  }
}

/**
 * OpenCV's `icvCvt_CMYK2BGR_8u_C4C3R` on the samples libjpeg returns (as stored in the file):
 * `R = k - ((255 - c) * k >> 8)`, likewise G from m and B from y. libvips (8.10 and later) hands
 * back every CMYK JPEG's samples inverted, Adobe marker or not (`jpeg2vips.c`: "CMYKs are almost
 * always returned inverted"), so they are inverted back first. Both cases are fixtures.
 */
function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((cmyk.length / 4) * 3)
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    const k = 255 - cmyk[i + 3]!
    // With c = 255 - stored: k - ((255 - stored) * k >> 8) = k - (c * k >> 8).
    rgb[j] = k - ((cmyk[i]! * k) >> 8)
    rgb[j + 1] = k - ((cmyk[i + 1]! * k) >> 8)
    rgb[j + 2] = k - ((cmyk[i + 2]! * k) >> 8)
  }
  return rgb
}

function decodeError(error: unknown, format: Format, label: string): MatteError {
  const detail = error instanceof Error ? error.message : String(error)
  if (/exceeds pixel limit/i.test(detail)) {
    return new MatteError('IMAGE_TOO_LARGE', `${label} has more pixels than the limit (option maxPixels): ${detail}.`, { cause: error })
  }
  const jpegNote =
    format === 'jpeg' && /premature end/i.test(detail)
      ? ' (OpenCV would return it with the missing part filled grey; MatteKit refuses half an image)'
      : ''
  return new MatteError(
    'CORRUPT_IMAGE',
    `${label} could not be decoded as ${FORMAT_NAMES[format]}: the data is truncated or damaged${jpegNote}. ` +
      `Re-export or re-download it. (libvips: ${detail.trim().replace(/\s+/g, ' ')})`,
    { cause: error },
  )
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  return typeof value
}
