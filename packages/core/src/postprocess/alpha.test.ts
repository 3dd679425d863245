import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import { crc32 } from '../testing/checksum.js'
import { compare, reference, syntheticAlpha } from '../testing/reference.js'
import { quantizeAlpha, resizeMatte } from './alpha.js'

describe('quantizeAlpha', () => {
  it('truncates alpha * 255 and clamps, NaN to 0', () => {
    const a = new Float32Array([0, 1, 0.999, 0.5, 1 / 255, 0.0039, 1.5, -0.2, Number.NaN, -0, Infinity, -Infinity])
    expect(Array.from(quantizeAlpha(a))).toEqual([0, 255, 254, 127, 1, 0, 255, 0, 0, 0, 255, 0])
  })

  it('matches the float32 product of the official script on every level boundary', () => {
    // For each level k, the float32 values just below and at k / 255.
    const values: number[] = []
    for (let k = 1; k <= 255; k++) {
      const f = Math.fround(k / 255)
      values.push(f, Math.fround(f - f * 2 ** -24), Math.fround(f + f * 2 ** -23))
    }
    const q = quantizeAlpha(new Float32Array(values))
    values.forEach((v, i) => {
      const official = Math.min(255, Math.trunc(Math.fround(v * 255)))
      expect(q[i]).toBe(official)
    })
  })

  it('reuses the output buffer and checks its length', () => {
    const out = new Uint8Array(3)
    expect(quantizeAlpha(new Float32Array([0, 0.5, 1]), out)).toBe(out)
    let err: unknown
    try {
      quantizeAlpha(new Float32Array(3), new Uint8Array(2))
    } catch (e) {
      err = e
    }
    expect(isMatteError(err, 'INVALID_INPUT')).toBe(true)
  })
})

describe('quantizeAlpha + resizeMatte against the official post-processing (OpenCV 4.6.0)', () => {
  it.each(reference.matte.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [mw, mh] = c.model
    const [ow, oh] = c.original
    const alpha = syntheticAlpha(c.seed, mw, mh)
    expect(crc32(alpha)).toBe(c.alphaCrc32)
    const a8 = quantizeAlpha(alpha)
    expect(crc32(a8)).toBe(c.quantizedCrc32)
    const matte = resizeMatte(a8, { width: mw, height: mh }, { width: ow, height: oh })
    expect(matte.length).toBe(ow * oh)
    const cmp = compare(matte, c)
    // Required: at least 99.9% of the samples exact, none more than one level off.
    expect(cmp.exactSamples / cmp.samples).toBeGreaterThanOrEqual(0.999)
    expect(cmp.maxDiff).toBeLessThanOrEqual(1)
    // Achieved: bit-identical.
    expect(cmp.sumDiff).toBe(0)
    expect(cmp.identical).toBe(true)
  })
})

describe('resizeMatte', () => {
  it('reuses the output buffer', () => {
    const out = new Uint8Array(7 * 5)
    expect(resizeMatte(new Uint8Array(4 * 3).fill(200), { width: 4, height: 3 }, { width: 7, height: 5 }, out)).toBe(out)
    expect(Array.from(out).every((v) => v === 200)).toBe(true)
  })

  it('rejects a matte of the wrong length', () => {
    let err: unknown
    try {
      resizeMatte(new Uint8Array(5), { width: 2, height: 2 }, { width: 4, height: 4 })
    } catch (e) {
      err = e
    }
    expect(isMatteError(err, 'INVALID_INPUT')).toBe(true)
  })
})
