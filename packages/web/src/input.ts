/**
 * Turning what a page holds into an {@link InputPayload}, on the calling thread and without
 * decoding there: elements and canvases become ImageBitmaps (the browser snapshots them, cheaply),
 * encoded data and URLs are passed as they are, and the decoder does the rest.
 */
import { MatteError } from '@mattekit/core'
import { type InputPayload, bitmapOptions } from './payload.js'
import type { WebImageInput } from './types.js'

/** A payload ready to post, with what to transfer. */
export interface PreparedInput {
  /** The payload. */
  readonly payload: InputPayload
  /** Objects to transfer (never copy) to the worker. */
  readonly transfer: Transferable[]
}

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function'
const isA = <T>(value: unknown, name: string): value is T =>
  has(name) && value instanceof ((globalThis as Record<string, unknown>)[name] as new () => T)

function baseUrl(): string | undefined {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } }
  return g.document?.baseURI ?? g.location?.href
}

/**
 * Makes an absolute URL from a string or URL, against the page's base URL.
 *
 * @param url - the URL as given
 * @param what - what it is, for messages
 */
export function absoluteUrl(url: string | URL, what: string): string {
  if (typeof url === 'string' && url.trim() === '') {
    throw new MatteError('INVALID_INPUT', `${what} is an empty string; pass a URL, a Blob or an image element.`)
  }
  try {
    return new URL(url, baseUrl()).href
  } catch (error) {
    throw new MatteError('INVALID_INPUT', `${what} ${JSON.stringify(String(url))} is not a valid URL.`, { cause: error })
  }
}

async function snapshot(source: ImageBitmapSource, what: string, unusable?: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(source, bitmapOptions())
  } catch (error) {
    const name = (error as { name?: string })?.name
    const why =
      name === 'SecurityError'
        ? 'it is cross-origin without CORS (a tainted image); serve it with Access-Control-Allow-Origin and set crossOrigin="anonymous"'
        : name === 'InvalidStateError' && unusable
          ? unusable
          : (error as Error)?.message ?? String(error)
    throw new MatteError('INVALID_INPUT', `${what} could not be read: ${why}.`, { cause: error })
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
  return `${typeof value} ${String(value)}`
}

/**
 * Prepares an input for the decoder.
 *
 * @param input - anything `matte()` accepts
 * @param transfer - whether the caller hands over its ImageBitmap, VideoFrame, ImageData or bytes
 * @param forWorker - whether the payload goes to a worker (an OffscreenCanvas is then snapshotted)
 * @returns the payload and what to transfer
 * @throws {@link MatteError} `INVALID_INPUT` for unsupported types, unloaded or broken images,
 *   videos without a frame, empty canvases and tainted (cross-origin) sources
 */
export async function prepareInput(input: WebImageInput, transfer: boolean, forWorker: boolean): Promise<PreparedInput> {
  if (typeof input === 'string' || isA<URL>(input, 'URL')) {
    return { payload: { kind: 'url', url: absoluteUrl(input, 'The image URL') }, transfer: [] }
  }
  if (isA<Blob>(input, 'Blob')) {
    const name = isA<File>(input, 'File') ? input.name : undefined
    return { payload: { kind: 'blob', blob: input, ...(name ? { name } : {}) }, transfer: [] }
  }
  if (input instanceof ArrayBuffer || input instanceof Uint8Array) {
    const buffer = input instanceof ArrayBuffer ? input : input.buffer
    if ((buffer as { detached?: boolean }).detached === true) {
      throw new MatteError('INVALID_INPUT', 'The bytes were transferred or detached (their ArrayBuffer is unusable); pass a live buffer.')
    }
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    return { payload: { kind: 'bytes', bytes }, transfer: transfer && whole ? [bytes.buffer as ArrayBuffer] : [] }
  }
  if (isA<ImageData>(input, 'ImageData')) {
    const { data, width, height } = input
    return { payload: { kind: 'pixels', data, width, height }, transfer: transfer ? [data.buffer as ArrayBuffer] : [] }
  }
  if (isA<ImageBitmap>(input, 'ImageBitmap')) {
    if (input.width === 0 || input.height === 0) {
      throw new MatteError('INVALID_INPUT', 'The ImageBitmap is closed (or empty); pass an open, non-empty bitmap.')
    }
    return { payload: { kind: 'bitmap', bitmap: input, owned: false }, transfer: transfer ? [input] : [] }
  }
  if (isA<VideoFrame>(input, 'VideoFrame')) {
    if (input.format === null && input.codedWidth === 0) {
      throw new MatteError('INVALID_INPUT', 'The VideoFrame is closed; pass an open frame.')
    }
    return { payload: { kind: 'frame', frame: input, owned: false }, transfer: transfer ? [input] : [] }
  }
  if (isA<HTMLImageElement>(input, 'HTMLImageElement')) {
    if (!input.complete) {
      try {
        await input.decode()
      } catch (error) {
        throw new MatteError('INVALID_INPUT', `The <img> (${input.currentSrc || input.src || 'no src'}) failed to load.`, { cause: error })
      }
    }
    if (input.naturalWidth === 0 || input.naturalHeight === 0) {
      throw new MatteError('INVALID_INPUT', `The <img> (${input.currentSrc || input.src || 'no src'}) has no image: it failed to load or has no src.`)
    }
    const bitmap = await snapshot(input, 'The <img>')
    return { payload: { kind: 'bitmap', bitmap, owned: true }, transfer: [bitmap] }
  }
  if (isA<HTMLVideoElement>(input, 'HTMLVideoElement')) {
    if (input.readyState < 2 || input.videoWidth === 0) {
      throw new MatteError(
        'INVALID_INPUT',
        'The <video> has no current frame yet (readyState < HAVE_CURRENT_DATA); wait for its "loadeddata" event.',
      )
    }
    const bitmap = await snapshot(input, 'The <video> frame', 'the video has not presented a frame yet (wait for requestVideoFrameCallback, or play it)')
    return { payload: { kind: 'bitmap', bitmap, owned: true }, transfer: [bitmap] }
  }
  if (isA<HTMLCanvasElement>(input, 'HTMLCanvasElement') || isA<OffscreenCanvas>(input, 'OffscreenCanvas')) {
    if (input.width === 0 || input.height === 0) {
      throw new MatteError('INVALID_INPUT', `The canvas is empty (${input.width}x${input.height}).`)
    }
    if (!forWorker && isA<OffscreenCanvas>(input, 'OffscreenCanvas')) {
      return { payload: { kind: 'canvas', canvas: input }, transfer: [] }
    }
    const bitmap = await snapshot(input, 'The canvas')
    return { payload: { kind: 'bitmap', bitmap, owned: true }, transfer: [bitmap] }
  }
  throw new MatteError(
    'INVALID_INPUT',
    `matte() got ${describe(input)}. Pass an HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, ImageData, ` +
      'VideoFrame, HTMLVideoElement, a Blob or File, the bytes of a JPEG/PNG/WebP (Uint8Array or ArrayBuffer), or a URL.',
  )
}
