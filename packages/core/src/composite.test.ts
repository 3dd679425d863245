import { describe, expect, it } from 'vitest'
import { blur, composite, compositeScaled, cutout, fitCover, parseColor, reducedBlur } from './composite.js'
import { resizeBilinear } from './resample/bilinear.js'
import { mulberry32 } from './testing/prng.js'
import { testImage } from './testing/fake-session.js'

const matteOf = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y)
  return { data, width: w, height: h }
}

describe('cutout', () => {
  it('keeps RGB and puts the matte in alpha', () => {
    const image = testImage(4, 2, (x, y) => [x, y, 7])
    const rgba = cutout(image, matteOf(4, 2, (x) => x * 80))
    expect(Array.from(rgba.data.subarray(0, 8))).toEqual([0, 0, 7, 0, 1, 0, 7, 80])
    expect(rgba.data[4 * 7 + 3]).toBe(240)
  })

  it('rejects a matte of another size', () => {
    expect(() => cutout(testImage(4, 2), matteOf(2, 4, () => 0))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('composite', () => {
  it('over a colour: exact fg*a + bg*(1-a), rounded', () => {
    const image = testImage(256, 1, () => [200, 100, 0])
    const out = composite(image, matteOf(256, 1, (x) => x), { type: 'color', color: [0, 50, 255] })
    for (let a = 0; a < 256; a++) {
      const expected = [200, 100, 0].map((f, c) => Math.round((f * a + [0, 50, 255][c]! * (255 - a)) / 255))
      expect(Array.from(out.data.subarray(a * 3, a * 3 + 3))).toEqual(expected)
    }
  })

  it('over an image of the same size, and refuses other sizes', () => {
    const image = testImage(3, 1, () => [255, 255, 255])
    const bg = testImage(3, 1, () => [0, 0, 0])
    const out = composite(image, matteOf(3, 1, (x) => [0, 128, 255][x]!), { type: 'image', image: bg })
    expect(Array.from(out.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255])
    expect(() => composite(image, matteOf(3, 1, () => 0), { type: 'image', image: testImage(2, 1) })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
  })

  it('over a blurred copy: opaque pixels keep the original, transparent ones take the blur', () => {
    const image = testImage(40, 40, (x) => (x < 20 ? [0, 0, 0] : [255, 255, 255]))
    const matte = matteOf(40, 40, (x) => (x < 10 ? 255 : 0))
    const out = composite(image, matte, { type: 'blur', radius: 3 })
    const blurred = blur(image, 3)
    for (let i = 0; i < 40 * 40; i++) {
      const x = i % 40
      const src = x < 10 ? image.data : blurred.data
      expect(out.data[i * 3]).toBe(src[i * 3])
    }
  })
})

describe('blur', () => {
  it('keeps flat areas and the mean, smooths edges monotonically, leaves the input untouched', () => {
    const image = testImage(64, 8, (x) => (x < 32 ? [10, 10, 10] : [250, 250, 250]))
    const copy = Uint8Array.from(image.data)
    const out = blur(image, 4)
    expect(image.data).toEqual(copy)
    const row = Array.from({ length: 64 }, (_, x) => out.data[(3 * 64 + x) * 3]!)
    expect(row[0]).toBe(10)
    expect(row[63]).toBe(250)
    for (let x = 1; x < 64; x++) expect(row[x]!).toBeGreaterThanOrEqual(row[x - 1]!)
    expect(row[31]! > 10 && row[31]! < 250).toBe(true)
  })

  it('radius 0 is the identity; a negative radius is an INVALID_OPTION', () => {
    const image = testImage(5, 5)
    expect(blur(image, 0).data).toEqual(image.data)
    expect(() => blur(image, -1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

/** blur's definition, written the plain way: three box passes per axis, each line walked in turn. */
function referenceBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const a = Uint8Array.from(src)
  const b = new Uint8Array(a.length)
  const pass = (from: Uint8Array, to: Uint8Array, len: number, lines: number, step: number, lineStep: number): void => {
    const win = 2 * r + 1
    for (let line = 0; line < lines; line++) {
      for (let c = 0; c < 3; c++) {
        for (let x = 0; x < len; x++) {
          let sum = 0
          for (let k = -r; k <= r; k++) sum += from[line * lineStep + c + Math.min(Math.max(x + k, 0), len - 1) * step]!
          to[line * lineStep + c + x * step] = Math.floor((sum + (win >> 1)) / win)
        }
      }
    }
  }
  for (let i = 0; i < 3; i++) {
    pass(a, b, w, h, 3, w * 3)
    pass(b, a, h, w, w * 3, 3)
  }
  return a
}

describe('blur against its definition', () => {
  it.each([
    [37, 23, 1],
    [37, 23, 3],
    [37, 23, 7],
    [37, 23, 30], // a window wider than the image: edges clamp
    [1, 9, 2],
  ])('%ix%i, radius %i: bit-identical to the plain three-pass box blur', (w, h, r) => {
    const rnd = mulberry32(w * 1000 + r)
    const image = { data: Uint8Array.from({ length: w * h * 3 }, () => rnd() & 255), width: w, height: h }
    expect(Array.from(blur(image, r).data)).toEqual(Array.from(referenceBlur(image.data, w, h, r)))
  })
})

describe('blur with a huge radius', () => {
  it('keeps a flat image flat (column sums past 2^31 stay exact)', () => {
    const image = { data: new Uint8Array([255, 255, 255, 255, 255, 255]), width: 1, height: 2 }
    expect(Array.from(blur(image, 5e6).data)).toEqual([255, 255, 255, 255, 255, 255])
  })
})

describe('reducedBlur', () => {
  // A photo-like test image: smooth shading, an edge and some noise.
  const W = 256
  const H = 144
  const rnd = mulberry32(7)
  const image = testImage(W, H, (x, y) => {
    const shade = 128 + 60 * Math.sin(x / 17) * Math.cos(y / 11)
    const edge = x > 100 && x < 160 && y > 40 ? 70 : 0
    const v = (k: number): number => Math.max(0, Math.min(255, Math.round(shade + edge + k + (rnd() / 2 ** 32 - 0.5) * 30)))
    return [v(0), v(-20), v(25)]
  })

  it.each([
    [3, W, H], // sigma below 4: the full-size blur itself
    [5, 128, 72], // the default radius at this size: reduced by 2
    [12, 64, 36], // by 4
    [26, 32, 18], // by 8
    [60, 32, 18], // at most by 8
  ])('radius %i: made at %ix%i, and enlarged it stays within a level of the full-size blur', (radius, w, h) => {
    const small = reducedBlur(image, radius)
    expect([small.width, small.height]).toEqual([w, h])
    const enlarged = w === W ? small.data : resizeBilinear(small.data, small, image, 3)
    const exact = blur(image, radius).data
    let sum = 0
    let worst = 0
    for (let i = 0; i < exact.length; i++) {
      const d = Math.abs(enlarged[i]! - exact[i]!)
      sum += d
      worst = Math.max(worst, d)
    }
    // Measured: mean 0 (radius 3), 0.38-0.60 otherwise; max 3-5.
    expect(sum / exact.length).toBeLessThan(1)
    expect(worst).toBeLessThan(10)
  })

  it('defaults to defaultBlurRadius, and refuses a negative radius', () => {
    expect(reducedBlur(image).data).toEqual(reducedBlur(image, 5).data)
    expect(() => reducedBlur(image, -2)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => reducedBlur(image, Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})

describe('compositeScaled', () => {
  it.each([
    [37, 23, 10, 7],
    [37, 23, 50, 40],
    [160, 90, 20, 12],
    [5, 5, 1, 1],
  ])('%ix%i over a %ix%i background: bit-identical to composite over resizeBilinear', (w, h, bw, bh) => {
    const rnd = mulberry32(w + bw)
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd() & 255)
    const image = { data: bytes(w * h * 3), width: w, height: h }
    const matte = { data: bytes(w * h), width: w, height: h }
    const background = { data: bytes(bw * bh * 3), width: bw, height: bh }
    const enlarged = { data: resizeBilinear(background.data, background, image, 3), width: w, height: h }
    expect(Array.from(compositeScaled(image, matte, background).data)).toEqual(Array.from(composite(image, matte, { type: 'image', image: enlarged }).data))
  })

  it('refuses a matte of another size and a background whose data does not match its size', () => {
    const image = testImage(8, 8)
    expect(() => compositeScaled(image, matteOf(4, 4, () => 0), testImage(2, 2))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    const bad = { data: new Uint8Array(5), width: 2, height: 2 }
    expect(() => compositeScaled(image, matteOf(8, 8, () => 0), bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('writing into a given buffer (out)', () => {
  const rnd = mulberry32(91)
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd() & 255)
  const w = 37
  const h = 11
  const image = { data: bytes(w * h * 3), width: w, height: h }
  const matte = { data: bytes(w * h), width: w, height: h }
  const small = { data: bytes(9 * 4 * 3), width: 9, height: 4 }
  const other = { data: bytes(w * h * 3), width: w, height: h }

  it.each([
    ['cutout', 4, (out?: Uint8Array) => cutout(image, matte, {}, out)],
    ['cutout, estimated foreground', 4, (out?: Uint8Array) => cutout(image, matte, { foreground: 'estimate' }, out)],
    ['composite over a colour', 3, (out?: Uint8Array) => composite(image, matte, { type: 'color', color: [1, 2, 3] }, {}, out)],
    ['composite over an image', 3, (out?: Uint8Array) => composite(image, matte, { type: 'image', image: other }, {}, out)],
    ['composite over a blur', 3, (out?: Uint8Array) => composite(image, matte, { type: 'blur', radius: 4 }, {}, out)],
    ['compositeScaled', 3, (out?: Uint8Array) => compositeScaled(image, matte, small, {}, out)],
  ] as const)('%s: the same bytes as a fresh result, in the given array, reused call after call', (_, channels, run) => {
    const fresh = run().data
    // A view at an odd offset of a larger, dirty buffer: every byte must be written.
    const backing = new Uint8Array(w * h * channels + 3).fill(0xa5)
    const out = backing.subarray(1, 1 + w * h * channels)
    for (let i = 0; i < 2; i++) {
      const result = run(out)
      expect(result.data).toBe(out)
      expect(Buffer.from(out).equals(Buffer.from(fresh))).toBe(true)
    }
    expect([backing[0], backing.at(-1)]).toEqual([0xa5, 0xa5])
  })

  it('refuses an array of the wrong length or type, and one that shares memory with an input', () => {
    const code = { code: 'INVALID_INPUT' }
    expect(() => cutout(image, matte, {}, new Uint8Array(w * h * 3))).toThrow(expect.objectContaining(code))
    expect(() => composite(image, matte, { type: 'color', color: [0, 0, 0] }, {}, new Uint8Array(w * h * 4))).toThrow(expect.objectContaining(code))
    expect(() => compositeScaled(image, matte, small, {}, new Uint16Array(w * h * 3) as unknown as Uint8Array)).toThrow(expect.objectContaining(code))
    // In place would read pixels it has already overwritten.
    expect(() => composite(image, matte, { type: 'color', color: [0, 0, 0] }, {}, image.data)).toThrow(expect.objectContaining(code))
    expect(() => composite(image, matte, { type: 'image', image: other }, {}, other.data)).toThrow(expect.objectContaining(code))
    expect(() => compositeScaled(image, matte, small, {}, new Uint8Array(image.data.buffer, 0, w * h * 3))).toThrow(expect.objectContaining(code))
    const shared = new Uint8Array(w * h * 5)
    const m = { data: shared.subarray(0, w * h), width: w, height: h }
    expect(() => cutout(image, m, {}, shared.subarray(w * h - 1, w * h * 5 - 1))).toThrow(expect.objectContaining(code))
    // Adjacent views of one buffer do not overlap.
    expect(cutout(image, m, {}, shared.subarray(w * h)).data.byteOffset).toBe(w * h)
    // A wrong type is named, not printed element by element.
    expect(() => cutout(image, matte, {}, new Float32Array(w * h * 4) as unknown as Uint8Array)).toThrow(/got Float32Array\.$/)
  })

  it('a malformed background is still reported as such when out is given', () => {
    const bad = { type: 'image', image: { width: 2, height: 1 } } as unknown as Parameters<typeof composite>[2]
    expect(() => composite(image, matte, bad, {}, new Uint8Array(w * h * 3))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('parseColor', () => {
  it.each([
    ['#fff', [255, 255, 255]],
    ['#00B140', [0, 177, 64]],
    ['rgb(1, 2, 3)', [1, 2, 3]],
    ['greenscreen', [0, 177, 64]],
  ])('%s', (text, rgb) => expect(parseColor(text)).toEqual(rgb))

  it.each(['#ggg', 'rgb(256,0,0)', 'photo.jpg', ''])('rejects %s', (text) => expect(parseColor(text)).toBeUndefined())
})

describe('fitCover', () => {
  it('covers the target: crops the excess of the longer side, keeps the centre', () => {
    // 200x100 with a red left quarter, green middle, blue right quarter; cover 100x100 keeps the middle.
    const image = testImage(200, 100, (x) => (x < 50 ? [255, 0, 0] : x >= 150 ? [0, 0, 255] : [0, 255, 0]))
    const out = fitCover(image, { width: 100, height: 100 })
    expect([out.width, out.height]).toEqual([100, 100])
    for (let i = 0; i < 100 * 100; i++) expect(Array.from(out.data.subarray(i * 3, i * 3 + 3))).toEqual([0, 255, 0])
  })

  it('scales up a small background and returns a same-size image as it is', () => {
    const image = testImage(10, 10, () => [9, 8, 7])
    const out = fitCover(image, { width: 40, height: 30 })
    expect([out.width, out.height]).toEqual([40, 30])
    expect(out.data.every((v, i) => v === [9, 8, 7][i % 3])).toBe(true)
    expect(fitCover(image, { width: 10, height: 10 })).toBe(image)
  })

  it('enlarges smoothly (bilinear), where INTER_AREA would repeat pixels in 4x4 blocks', () => {
    // A horizontal ramp of 8 levels per pixel, covered 4x larger: neighbours differ by 2, never 8.
    const image = testImage(16, 8, (x) => [x * 8, x * 8, x * 8])
    const out = fitCover(image, { width: 64, height: 32 })
    const row = Array.from({ length: 64 }, (_, x) => out.data[(10 * 64 + x) * 3]!)
    const steps = row.slice(1).map((v, x) => v - row[x]!)
    expect(Math.max(...steps)).toBe(2)
  })
})
