/**
 * A small exact PNG encoder for the browser: 8-bit grey (a matte), RGB or RGBA with straight
 * alpha, compressed with the platform's `CompressionStream('deflate')` (zlib, as PNG requires).
 * A canvas' `toBlob` would premultiply alpha and round the colour of soft edges; this does not.
 */
import { MatteError, type Matte, type RgbaImage, type RgbImage } from '@mattekit/core'

let crcTable: Uint32Array | undefined

function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return crc
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, (crc32(out.subarray(4, 8 + data.length)) ^ 0xffffffff) >>> 0)
  return out
}

/** zlib with stored (uncompressed) blocks, for platforms without CompressionStream. */
function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535))
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4)
  out[0] = 0x78
  out[1] = 0x01
  let at = 2
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535
    const len = Math.min(65535, raw.length - start)
    out[at++] = b === blocks - 1 ? 1 : 0
    out[at++] = len & 0xff
    out[at++] = len >>> 8
    out[at++] = ~len & 0xff
    out[at++] = (~len >>> 8) & 0xff
    out.set(raw.subarray(start, start + len), at)
    at += len
  }
  let a = 1
  let s = 0
  for (let i = 0; i < raw.length; i++) {
    a = (a + raw[i]!) % 65521
    s = (s + a) % 65521
  }
  new DataView(out.buffer).setUint32(at, ((s << 16) | a) >>> 0)
  return out
}

async function zlib(raw: Uint8Array): Promise<Uint8Array> {
  if (typeof CompressionStream === 'undefined') return zlibStored(raw)
  const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * Encodes pixels as a PNG file: a {@link Matte} becomes 8-bit grey, RGB stays RGB, RGBA keeps
 * its straight alpha. Every value is stored exactly.
 *
 * @param image - a matte, RGB or RGBA pixels (`data.length` tells which)
 * @returns the PNG as a Blob of type `image/png`
 * @throws {@link MatteError} `INVALID_INPUT` when `data.length` is not 1, 3 or 4 bytes per pixel;
 *   `OUTPUT` when compression fails
 * @example
 * ```ts
 * const { matte } = await matter.matte(file)
 * const url = URL.createObjectURL(await encodePng(matte))
 * ```
 */
export async function encodePng(image: Matte | RgbImage | RgbaImage): Promise<Blob> {
  const { width, height, data } = image
  const channels = width > 0 && height > 0 ? data.length / (width * height) : 0
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new MatteError('INVALID_INPUT', `Cannot encode ${data.length} bytes as a ${width}x${height} image (1, 3 or 4 bytes per pixel).`)
  }
  const stride = width * channels
  const raw = new Uint8Array((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    // Filter type 0 (None) per row: fast, and exact by construction.
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  }
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr[8] = 8
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6
  let idat: Uint8Array
  try {
    idat = await zlib(raw)
  } catch (error) {
    throw new MatteError('OUTPUT', `PNG compression failed: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const parts = [signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'image/png' })
}
