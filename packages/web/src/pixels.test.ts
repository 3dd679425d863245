import { describe, expect, it } from 'vitest'
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

  it('reads an unaligned view correctly', () => {
    const backing = new Uint8Array(4 * 9 + 1)
    for (let i = 0; i < backing.length; i++) backing[i] = i
    const view = backing.subarray(1)
    const rgb = rgbaToRgb(view, 9)
    expect(Array.from(rgb.subarray(0, 6))).toEqual([1, 2, 3, 5, 6, 7])
  })
})
