import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import { mulberry32 } from '../testing/prng.js'
import { resizeBilinear } from './bilinear.js'

/** The textbook per-pixel formula (a GPU's LINEAR filter), written out independently. */
function reference(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, cn: number): Uint8Array {
  const out = new Uint8Array(dw * dh * cn)
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * (sh / dh) - 0.5, 0), sh - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, sh - 1)
    const wy = fy - y0
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * (sw / dw) - 0.5, 0), sw - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, sw - 1)
      const wx = Math.fround(fx - x0)
      for (let c = 0; c < cn; c++) {
        const at = (xx: number, yy: number): number => src[(yy * sw + xx) * cn + c]!
        const top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * wx
        const bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * wx
        out[(y * dw + x) * cn + c] = Math.floor(top + (bottom - top) * wy + 0.5)
      }
    }
  }
  return out
}

describe('resizeBilinear', () => {
  it('matches the per-pixel formula for 1 to 4 channels, enlarging, shrinking and mixed', () => {
    const rand = mulberry32(7)
    const cases: [number, number, number, number][] = [
      [320, 180, 1280, 720],
      [7, 5, 31, 17],
      [33, 32, 32, 33],
      [1, 1, 5, 3],
      [64, 48, 20, 100],
    ]
    for (const [sw, sh, dw, dh] of cases) {
      for (let cn = 1; cn <= 4; cn++) {
        const src = new Uint8Array(sw * sh * cn).map(() => Math.floor(rand() * 256))
        const got = resizeBilinear(src, { width: sw, height: sh }, { width: dw, height: dh }, cn)
        expect(Buffer.from(got).equals(Buffer.from(reference(src, sw, sh, dw, dh, cn))), `${sw}x${sh}->${dw}x${dh}x${cn}`).toBe(true)
      }
    }
  })

  it('enlarges by an integer factor without blocks (unlike INTER_AREA, which repeats pixels)', () => {
    // A horizontal ramp of 8 levels per source pixel, enlarged 4x: steps of 2 between neighbours.
    const src = new Uint8Array(16 * 4).map((_, i) => (i % 16) * 8)
    const out = resizeBilinear(src, { width: 16, height: 4 }, { width: 64, height: 16 }, 1)
    const row = Array.from(out.subarray(5 * 64, 6 * 64))
    const steps = row.slice(1).map((v, i) => v - row[i]!)
    expect(Math.max(...steps.slice(2, -2))).toBe(2)
    expect(Math.min(...steps.slice(2, -2))).toBe(2)
  })

  it('writes into out, and rejects bad sizes, channels and lengths with INVALID_INPUT', () => {
    const src = new Uint8Array(4 * 4 * 3).fill(9)
    const out = new Uint8Array(8 * 8 * 3)
    expect(resizeBilinear(src, { width: 4, height: 4 }, { width: 8, height: 8 }, 3, out)).toBe(out)
    expect(out.every((v) => v === 9)).toBe(true)
    const bad = [
      () => resizeBilinear(src, { width: 4, height: 4 }, { width: 0, height: 8 }, 3),
      () => resizeBilinear(src, { width: 4, height: 4 }, { width: 8, height: 8 }, 5),
      () => resizeBilinear(src, { width: 4, height: 5 }, { width: 8, height: 8 }, 3),
      () => resizeBilinear(src, { width: 4, height: 4 }, { width: 8, height: 8 }, 3, new Uint8Array(10)),
    ]
    for (const f of bad) {
      let caught: unknown
      try {
        f()
      } catch (e) {
        caught = e
      }
      expect(isMatteError(caught, 'INVALID_INPUT')).toBe(true)
    }
  })
})
