/**
 * Recognising encoded images from their bytes, without decoding them: which format a file is,
 * whether MatteKit decodes it (JPEG, PNG and still WebP, as `cv2.imread` in MODNet's official
 * script), and how many pixels its header declares (so a decompression bomb is refused before
 * any pixel memory is allocated). Platform-neutral: adapters call it before their own decoder.
 *
 * @packageDocumentation
 */
import { MatteError } from './errors.js'
import type { Size } from './image.js'

/** The encoded formats MatteKit decodes. */
export type EncodedFormat = 'jpeg' | 'png' | 'webp'

/**
 * Display names of the {@link EncodedFormat}s, for messages.
 *
 * @example
 * ```ts
 * import { ENCODED_FORMAT_NAMES, sniffImageFormat } from '@mattekit/core'
 *
 * console.log(ENCODED_FORMAT_NAMES[sniffImageFormat(bytes)]) // 'JPEG', 'PNG' or 'WebP'
 * ```
 */
export const ENCODED_FORMAT_NAMES: Readonly<Record<EncodedFormat, string>> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' }

const ascii = (bytes: Uint8Array, start: number, text: string): boolean => {
  if (bytes.length < start + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false
  return true
}

/** Bytes as Latin-1 text (core has no TextDecoder type; this is only for sniffing and messages). */
const latin1 = (bytes: Uint8Array): string => {
  let text = ''
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!)
  return text
}

const u16be = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!
const u24le = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)
const u32be = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
const u32le = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0

/**
 * Names a recognisable image format that MatteKit does not decode, from its signature.
 *
 * @param b - the first bytes of a file (1 KiB is enough)
 * @returns e.g. `'GIF'`, `'TIFF'`, `'BMP'`, `'AVIF'`, `'SVG'`, or `undefined`
 *
 * @example
 * ```ts
 * import { otherImageFormat } from '@mattekit/core'
 *
 * const other = otherImageFormat(bytes.subarray(0, 1024))
 * if (other) console.warn(`${other} is not supported: convert it to PNG, JPEG or WebP`)
 * ```
 */
