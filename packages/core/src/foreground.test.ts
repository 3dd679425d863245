import { describe, expect, it } from 'vitest'
import { composite } from './composite.js'
import { estimateForeground } from './foreground.js'
import type { Matte, RgbImage } from './image.js'

/**
 * Synthetic ground truth: a known foreground F over a known background B with a known soft matte
 * (a disc with a wide soft rim and thin hair-like strands), observed as I = aF + (1 - a)B.
 */
function scene(w: number, h: number) {
  const F = new Uint8Array(w * h * 3)
  const B = new Uint8Array(w * h * 3)
  const I = new Uint8Array(w * h * 3)
  const A = new Uint8Array(w * h)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x
      const r = Math.hypot(x - w / 2, y - h / 2) / (0.3 * Math.min(w, h))
      let a = Math.min(1, Math.max(0, (1.4 - r) / 0.6)) // soft rim from r = 0.8 to 1.4
      const strand = Math.abs(Math.sin((Math.atan2(y - h / 2, x - w / 2) * 40) / 2))
      if (r > 1 && r < 1.8) a = Math.max(a, 0.6 * Math.max(0, 1 - (r - 1) / 0.8) * (strand > 0.9 ? 1 : 0))
      A[i] = Math.round(a * 255)
      const f = [200 + 40 * Math.sin(x / 23), 140 + 50 * Math.cos(y / 31), 90 + 30 * Math.sin((x + y) / 40)]
      const b = [30 + 20 * Math.cos(x / 50), 180 + 40 * Math.sin(y / 45), 60 + 50 * Math.cos((x - y) / 60)]
      for (let c = 0; c < 3; c++) {
        F[i * 3 + c] = Math.round(f[c]!)
        B[i * 3 + c] = Math.round(b[c]!)
        const al = A[i]! / 255
        I[i * 3 + c] = Math.round(al * F[i * 3 + c]! + (1 - al) * B[i * 3 + c]!)
      }
    }
  const image: RgbImage = { data: I, width: w, height: h }
  const matte: Matte = { data: A, width: w, height: h }
  const truth: RgbImage = { data: F, width: w, height: h }
  return { image, matte, truth }
}

/** Mean absolute colour error over pixels with 0.05 < alpha < 0.95. */
function bandError(a: RgbImage, b: RgbImage, matte: Matte): number {
  let sum = 0
  let n = 0
  for (let i = 0; i < matte.data.length; i++) {
    const al = matte.data[i]! / 255
    if (al <= 0.05 || al >= 0.95) continue
    for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i * 3 + c]! - b.data[i * 3 + c]!)
    n += 3
  }
  return sum / n
}

describe('estimateForeground', () => {
  const { image, matte, truth } = scene(160, 120)
  const newBackground = { type: 'color', color: [255, 0, 255] } as const
  const target = composite(truth, matte, newBackground)
  const observedError = bandError(composite(image, matte, newBackground), target, matte)

  it.each(['ml', 'blur-fusion'] as const)('%s at least halves the colour error of a new composite in the soft band', (method) => {
    const fg = estimateForeground(image, matte, { method }) // default radius 90, as in the paper
    const estimatedError = bandError(composite(fg, matte, newBackground), target, matte)
    console.info(`${method}: band error ${estimatedError.toFixed(2)} vs observed colour ${observedError.toFixed(2)} (levels)`)
    expect(observedError).toBeGreaterThan(5) // the scene really has a halo to remove
    expect(estimatedError).toBeLessThanOrEqual(observedError / 2)
  })

  it('leaves opaque pixels (almost) unchanged', () => {
    const fg = estimateForeground(image, matte)
    for (let i = 0; i < matte.data.length; i++) {
      if (matte.data[i] !== 255) continue
      for (let c = 0; c < 3; c++) expect(Math.abs(fg.data[i * 3 + c]! - image.data[i * 3 + c]!)).toBeLessThanOrEqual(1)
    }
  })

  it('validates its inputs', () => {
    expect(() => estimateForeground(image, { data: new Uint8Array(4), width: 2, height: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
    expect(() => estimateForeground(image, matte, { method: 'magic' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => estimateForeground(image, matte, { method: 'blur-fusion', radius: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  })
})

describe('cutout and composite with foreground: "estimate"', () => {
  it('use the estimated colours; "observed" (the default) keeps the input', async () => {
    const { cutout } = await import('./composite.js')
    const { image, matte } = scene(64, 48)
    const plain = cutout(image, matte)
    const estimated = cutout(image, matte, { foreground: 'estimate' })
    const fg = estimateForeground(image, matte)
    for (let i = 0; i < 64 * 48; i++) {
      for (let c = 0; c < 3; c++) {
        expect(plain.data[i * 4 + c]).toBe(image.data[i * 3 + c])
        expect(estimated.data[i * 4 + c]).toBe(fg.data[i * 3 + c])
      }
      expect(estimated.data[i * 4 + 3]).toBe(matte.data[i])
    }
    const viaBlurFusion = composite(image, matte, { type: 'color', color: [0, 0, 0] }, { foreground: { method: 'blur-fusion' } })
    expect(viaBlurFusion.data).toEqual(composite(estimateForeground(image, matte, { method: 'blur-fusion' }), matte, { type: 'color', color: [0, 0, 0] }).data)
  })
})

describe("the 'ml' method reproduces pymatting's estimate_foreground_ml", () => {
  it('within float rounding of a Python/NumPy reproduction (scripts/reference/foreground_ml.py)', async () => {
    const { default: ref } = await import('./testdata/foreground-ml.json')
    const { fromBase64, floatsFromBase64 } = await import('./testing/checksum.js')
    const { width, height } = ref
    const image: RgbImage = { data: fromBase64(ref.image), width, height }
    const matte: Matte = { data: fromBase64(ref.matte), width, height }
    const want = floatsFromBase64(ref.foreground)
    const got = estimateForeground(image, matte, { method: 'ml' })
    let maxLevels = 0
    let sumLevels = 0
    let soft = 0
    for (let i = 0; i < width * height; i++) {
      const a = matte.data[i]!
      if (a > 0 && a < 255) soft++
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(got.data[i * 3 + c]! - want[i * 3 + c]! * 255)
        maxLevels = Math.max(maxLevels, d)
        sumLevels += d
      }
    }
    const mean = sumLevels / (width * height * 3)
    console.info(`ml vs pymatting reproduction: max ${maxLevels.toFixed(3)} levels, mean ${mean.toFixed(4)} levels, ${soft} soft pixels`)
    expect(soft).toBeGreaterThan(500) // the comparison covers a real soft band
    expect(maxLevels).toBeLessThanOrEqual(0.51) // our output is rounded to 8 bits: only that rounding differs
    expect(mean).toBeLessThan(0.26)
  })
})
