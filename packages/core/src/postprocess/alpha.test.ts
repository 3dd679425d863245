import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import { crc32 } from '../testing/checksum.js'
import { compare, reference, syntheticAlpha } from '../testing/reference.js'
import { MATTE_RESIZE_KERNEL, type MatteSlice, quantizeAlpha, resizeMatte, resizeMatteShared } from './alpha.js'

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

describe('resizeMatteShared and MATTE_RESIZE_KERNEL (post-processing shared with a worker)', () => {
  // What a worker does: build the kernel from its source and compute the slice's rows from a
  // structured clone (as postMessage delivers it); the caller copies them in.
  const rowsOf = new Function('__name', MATTE_RESIZE_KERNEL)((f: unknown) => f) as (slice: MatteSlice) => Uint8Array
  const levels = (n: number, seed: number): Uint8Array => {
    const out = new Uint8Array(n)
    let x = seed
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      out[i] = x >>> 24
    }
    return out
  }

  it.each([
    [896, 512, 1920, 1080, 0.5],
    [672, 512, 4000, 3000, 0.5],
    [512, 512, 513, 517, 0.3],
    [320, 544, 600, 1025, 0.7],
    [33, 32, 1000, 999, 0.5],
  ])('%ix%i to %ix%i, share %f: bit-identical to resizeMatte', (sw, sh, dw, dh, share) => {
    const matte = levels(sw * sh, sw + dh)
    const from = { width: sw, height: sh }
    const to = { width: dw, height: dh }
    const expected = resizeMatte(matte, from, to)
    const out = new Uint8Array(dw * dh).fill(7)
    let rows: Uint8Array | undefined
    const slice = resizeMatteShared(matte, from, to, out, (s) => ((rows = rowsOf(structuredClone(s))), true), share, 1)
    expect(slice).toBeDefined()
    expect(rows).toHaveLength((slice!.rowEnd - slice!.rowStart) * dw)
    // The main thread left the slice's rows alone...
    expect(out.subarray(slice!.rowStart * dw).every((v) => v === 7)).toBe(true)
    out.set(rows!, slice!.rowStart * dw)
    // ...and together they are resizeMatte's result, bit for bit.
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true)
  })

  it('computes everything itself for a reduction, a small result, or when the helper declines', () => {
    const matte = levels(768 * 512, 3)
    const cases: [number, number, number, boolean][] = [
      [300, 200, 1, true], // reduction (area mode): not shared
      [1500, 1000, 2_000_000, true], // under minPixels
      [1500, 1000, 1, false], // declined
    ]
    for (const [dw, dh, minPixels, accept] of cases) {
      const to = { width: dw, height: dh }
      const out = new Uint8Array(dw * dh)
      let offered = false
      const slice = resizeMatteShared(matte, { width: 768, height: 512 }, to, out, () => ((offered = true), accept), 0.5, minPixels)
      expect(slice).toBeUndefined()
      expect(offered).toBe(dw === 1500 && minPixels === 1 && !accept)
      expect(Buffer.from(out).equals(Buffer.from(resizeMatte(matte, { width: 768, height: 512 }, to)))).toBe(true)
    }
  })
})
