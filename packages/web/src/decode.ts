/**
 * Decoding in the browser to the 8-bit RGB MODNet's official script reads with OpenCV
 * (`cv2.imread(IMREAD_COLOR)`, BGR to RGB), MODNET.md section 2 step 1.
 *
 * How, per input:
 * - encoded bytes (Blob, File, URL, bytes): the header is checked first (format, pixel limit,
 *   animation) with core's `readImageHeader`, then `createImageBitmap(blob, { colorSpaceConversion:
 *   'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' })` decodes it and WebGL2 reads
 *   the pixels back unchanged. Measured in Chromium 156 on every fixture: bit-identical to OpenCV
 *   4.6 for JPEG (baseline, progressive, grey, 4:4:4, all 8 EXIF orientations, ICC), PNG (grey,
 *   1-bit, 16-bit, palette, tRNS, RGBA with colour under alpha 0, grey+alpha, iCCP, eXIf) and
 *   WebP (lossy, lossless, alpha, EXIF ignored as OpenCV ignores it). CMYK JPEGs differ by up to 2
 *   levels (Chromium converts CMYK its own way).
 * - ImageBitmap, canvases, video: read back through WebGL2 as they are; what the browser did
 *   when it made them (decoding an `<img>`, premultiplying a 2D canvas, converting video YUV) is
 *   outside MatteKit's control.
 * - ImageData and RGB(A) VideoFrames: the bytes themselves, alpha dropped.
 *
 * @packageDocumentation
 */
import { MatteError, isMatteError, readImageHeader, throwIfAborted, type AbortSignalLike, type RgbImage } from '@mattekit/core'
import { type InputPayload, bitmapOptions, releasePayload } from './payload.js'
import { type PixelReader, rgbaToRgb } from './pixels.js'

/** What {@link decodePayload} needs besides the input. */
export interface DecodeContext {
  /** The most pixels an image may have. */
  readonly maxPixels: number
  /** Cancels the decode between steps. */
  readonly signal?: AbortSignalLike
  /** The WebGL2 reader. */
  readonly reader: PixelReader
}

function checkSize(width: number, height: number, maxPixels: number, label: string): void {
  if (!(width > 0 && height > 0)) {
    throw new MatteError('INVALID_INPUT', `${label} has no pixels (${width}x${height}).`)
  }
  if (width * height > maxPixels) {
    throw new MatteError(
      'IMAGE_TOO_LARGE',
      `${label} is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} (option maxPixels). ` +
        'Downscale it first, or raise maxPixels if the device has the memory.',
    )
  }
}

async function fetchBytes(url: string, signal: AbortSignalLike | undefined): Promise<Blob> {
  let response: Response
  try {
    response = await fetch(url, { signal: signal as AbortSignal | undefined, credentials: 'same-origin' })
  } catch (error) {
    throwIfAborted(signal)
    throw new MatteError(
      'INVALID_INPUT',
      `Could not fetch the image ${url}: ${(error as Error)?.message ?? String(error)}. ` +
        'A cross-origin URL needs CORS headers (Access-Control-Allow-Origin), and on a cross-origin isolated page ' +
        'also Cross-Origin-Resource-Policy.',
      { cause: error },
    )
  }
  if (!response.ok) {
    throw new MatteError('INVALID_INPUT', `Could not fetch the image ${url}: HTTP ${response.status} ${response.statusText}.`.trim())
  }
  return response.blob()
}

async function decodeEncoded(source: Blob | Uint8Array, label: string, ctx: DecodeContext): Promise<RgbImage> {
  const { signal, maxPixels, reader } = ctx
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(await source.arrayBuffer())
  throwIfAborted(signal)
  // Format, size and animation from the header, before the browser allocates any pixels.
  const header = readImageHeader(bytes, label)
  checkSize(header.width, header.height, maxPixels, label)
  const blob = source instanceof Uint8Array ? new Blob([source as Uint8Array<ArrayBuffer>]) : source
  let bitmap: ImageBitmap
  try {
    // The browser sniffs the content; the Blob's declared type does not matter.
    bitmap = await createImageBitmap(blob, bitmapOptions())
  } catch (error) {
    throw new MatteError(
      'CORRUPT_IMAGE',
      `${label} could not be decoded as ${header.format.toUpperCase()}: the data is truncated or damaged. ` +
        `Re-export or re-download it. (browser: ${(error as Error)?.message ?? String(error)})`,
      { cause: error },
    )
  }
  try {
    throwIfAborted(signal)
    const data = reader.readRgb(bitmap, bitmap.width, bitmap.height)
    return { data, width: bitmap.width, height: bitmap.height }
  } finally {
    bitmap.close()
  }
}

