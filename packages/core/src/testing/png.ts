/**
 * Test helper: a minimal, platform-neutral PNG decoder (8-bit grey or RGB, not interlaced), enough
 * to read the fixture portraits in core's tests, where `node:zlib` is off limits. Grey is
 * replicated into three channels, as OpenCV's default colour read does.
 *
 * @packageDocumentation
 */

import type { RgbImage } from '../image.js'
import { fromBase64 } from './checksum.js'

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
]
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

interface Huffman {
  counts: Int32Array
  symbols: Int32Array
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Int32Array(16)
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]!]!++
  counts[0] = 0
  const offsets = new Int32Array(16)
  for (let i = 1; i < 16; i++) offsets[i] = offsets[i - 1]! + counts[i - 1]!
  const symbols = new Int32Array(lengths.length)
  for (let i = 0; i < lengths.length; i++) if (lengths[i]! !== 0) symbols[offsets[lengths[i]!]!++] = i
  return { counts, symbols }
}

class Inflater {
  private pos: number
  private bits = 0
  private count = 0
  out: Uint8Array
  length = 0

  constructor(
    private readonly src: Uint8Array,
    start: number,
    sizeHint: number,
  ) {
    this.pos = start
    this.out = new Uint8Array(Math.max(sizeHint, 1024))
  }

  private bit(): number {
    if (this.count === 0) {
      if (this.pos >= this.src.length) throw new Error('inflate: unexpected end of data')
      this.bits = this.src[this.pos++]!
      this.count = 8
    }
    const b = this.bits & 1
    this.bits >>>= 1
    this.count--
    return b
  }

  private take(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v |= this.bit() << i
    return v
  }

  private decode(h: Huffman): number {
    let code = 0
    let first = 0
    let index = 0
    for (let len = 1; len < 16; len++) {
      code |= this.bit()
      const c = h.counts[len]!
      if (code - first < c) return h.symbols[index + code - first]!
      index += c
      first = (first + c) << 1
      code <<= 1
    }
    throw new Error('inflate: bad Huffman code')
  }

  private push(b: number): void {
    if (this.length === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2)
      grown.set(this.out)
      this.out = grown
    }
    this.out[this.length++] = b
  }

  run(): Uint8Array {
    let last = 0
    while (last === 0) {
      last = this.bit()
      const type = this.take(2)
      if (type === 0) {
        this.count = 0
        const len = this.src[this.pos]! | (this.src[this.pos + 1]! << 8)
        this.pos += 4
        for (let i = 0; i < len; i++) this.push(this.src[this.pos++]!)
      } else if (type === 1) {
        const lit = new Array<number>(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288)
        this.block(huffman(lit), huffman(new Array<number>(30).fill(5)))
      } else if (type === 2) {
        const hlit = this.take(5) + 257
        const hdist = this.take(5) + 1
        const hclen = this.take(4) + 4
        const cl = new Array<number>(19).fill(0)
        for (let i = 0; i < hclen; i++) cl[CODE_LENGTH_ORDER[i]!] = this.take(3)
        const clTree = huffman(cl)
        const lengths: number[] = []
        while (lengths.length < hlit + hdist) {
          const sym = this.decode(clTree)
          if (sym < 16) lengths.push(sym)
          else if (sym === 16) {
            const prev = lengths[lengths.length - 1]
            if (prev === undefined) throw new Error('inflate: repeat with no previous length')
            for (let r = 3 + this.take(2); r > 0; r--) lengths.push(prev)
          } else if (sym === 17) for (let r = 3 + this.take(3); r > 0; r--) lengths.push(0)
          else for (let r = 11 + this.take(7); r > 0; r--) lengths.push(0)
        }
        this.block(huffman(lengths.slice(0, hlit)), huffman(lengths.slice(hlit)))
      } else {
        throw new Error('inflate: invalid block type')
      }
    }
    return this.out.subarray(0, this.length)
  }

  private block(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const sym = this.decode(lit)
      if (sym < 256) this.push(sym)
      else if (sym === 256) return
      else {
        const li = sym - 257
        const len = LEN_BASE[li]! + this.take(LEN_EXTRA[li]!)
        const di = this.decode(dist)
        const d = DIST_BASE[di]! + this.take(DIST_EXTRA[di]!)
        for (let i = 0; i < len; i++) this.push(this.out[this.length - d]!)
      }
    }
  }
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
}