export function otherImageFormat(b: Uint8Array): string | undefined {
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'GIF'
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*') || ascii(b, 0, 'II+\0') || ascii(b, 0, 'MM\0+')) return 'TIFF'
  if (ascii(b, 0, 'BM') && b.length >= 18) {
    const dib = u32le(b, 14)
    if ([12, 16, 40, 52, 56, 64, 108, 124].includes(dib)) return 'BMP'
  }
  if (ascii(b, 4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12))
    if (/^(avi[fs])$/.test(brand)) return 'AVIF'
    if (/^(hei[cmsx]|hev[cmsx]|mif1|msf1)$/.test(brand)) return 'HEIF/HEIC'
  }
  if (ascii(b, 0, '\0\0\0\x0CjP  \r\n\x87\n') || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)) return 'JPEG 2000'
  if ((b[0] === 0xff && b[1] === 0x0a) || ascii(b, 0, '\0\0\0\x0CJXL \r\n\x87\n')) return 'JPEG XL'
  if (ascii(b, 0, '8BPS')) return 'Photoshop (PSD)'
  if (ascii(b, 0, 'v/1\x01')) return 'OpenEXR'
  if (ascii(b, 0, '#?RADIANCE') || ascii(b, 0, '#?RGBE')) return 'Radiance HDR'
  if (b.length >= 3 && b[0] === 0x50 && b[1]! >= 0x31 && b[1]! <= 0x37 && [0x09, 0x0a, 0x0d, 0x20].includes(b[2]!)) return 'PNM/PAM'
  if (ascii(b, 0, '\0\0\x01\0') && b.length >= 22 && b[4]! + (b[5]! << 8) > 0) return 'ICO'
  const head = latin1(b.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart()
  if (/^(<\?xml[^>]*>\s*(<!--[\s\S]*?-->\s*)*)?(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'SVG'
  return undefined
}

/**
 * Says which format encoded image bytes are in, or throws a {@link MatteError} that tells the
 * caller what the bytes are instead.
 *
 * @param bytes - the whole file (only the first 1 KiB is read)
 * @param label - how messages name the input, e.g. `The file "a.png"` or `The input bytes`
 * @returns `'jpeg'`, `'png'` or `'webp'`
 * @throws {@link MatteError} `INVALID_INPUT` for empty bytes, text, HTML or unknown bytes;
 *   `UNSUPPORTED_FORMAT` for an image in another format (GIF, TIFF, BMP, AVIF, SVG, ...)
 *
 * @example
 * ```ts
 * import { sniffImageFormat } from '@mattekit/core'
 *
 * const format = sniffImageFormat(new Uint8Array(await file.arrayBuffer())) // 'jpeg' | 'png' | 'webp', or throws
 * ```
 */
export function sniffImageFormat(bytes: Uint8Array, label = 'The input bytes'): EncodedFormat {
  const verb = label.startsWith('The file') ? 'is' : 'are'
  if (bytes.length === 0) {
    throw new MatteError('INVALID_INPUT', `${label} ${verb} empty (0 bytes): there is no image to decode.`)
  }
  if (ascii(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp'
  const other = otherImageFormat(bytes)
  if (other !== undefined) {
    throw new MatteError(
      'UNSUPPORTED_FORMAT',
      `${label} ${verb} ${/^[AEIOU]/.test(other) ? 'an' : 'a'} ${other} image; MatteKit decodes JPEG, PNG and WebP only. Convert it to PNG (lossless) or JPEG first.`,
    )
  }
  const head = bytes.subarray(0, 512)
  let printable = 0
  for (const c of head) if ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d || c >= 0x80) printable++
  const text = printable === head.length ? latin1(head) : undefined
  let what: string
  if (text !== undefined && /^\s*(<!doctype html|<html)/i.test(text)) {
    what = 'it is an HTML page (a failed download or an error page?)'
  } else if (text !== undefined) {
    const start = text.trim().slice(0, 40).replace(/\s+/g, ' ')
    what = `it looks like text ("${start}${text.trim().length > 40 ? '...' : ''}")`
  } else {
    const hex = Array.from(bytes.subarray(0, 8), (c) => c.toString(16).padStart(2, '0')).join(' ')
    what = `its first bytes (${hex}) match no image format`
  }
  throw new MatteError('INVALID_INPUT', `${label} ${verb} not an image: ${what}. Pass a JPEG, PNG or WebP file.`)
}

/** What {@link readImageHeader} finds in an encoded image's header. */
export interface EncodedImageHeader extends Size {
  /** The format. */
  readonly format: EncodedFormat
  /** Whether the file can hold transparency (PNG colour type 4 or 6 or a tRNS chunk; WebP alpha). */
  readonly alpha: boolean
  /**
   * JPEG only: the number of colour components of the frame (1 grey, 3 YCbCr or RGB, 4 CMYK or
   * YCCK).
   */
  readonly components?: number
}

/**
 * Reads the stored size of a JPEG, PNG or WebP from its header, without decoding pixels, and
 * rejects animated WebP (OpenCV reads still images only). The size is as stored, before EXIF
 * orientation (which only swaps the sides, so the pixel count is the same).
 *
 * @param bytes - the whole encoded file
 * @param label - how messages name the input
 * @returns the format, stored width and height, whether it may carry alpha, and a JPEG's number
 *   of components
 * @throws {@link MatteError} what {@link sniffImageFormat} throws; `UNSUPPORTED_FORMAT` for an
 *   animated WebP; `CORRUPT_IMAGE` when the header is cut short or unreadable
 *
 * @example
 * ```ts
 * import { readImageHeader } from '@mattekit/core'
 *
 * // Refuse a decompression bomb before decoding a single pixel:
 * const { width, height, format } = readImageHeader(bytes)
 * if (width * height > 40_000_000) throw new Error(`${format} too large: ${width}x${height}`)
 * ```
 */
export function readImageHeader(bytes: Uint8Array, label = 'The input bytes'): EncodedImageHeader {
  const format = sniffImageFormat(bytes, label)
  const corrupt = (why: string): MatteError =>
    new MatteError(
      'CORRUPT_IMAGE',
      `${label} ${label.startsWith('The file') ? 'has' : 'have'} a ${ENCODED_FORMAT_NAMES[format]} signature but ${why}. Re-export or re-download it.`,
    )
  if (format === 'png') {
    if (bytes.length < 33 || !ascii(bytes, 12, 'IHDR')) throw corrupt('no readable IHDR header')
    const width = u32be(bytes, 16)
    const height = u32be(bytes, 20)
    const colourType = bytes[25]!
    if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw corrupt('an invalid size in its header')
    let alpha = colourType === 4 || colourType === 6
    // Look for tRNS among the chunks before the image data.
    for (let at = 8; !alpha && at + 8 <= bytes.length; ) {
      const length = u32be(bytes, at)
      if (ascii(bytes, at + 4, 'tRNS')) alpha = true
      if (ascii(bytes, at + 4, 'IDAT') || length > 0x7fffffff) break
      at += 12 + length
    }
    return { format, width, height, alpha }
  }
  if (format === 'jpeg') {
    let at = 2
    while (at + 4 <= bytes.length) {
      if (bytes[at] !== 0xff) throw corrupt(`a broken marker structure at byte ${at}`)
      const marker = bytes[at + 1]!
      if (marker === 0xff) {
        at++ // fill byte
        continue
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        at += 2
        continue
      }
      if (marker === 0xd9 || marker === 0xda) break // EOI or start of scan before any frame header
      const length = u16be(bytes, at + 2)
      // SOF0-15 except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (at + 10 > bytes.length) break
        const height = u16be(bytes, at + 5)
        const width = u16be(bytes, at + 7)
        if (width === 0 || height === 0) throw corrupt('a frame header with a zero size')
        return { format, width, height, alpha: false, components: bytes[at + 9]! }
      }
      at += 2 + length
    }
    throw corrupt('no readable frame header (SOF)')
  }
  // WebP: RIFF <size> WEBP, then VP8 / VP8L / VP8X.
  if (bytes.length < 30) throw corrupt('no readable header')
  if (ascii(bytes, 12, 'VP8X')) {
    const flags = bytes[20]!
    if ((flags & 0x02) !== 0) {
      throw new MatteError(
        'UNSUPPORTED_FORMAT',
        `${label} ${label.startsWith('The file') ? 'is' : 'are'} an animated WebP; MatteKit decodes still images only. Extract one frame (as PNG) and pass that.`,
      )
    }
    return { format, width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1, alpha: (flags & 0x10) !== 0 }
  }
  if (ascii(bytes, 12, 'VP8 ')) {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) throw corrupt('a broken VP8 header')
    return { format, width: (bytes[26]! | (bytes[27]! << 8)) & 0x3fff, height: (bytes[28]! | (bytes[29]! << 8)) & 0x3fff, alpha: false }
  }
  if (ascii(bytes, 12, 'VP8L')) {
    if (bytes[20] !== 0x2f) throw corrupt('a broken VP8L header')
    const bits = u32le(bytes, 21)
    return { format, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 }
  }
  throw corrupt('an unknown WebP chunk layout')
}
