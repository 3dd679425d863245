/**
 * Test helpers: the checksums and encodings `scripts/reference/opencv_reference.py` writes into
 * `src/testdata/opencv-reference.json`.
 *
 * @packageDocumentation
 */

let crcTable: Int32Array | undefined

function table(): Int32Array {
  if (crcTable !== undefined) return crcTable
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  crcTable = t
  return t
}

function crcBytes(bytes: Uint8Array, crc = 0): number {
  const t = table()
  let c = ~crc
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/**
 * CRC-32 (the zlib/PNG polynomial) of the bytes of a typed array, little-endian as in memory:
 * what Python's `zlib.crc32(arr.tobytes())` gives.
 *
 * @param data - the array; Float32Array values are hashed by their bit patterns
 * @returns the checksum, as 8 lowercase hex digits
 */
export function crc32(data: Uint8Array | Float32Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return hex(crcBytes(bytes))
}

/**
 * CRC-32 of float values rounded to 1e-5: each value becomes the int32 `floor(v * 1e5 + 0.5)`,
 * hashed as 4 little-endian bytes.
 *
 * @param data - the values
 * @returns the checksum, as 8 lowercase hex digits
 */
export function crc32Rounded(data: Float32Array): string {
  const q = new Int32Array(data.length)
  for (let i = 0; i < data.length; i++) q[i] = Math.floor(data[i]! * 1e5 + 0.5)
  return hex(crcBytes(new Uint8Array(q.buffer)))
}

/**
 * The sum of all values, in float64, in index order.
 *
 * @param data - the values
 * @returns their sum
 */
export function sumOf(data: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < data.length; i++) s += data[i]!
  return s
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/**
 * Decodes standard base64 (padding optional) without platform APIs.
 *
 * @param text - the base64 text
 * @returns the decoded bytes
 */
export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/[=\s]/g, '')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    const d = ALPHABET.indexOf(clean[i]!)
    if (d < 0) throw new Error(`invalid base64 character ${clean[i]!}`)
    value = (value << 6) | d
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >>> bits) & 0xff
    }
  }
  return out
}

/**
 * Decodes base64 holding little-endian float32 values.
 *
 * @param text - the base64 text
 * @returns the values
 */
export function floatsFromBase64(text: string): Float32Array {
  const bytes = fromBase64(text)
  return new Float32Array(bytes.buffer, 0, bytes.length / 4)
}
