/**
 * A small exact PNG encoder for the browser: 8-bit grey (a matte), RGB or RGBA with straight
 * alpha, compressed with the platform's `CompressionStream('deflate')` (zlib, as PNG requires),
 * in core's PNG container. A canvas' `toBlob` would premultiply alpha and round the colour of soft
 * edges; this does not. Core's own deflate (`encodePng` of `@mattekit/core`, which Node uses) would
 * add about 4 KiB gzipped to each of the page's and the worker's bundles; the browser's zlib costs
 * nothing.
 */
import { MatteError, adler32, pngChunk, pngStart, type Matte, type RgbaImage, type RgbImage } from '@mattekit/core'

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
  new DataView(out.buffer).setUint32(at, adler32(raw))
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
  let idat: Uint8Array
  try {
    idat = await zlib(raw)
  } catch (error) {
    throw new MatteError('OUTPUT', `PNG compression failed: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }
  const parts = [pngStart(width, height, channels), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'image/png' })
}
