import { afterEach, describe, expect, it } from 'vitest'
import { adler32, crc32 } from './png-chunks.js'
import { canonicalCodes, encodePng, limitedCodeLengths } from './png.js'
import { mulberry32, randomBytes } from './testing/prng.js'
import { useWasmKernels } from './wasm/kernels.js'

afterEach(() => useWasmKernels(true))

interface Chunk {
  type: string
  data: Uint8Array
  crcOk: boolean
}

/** The file's chunks, each with whether its CRC-32 is right (checked with our CRC, itself tested below). */
function chunks(png: Uint8Array): Chunk[] {
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
  const view = new DataView(png.buffer, png.byteOffset, png.length)
  const out: Chunk[] = []
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at)
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8))
    const data = png.subarray(at + 8, at + 8 + length)
    out.push({ type, data, crcOk: view.getUint32(at + 8 + length) === crc32(png.subarray(at + 4, at + 8 + length)) })
    at += 12 + length
  }
  return out
}

/** Inflates the zlib stream with the platform's own inflater (zlib, strict about codes, Adler-32 included). */
async function inflate(stream: Uint8Array): Promise<Uint8Array> {
  const body = new Blob([stream]).stream().pipeThrough(new DecompressionStream('deflate'))
  return new Uint8Array(await new Response(body).arrayBuffer())
}

/** Decodes our PNG independently of the encoder: chunks, CRCs, zlib's inflate, and PNG's five filters undone. */
async function decode(png: Uint8Array): Promise<{ width: number; height: number; channels: number; data: Uint8Array }> {
  const list = chunks(png)
  for (const c of list) expect(c.crcOk, `${c.type} CRC`).toBe(true)
  expect(list[0]!.type).toBe('IHDR')
  expect(list.at(-1)!.type).toBe('IEND')
  const header = new DataView(list[0]!.data.buffer, list[0]!.data.byteOffset, 13)
  const width = header.getUint32(0)
  const height = header.getUint32(4)
  expect(list[0]!.data[8]).toBe(8) // bit depth
  const channels = { 0: 1, 2: 3, 6: 4 }[list[0]!.data[9]!]!
  const idat = list.filter((c) => c.type === 'IDAT').map((c) => c.data)
  const stream = new Uint8Array(idat.reduce((n, d) => n + d.length, 0))
  idat.reduce((at, d) => (stream.set(d, at), at + d.length), 0)
  const raw = await inflate(stream)
  const row = width * channels
  expect(raw.length).toBe(height * (row + 1))
  const data = new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (row + 1)]!
    for (let i = 0; i < row; i++) {
      const x = raw[y * (row + 1) + 1 + i]!
      const a = i >= channels ? data[y * row + i - channels]! : 0
      const b = y > 0 ? data[(y - 1) * row + i]! : 0
      const c = y > 0 && i >= channels ? data[(y - 1) * row + i - channels]! : 0
      const p = a + b - c
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!
      data[y * row + i] = (x + predictor) & 255
    }
  }
  return { width, height, channels, data }
}

/** An image whose bytes are runs of random lengths and values: long runs, short ones, and noise. */
function runsImage(seed: number, n: number): Uint8Array {
  const rand = mulberry32(seed)
  const data = new Uint8Array(n)
  for (let i = 0; i < n; ) {
    const kind = rand() % 4
    const len = kind === 0 ? 1 + (rand() % 4) : kind === 1 ? 5 + (rand() % 20) : kind === 2 ? 200 + (rand() % 2000) : 1 + (rand() % 40)
    const v = rand() & 255
    for (let k = 0; k < len && i < n; k++, i++) data[i] = kind === 3 ? rand() & 255 : v
  }
  return data
}