/**
 * Decodes an 8-bit, non-interlaced grey or RGB PNG into RGB pixels (grey replicated), ignoring
 * ancillary chunks such as ICC profiles, as `cv2.imread(path, IMREAD_COLOR)` + BGR2RGB does.
 *
 * @param png - the file bytes
 * @returns the pixels
 * @throws Error for PNG variants this helper does not handle
 */
export function decodePng(png: Uint8Array): RgbImage {
  let p = 8
  let width = 0
  let height = 0
  let colorType = -1
  const idat: Uint8Array[] = []
  while (p < png.length) {
    const len = readU32(png, p)
    const type = String.fromCharCode(png[p + 4]!, png[p + 5]!, png[p + 6]!, png[p + 7]!)
    const body = png.subarray(p + 8, p + 8 + len)
    if (type === 'IHDR') {
      width = readU32(body, 0)
      height = readU32(body, 4)
      colorType = body[9]!
      if (body[8] !== 8 || body[12] !== 0 || (colorType !== 0 && colorType !== 2)) {
        throw new Error('decodePng: only 8-bit, non-interlaced grey or RGB PNGs are supported')
      }
    } else if (type === 'IDAT') idat.push(body)
    else if (type === 'IEND') break
    p += 12 + len
  }
  const total = idat.reduce((n, c) => n + c.length, 0)
  const z = new Uint8Array(total)
  let o = 0
  for (const c of idat) {
    z.set(c, o)
    o += c.length
  }
  const bpp = colorType === 2 ? 3 : 1
  const stride = width * bpp
  const raw = new Inflater(z, 2, height * (stride + 1)).run()
  const pix = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const inRow = y * (stride + 1) + 1
    const row = y * stride
    const up = row - stride
    for (let i = 0; i < stride; i++) {
      const x = raw[inRow + i]!
      const a = i >= bpp ? pix[row + i - bpp]! : 0
      const b = y > 0 ? pix[up + i]! : 0
      const c = i >= bpp && y > 0 ? pix[up + i - bpp]! : 0
      let v: number
      if (filter === 0) v = x
      else if (filter === 1) v = x + a
      else if (filter === 2) v = x + b
      else if (filter === 3) v = x + ((a + b) >> 1)
      else {
        const q = a + b - c
        const pa = Math.abs(q - a)
        const pb = Math.abs(q - b)
        const pc = Math.abs(q - c)
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
      }
      pix[row + i] = v & 0xff
    }
  }
  if (bpp === 3) return { data: pix, width, height }
  const rgb = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) {
    const g = pix[i]!
    rgb[i * 3] = g
    rgb[i * 3 + 1] = g
    rgb[i * 3 + 2] = g
  }
  return { data: rgb, width, height }
}

/**
 * Decodes a `data:` URL holding a PNG (what Vite's `?inline` import gives) into RGB pixels.
 *
 * @param url - the data URL
 * @returns the pixels
 */
export function decodePngDataUrl(url: string): RgbImage {
  const comma = url.indexOf(',')
  return decodePng(fromBase64(url.slice(comma + 1)))
}

/**
 * A crop of `image` that wraps around its edges: pixel (i, j) of the result is pixel
 * ((x + i) mod W, (y + j) mod H) of the source. Crops when it fits, tiles when it does not.
 *
 * @param image - the source
 * @param x - left offset
 * @param y - top offset
 * @param width - result width
 * @param height - result height
 * @returns the new image
 */
export function tiledCrop(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3)
  for (let j = 0; j < height; j++) {
    const sy = (y + j) % image.height
    for (let i = 0; i < width; i++) {
      const s = (sy * image.width + ((x + i) % image.width)) * 3
      const d = (j * width + i) * 3
      out[d] = image.data[s]!
      out[d + 1] = image.data[s + 1]!
      out[d + 2] = image.data[s + 2]!
    }
  }
  return { data: out, width, height }
}
