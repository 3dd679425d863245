import { describe, expect, it } from 'vitest'
import { opaqueRgba } from './ops.js'
import { rgbaToRgb } from './pixels.js'

describe('rgbaToRgb', () => {
  it.each([1, 3, 4, 5, 7, 1000, 1003])('drops alpha exactly for %i pixels (word path and tail), RGBA and BGRA', (count) => {
    const rgba = new Uint8Array(count * 4)
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 53 + 7) & 255
    const rgb = rgbaToRgb(rgba, count)
    const bgr = rgbaToRgb(rgba, count, true)
    for (let p = 0; p < count; p++) {
      expect([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]]).toEqual([rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]])
      expect([bgr[3 * p], bgr[3 * p + 1], bgr[3 * p + 2]]).toEqual([rgba[4 * p + 2], rgba[4 * p + 1], rgba[4 * p]])
    }
  })

  it.each([0, 1, 4])('writes into a given array (at byte offset %i) the same bytes, and returns it', (offset) => {
    const count = 1003
    const rgba = new Uint8Array(count * 4).map((_, i) => (i * 29 + 3) & 255)
    const backing = new Uint8Array(count * 3 + offset + 1).fill(0xa5)
    const out = backing.subarray(offset, offset + count * 3)
    for (const bgr of [false, true]) {
      expect(rgbaToRgb(rgba, count, bgr, out)).toBe(out)
      expect(Array.from(out)).toEqual(Array.from(rgbaToRgb(rgba, count, bgr)))
    }
    expect(backing.at(-1)).toBe(0xa5)
  })

  it('reads an unaligned view correctly', () => {
    const backing = new Uint8Array(4 * 9 + 1)
    for (let i = 0; i < backing.length; i++) backing[i] = i
    const view = backing.subarray(1)
    const rgb = rgbaToRgb(view, 9)
    expect(Array.from(rgb.subarray(0, 6))).toEqual([1, 2, 3, 5, 6, 7])
  })
})

describe('opaqueRgba', () => {
  it.each([0, 1, 4])('writes opaque RGBA into a given array (at byte offset %i) as into a new one', (offset) => {
    const rgb = { data: new Uint8Array(7 * 5 * 3).map((_, i) => (i * 31 + 11) & 255), width: 7, height: 5 }
    const fresh = opaqueRgba(rgb)
    for (let p = 0; p < 35; p++) expect(Array.from(fresh.subarray(4 * p, 4 * p + 4))).toEqual([...rgb.data.subarray(3 * p, 3 * p + 3), 255])
    const backing = new Uint8Array(35 * 4 + offset + 1).fill(7)
    const out = backing.subarray(offset, offset + 35 * 4)
    expect(opaqueRgba(rgb, out)).toBe(out)
    expect(Array.from(out)).toEqual(Array.from(fresh))
    expect(backing.at(-1)).toBe(7)
  })
})