describe('encodePng', () => {
  const cases: [string, number, number, number, (n: number) => Uint8Array][] = [
    ['1x1 grey', 1, 1, 1, () => new Uint8Array([77])],
    ['noise, odd sizes, grey', 37, 23, 1, (n) => randomBytes(1, n)],
    ['noise, RGB', 31, 17, 3, (n) => randomBytes(2, n)],
    ['noise, RGBA', 9, 40, 4, (n) => randomBytes(3, n)],
    ['all zeros, one long run', 300, 200, 1, (n) => new Uint8Array(n)],
    ['runs of every length, RGB', 257, 61, 3, (n) => runsImage(4, n)],
    ['a soft matte (0 and 255 with ramps)', 640, 480, 1, (n) => Uint8Array.from({ length: n }, (_, i) => Math.max(0, Math.min(255, ((i % 640) - 200) * 3)))],
    // Several strips (about 1 MiB of rows each), so blocks, IDAT chunks and runs cross strip boundaries.
    ['constant, several strips', 1500, 1500, 1, (n) => new Uint8Array(n).fill(255)],
    ['runs, several strips, RGBA', 700, 900, 4, (n) => runsImage(5, n)],
    ['noise, several strips', 1200, 1100, 1, (n) => randomBytes(6, n)],
  ]
  for (const [name, width, height, channels, make] of cases) {
    it(`round-trips ${name} through zlib's inflate, the same bytes with and without WebAssembly`, async () => {
      const data = make(width * height * channels)
      const png = encodePng({ width, height, data })
      const back = await decode(png)
      expect(back).toMatchObject({ width, height, channels })
      expect(back.data.length).toBe(data.length)
      expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true)
      useWasmKernels(false)
      expect(Buffer.from(encodePng({ width, height, data })).equals(Buffer.from(png))).toBe(true)
    })
  }

  it('splits large images into IDAT chunks of about 1 MiB of rows, and compresses runs and mattes', () => {
    const flat = encodePng({ width: 1500, height: 1500, data: new Uint8Array(1500 * 1500) })
    expect(chunks(flat).filter((c) => c.type === 'IDAT').length).toBe(3)
    expect(flat.length).toBeLessThan((1500 * 1500) / 200)
    const matte = new Uint8Array(640 * 480).map((_, i) => Math.max(0, Math.min(255, ((i % 640) - 200) * 3)))
    expect(encodePng({ width: 640, height: 480, data: matte }).length).toBeLessThan(matte.length / 50)
  })

  it('reads a view at an offset, not the whole buffer', async () => {
    const backing = randomBytes(7, 1000)
    const view = backing.subarray(13, 13 + 20 * 10 * 3)
    const back = await decode(encodePng({ width: 20, height: 10, data: view }))
    expect(Array.from(back.data)).toEqual(Array.from(view))
  })

  it('rejects data that is not 1, 3 or 4 bytes per pixel, and empty or fractional sizes', () => {
    for (const image of [
      { width: 4, height: 4, data: new Uint8Array(32) },
      { width: 4, height: 4, data: new Uint8Array(15) },
      { width: 0, height: 4, data: new Uint8Array(0) },
      { width: 2.5, height: 2, data: new Uint8Array(5) },
    ]) {
      expect(() => encodePng(image)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    }
  })
})

describe('the encoder parts', () => {
  it('checksums: CRC-32 and Adler-32 of the standard check strings', () => {
    const bytes = (s: string) => new TextEncoder().encode(s)
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926)
    expect(crc32(bytes('6789'), crc32(bytes('12345')))).toBe(0xcbf43926)
    expect(adler32(bytes('Wikipedia'))).toBe(0x11e60398)
    // Past zlib's NMAX (5552 bytes of 255), where the sums must be reduced.
    const big = new Uint8Array(20000).fill(255)
    let a = 1
    let b = 0
    for (const v of big) {
      a = (a + v) % 65521
      b = (b + a) % 65521
    }
    expect(adler32(big)).toBe(((b << 16) | a) >>> 0)
  })

  it('code lengths: complete (Kraft sum 1), within the limit, optimal where the limit does not bind', () => {
    const kraft = (l: Uint8Array) => l.reduce((s, v) => s + (v ? 2 ** -v : 0), 0)
    // Fibonacci counts make the deepest unlimited Huffman tree: 30 symbols would need 29 bits.
    const fib = [1, 1]
    while (fib.length < 30) fib.push(fib.at(-1)! + fib.at(-2)!)
    const limited = limitedCodeLengths(fib, 14)
    expect(Math.max(...limited)).toBe(14)
    expect(kraft(limited)).toBe(1)
    // Unlimited in effect: the Huffman code's cost (sum of counts times lengths).
    const counts = [10, 1, 1, 2, 5, 0, 3]
    const lengths = limitedCodeLengths(counts, 15)
    expect(lengths[5]).toBe(0)
    expect(kraft(lengths)).toBe(1)
    expect(counts.reduce((s, c, i) => s + c * lengths[i]!, 0)).toBe(47) // Huffman's optimum for these counts
    // One symbol or none still gives a complete code of two.
    expect(Array.from(limitedCodeLengths([0, 0, 9], 7))).toEqual([1, 0, 1])
    expect(Array.from(limitedCodeLengths([0, 0, 0], 7))).toEqual([1, 1, 0])
  })

  it('canonical codes: prefix-free, assigned in symbol order, sent bit-reversed', () => {
    // RFC 1951's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) give 010 011 100 101 110 00 1110 1111.
    const codes = canonicalCodes(new Uint8Array([3, 3, 3, 3, 3, 2, 4, 4]))
    const reversed = (v: number, n: number) => parseInt(v.toString(2).padStart(n, '0').split('').reverse().join(''), 2)
    expect(Array.from(codes)).toEqual([
      reversed(0b010, 3),
      reversed(0b011, 3),
      reversed(0b100, 3),
      reversed(0b101, 3),
      reversed(0b110, 3),
      reversed(0b00, 2),
      reversed(0b1110, 4),
      reversed(0b1111, 4),
    ])
  })
})
