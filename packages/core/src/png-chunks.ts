/**
 * PNG's container: the signature, chunks with their CRC-32, the IHDR of an 8-bit image; and zlib's
 * Adler-32. Shared by
 * core's encoder (`encodePng`, which also deflates) and `@mattekit/web`'s (which deflates with the
 * browser's `CompressionStream`), and small enough that a bundle taking it carries nothing else.
 *
 * @packageDocumentation
 */

let table: Uint32Array | undefined

/**
 * PNG's CRC-32 table, sliced by 8 (8 x 256 entries; the first 256 are the byte-wise table), made on
 * first use.
 *
 * @internal
 */
export function crcTable(): Uint32Array {
  if (table === undefined) {
    const t = new Uint32Array(2048)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      t[n] = c
    }
    for (let n = 0; n < 256; n++) {
      let c = t[n]!
      for (let k = 1; k < 8; k++) {
        c = t[c & 255]! ^ (c >>> 8)
        t[k * 256 + n] = c
      }
    }
    table = t
  }
  return table
}

/**
 * CRC-32 (PNG's, zlib's) of `data`, continuing from `crc` (0 for a new one).
 *
 * @param data - the bytes
 * @param crc - the CRC of the bytes before them
 * @returns the CRC, unsigned
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')) // 0xcbf43926
 * ```
 * @internal
 */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = crcTable()
  let c = ~crc
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 255]! ^ (c >>> 8)
  return ~c >>> 0
}

/**
 * Adler-32 (zlib's checksum) of `data` from `start` (1 for a new stream).
 *
 * @param data - the bytes
 * @param start - the checksum of the bytes before them
 * @returns the checksum, unsigned
 * @example
 * ```ts
 * adler32(new TextEncoder().encode('Wikipedia')) // 0x11e60398
 * ```
 * @internal
 */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff
  let b = start >>> 16
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552)
    for (; i < end; i++) {
      a += data[i]!
      b += a
    }
    a %= 65521
    b %= 65521
  }
  return ((b << 16) | a) >>> 0
}

/**
 * One PNG chunk: length, type, data, and the CRC-32 of type and data.
 *
 * @param type - four ASCII letters, e.g. `IDAT`
 * @param data - the chunk's data
 * @returns the chunk's bytes
 * @example
 * ```ts
 * const end = pngChunk('IEND', new Uint8Array(0))
 * ```
 * @internal
 */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length)
  const v = new DataView(c.buffer)
  v.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i)
  c.set(data, 8)
  v.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)))
  return c
}

/**
 * The start of an 8-bit, non-interlaced PNG: the signature and the IHDR chunk.
 *
 * @param width - pixels
 * @param height - pixels
 * @param channels - 1 (grey), 3 (RGB) or 4 (RGBA)
 * @returns the bytes that precede the IDAT chunks
 * @example
 * ```ts
 * const parts = [pngStart(w, h, 1), pngChunk('IDAT', zlibStream), pngChunk('IEND', new Uint8Array(0))]
 * ```
 * @internal
 */
export function pngStart(width: number, height: number, channels: 1 | 3 | 4): Uint8Array {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr[8] = 8
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6
  const chunk = pngChunk('IHDR', ihdr)
  const out = new Uint8Array(8 + chunk.length)
  out.set([137, 80, 78, 71, 13, 10, 26, 10])
  out.set(chunk, 8)
  return out
}
