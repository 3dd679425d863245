import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import { randomBytes, randomFloats } from '../testing/prng.js'
import { compare, reference, type ResizeCase } from '../testing/reference.js'
import { resizeArea, resizePlan, roundHalfEven } from './area.js'

const size = (width: number, height: number) => ({ width, height })

function run(c: ResizeCase): Uint8Array | Float32Array {
  const [sw, sh] = c.from
  const [dw, dh] = c.to
  const n = sw * sh * c.channels
  return c.dtype === 'u8'
    ? resizeArea(randomBytes(c.seed, n), size(sw, sh), size(dw, dh), c.channels)
    : resizeArea(randomFloats(c.seed, n), size(sw, sh), size(dw, dh), c.channels)
}

describe('resizeArea against OpenCV 4.6.0 (cv2.resize INTER_AREA)', () => {
  it('uses the reference of OpenCV 4.6.0', () => {
    expect(reference.opencv).toBe('4.6.0')
    expect(reference.resize.length).toBeGreaterThan(90)
  })

  it.each(reference.resize.map((c) => [c.name, resizePlan(size(...c.from), size(...c.to)).mode, c] as const))(
    '%s (%s)',
    (_name, _mode, c) => {
      const result = run(c)
      expect(result.length).toBe(c.to[0] * c.to[1] * c.channels)
      const cmp = compare(result, c)
      if (c.dtype === 'f32') {
        // Required: every sample within 1e-4.
        expect(cmp.maxDiff).toBeLessThanOrEqual(1e-4)
        expect(cmp.roundedIdentical).toBe(true)
        expect(cmp.sumDiff).toBeLessThanOrEqual(1e-7 * result.length)
      } else {
        // Required: at least 99.9% of the samples exact, none more than one level off.
        expect(cmp.exactSamples / cmp.samples).toBeGreaterThanOrEqual(0.999)
        expect(cmp.maxDiff).toBeLessThanOrEqual(1)
        expect(cmp.sumDiff).toBe(0)
      }
      // Achieved: bit-identical to OpenCV over the whole result.
      expect(cmp.exactSamples).toBe(cmp.samples)
      expect(cmp.identical).toBe(true)
    },
  )
})

describe('resizeArea', () => {
  it('enlarges 0, 10, 20 to 7 samples as MODNET.md shows (not linear, not torch area)', () => {
    const f = resizeArea(new Float32Array([0, 10, 20]), size(3, 1), size(7, 1), 1)
    expect(Array.from(f, (v) => Math.round(v * 1000) / 1000)).toEqual([0, 0, 6.667, 10, 13.333, 20, 20])
    const u = resizeArea(new Uint8Array([0, 10, 20]), size(3, 1), size(7, 1), 1)
    expect(Array.from(u)).toEqual([0, 0, 7, 10, 13, 20, 20])
    // The same along the vertical axis.
    expect(Array.from(resizeArea(new Uint8Array([0, 10, 20]), size(1, 3), size(1, 7), 1))).toEqual([0, 0, 7, 10, 13, 20, 20])
  })

  it('averages whole blocks when shrinking by an integer factor', () => {
    const src = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
    // 2x2 blocks of 8-bit data round as (sum + 2) >> 2: (1 + 2 + 5 + 6 + 2) >> 2 = 4.
    expect(Array.from(resizeArea(src, size(4, 4), size(2, 2), 1))).toEqual([4, 6, 12, 14])
    const f = resizeArea(new Float32Array(src), size(4, 4), size(2, 2), 1)
    expect(Array.from(f)).toEqual([3.5, 5.5, 11.5, 13.5])
  })

  it('weights partly covered pixels by their fraction', () => {
    // 3 -> 2: cells [0, 1.5) and [1.5, 3): (0 + 0.5 * 30) / 1.5 = 10 and (0.5 * 30 + 60) / 1.5 = 50.
    const f = resizeArea(new Float32Array([0, 30, 60]), size(3, 1), size(2, 1), 1)
    expect(f[0]).toBeCloseTo(10, 5)
    expect(f[1]).toBeCloseTo(50, 5)
  })

  it('picks the mode OpenCV picks', () => {
    expect(resizePlan(size(512, 512), size(512, 512)).mode).toBe('copy')
    expect(resizePlan(size(1024, 1024), size(512, 512)).mode).toBe('fast')
    expect(resizePlan(size(512, 1080), size(512, 540)).mode).toBe('fast')
    expect(resizePlan(size(1920, 1080), size(896, 512)).mode).toBe('area')
    expect(resizePlan(size(33, 4000), size(32, 4000)).mode).toBe('area')
    expect(resizePlan(size(896, 512), size(1920, 1080)).mode).toBe('linear')
    // One axis shrinking and the other enlarging: the linear resizer on both axes.
    expect(resizePlan(size(600, 400), size(576, 401)).mode).toBe('linear')
  })

  it('caches plans per size pair', () => {
    const a = resizePlan(size(640, 480), size(320, 200))
    expect(resizePlan(size(640, 480), size(320, 200))).toBe(a)
  })

  it('writes into the given output and returns it', () => {
    const out = new Uint8Array(8 * 6 * 3)
    const src = randomBytes(7, 5 * 4 * 3)
    const r = resizeArea(src, size(5, 4), size(8, 6), 3, out)
    expect(r).toBe(out)
    expect(Array.from(r)).toEqual(Array.from(resizeArea(src, size(5, 4), size(8, 6), 3)))
    const fout = new Float32Array(2 * 2)
    expect(resizeArea(randomFloats(3, 16), size(4, 4), size(2, 2), 1, fout)).toBe(fout)
  })

  it('handles 2 and 4 channels', () => {
    const src = randomBytes(11, 9 * 7 * 4)
    const four = resizeArea(src, size(9, 7), size(4, 3), 4)
    // Channel k of a 4-channel resize equals the 1-channel resize of that channel.
    for (let k = 0; k < 4; k++) {
      const plane = new Uint8Array(9 * 7)
      for (let i = 0; i < plane.length; i++) plane[i] = src[i * 4 + k]!
      const one = resizeArea(plane, size(9, 7), size(4, 3), 1)
      for (let i = 0; i < one.length; i++) expect(four[i * 4 + k]).toBe(one[i])
    }
    expect(resizeArea(randomFloats(5, 6 * 6 * 2), size(6, 6), size(9, 11), 2).length).toBe(9 * 11 * 2)
  })

  it.each([
    ['a zero size', () => resizeArea(new Uint8Array(0), size(0, 1), size(1, 1), 1)],
    ['a fractional size', () => resizeArea(new Uint8Array(4), size(2, 2), size(1.5, 1), 1)],
    ['a wrong source length', () => resizeArea(new Uint8Array(5), size(2, 2), size(1, 1), 1)],
    ['a wrong output length', () => resizeArea(new Uint8Array(4), size(2, 2), size(1, 1), 1, new Uint8Array(2))],
    ['a mismatched output type', () => resizeArea(new Uint8Array(4), size(2, 2), size(1, 1), 1, new Float32Array(1) as never)],
    ['5 channels', () => resizeArea(new Uint8Array(20), size(2, 2), size(1, 1), 5)],
    ['an untyped source', () => resizeArea([1, 2, 3, 4] as never, size(2, 2), size(1, 1), 1)],
  ])('rejects %s with INVALID_INPUT', (_name, fn) => {
    let err: unknown
    try {
      fn()
    } catch (e) {
      err = e
    }
    expect(isMatteError(err, 'INVALID_INPUT')).toBe(true)
  })
})

describe('roundHalfEven', () => {
  it('rounds ties to even, like cvRound', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 7].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3, 7])
  })
})