const RGB_FORMATS: Record<string, boolean> = { RGBA: false, RGBX: false, BGRA: true, BGRX: true }

async function decodeFrame(frame: VideoFrame, ctx: DecodeContext): Promise<RgbImage> {
  if (frame.format === null || frame.codedWidth === 0) {
    throw new MatteError('INVALID_INPUT', 'The VideoFrame is closed (or has no readable format); pass an open frame.')
  }
  const width = frame.displayWidth
  const height = frame.displayHeight
  checkSize(width, height, ctx.maxPixels, 'The VideoFrame')
  const bgr = RGB_FORMATS[frame.format]
  const rect = frame.visibleRect
  if (bgr !== undefined && rect && rect.width === width && rect.height === height) {
    // RGB frames: copy the samples themselves (exact, no GPU round trip).
    const rgba = new Uint8Array(width * height * 4)
    await frame.copyTo(rgba, { layout: [{ offset: 0, stride: width * 4 }] })
    return { data: rgbaToRgb(rgba, width * height, bgr), width, height }
  }
  // YUV frames: the browser converts to RGB as it does for display.
  return { data: ctx.reader.readRgb(frame, width, height), width, height }
}

/**
 * Decodes one input into 8-bit RGB with OpenCV's semantics (see the module notes).
 *
 * @param payload - the input as the decoder receives it
 * @param ctx - pixel limit, signal and the WebGL2 reader
 * @returns the oriented RGB image; its buffer is new and owned by the caller
 * @throws {@link MatteError} `INVALID_INPUT`, `UNSUPPORTED_FORMAT`, `CORRUPT_IMAGE`,
 *   `IMAGE_TOO_LARGE`, `UNSUPPORTED_ENVIRONMENT` (no WebGL2), `ABORTED`
 */
export async function decodePayload(payload: InputPayload, ctx: DecodeContext): Promise<RgbImage> {
  const { signal, maxPixels, reader } = ctx
  throwIfAborted(signal)
  try {
    switch (payload.kind) {
      case 'url': {
        const blob = await fetchBytes(payload.url, signal)
        throwIfAborted(signal)
        return await decodeEncoded(blob, `The image at ${payload.url}`, ctx)
      }
      case 'blob':
        return await decodeEncoded(payload.blob, payload.name ? `The file "${payload.name}"` : 'The Blob', ctx)
      case 'bytes':
        return await decodeEncoded(payload.bytes, 'The input bytes', ctx)
      case 'bitmap': {
        const { bitmap } = payload
        if (bitmap.width === 0 || bitmap.height === 0) {
          throw new MatteError('INVALID_INPUT', 'The ImageBitmap is closed (or empty); pass an open, non-empty bitmap.')
        }
        checkSize(bitmap.width, bitmap.height, maxPixels, 'The image')
        return { data: reader.readRgb(bitmap, bitmap.width, bitmap.height), width: bitmap.width, height: bitmap.height }
      }
      case 'canvas': {
        const { canvas } = payload
        checkSize(canvas.width, canvas.height, maxPixels, 'The canvas')
        return { data: reader.readRgb(canvas, canvas.width, canvas.height), width: canvas.width, height: canvas.height }
      }
      case 'frame':
        return await decodeFrame(payload.frame, ctx)
      case 'pixels': {
        const { data, width, height } = payload
        checkSize(width, height, maxPixels, 'The ImageData')
        if (data.length !== width * height * 4) {
          throw new MatteError(
            'INVALID_INPUT',
            `The ImageData is ${width}x${height} but holds ${data.length} bytes, not ${width * height * 4} ` +
              '(was its buffer transferred or detached?).',
          )
        }
        return { data: rgbaToRgb(data, width * height), width, height }
      }
      default:
        throw new MatteError('INVALID_INPUT', `Unknown input kind ${String((payload as { kind?: unknown }).kind)}.`)
    }
  } catch (error) {
    if (isMatteError(error)) throw error
    throwIfAborted(signal)
    throw new MatteError('CORRUPT_IMAGE', `The image could not be read: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  } finally {
    releasePayload(payload)
  }
}
