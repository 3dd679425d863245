import { describe, expect, it } from 'vitest'
import astronautPng from '../../../../fixtures/astronaut.png?inline'
import cameraPng from '../../../../fixtures/camera.png?inline'
import { isMatteError } from '../errors.js'
import type { RgbImage } from '../image.js'
import { resizeArea } from '../resample/area.js'
import { crc32 } from '../testing/checksum.js'
import { decodePngDataUrl, tiledCrop } from '../testing/png.js'
import { randomBytes } from '../testing/prng.js'
import { compare, reference } from '../testing/reference.js'
import { modelInputSize } from './size.js'
import { MODEL_TENSOR_KERNEL, type TensorSlice, toModelTensor, toModelTensorShared } from './tensor.js'

const fixtures: Record<string, RgbImage> = {
  'astronaut.png': decodePngDataUrl(astronautPng),
  'camera.png': decodePngDataUrl(cameraPng),
}

describe('toModelTensor against the official preprocessing (inference_onnx.py, OpenCV 4.6.0)', () => {
  it.each(reference.tensor.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const image = tiledCrop(fixtures[c.fixture]!, c.crop.x, c.crop.y, c.crop.width, c.crop.height)
    // The decoded fixture is what cv2.imread(IMREAD_COLOR) + BGR2RGB gives.
    expect(crc32(image.data)).toBe(c.inputCrc32)
    const s = modelInputSize(image.width, image.height)
    expect([1, 3, s.height, s.width]).toEqual(c.shape)
    const tensor = toModelTensor(image, s)
    expect(tensor.length).toBe(3 * s.width * s.height)
    const cmp = compare(tensor, c)
    // Required: within 1e-4 of the official float64 pipeline at every sample.
    expect(cmp.maxDiff).toBeLessThanOrEqual(1e-4)
    expect(cmp.roundedIdentical).toBe(true)
    expect(cmp.sumDiff).toBeLessThanOrEqual(1e-7 * tensor.length)
    // Achieved: bit-identical over the whole tensor.
    expect(cmp.exactSamples).toBe(cmp.samples)
    expect(cmp.identical).toBe(true)
  })
})

describe('toModelTensor', () => {
  const image: RgbImage = { data: randomBytes(5, 37 * 23 * 3), width: 37, height: 23 }

  it('writes planar RGB, normalised to (v - 127.5) / 127.5', () => {
    const px: RgbImage = { data: new Uint8Array([0, 127, 255, 10, 20, 30]), width: 2, height: 1 }
    const t = toModelTensor(px, { width: 2, height: 1 })
    const n = (v: number) => Math.fround((v - 127.5) / 127.5)
    // R plane, then G, then B.
    expect(Array.from(t)).toEqual([n(0), n(10), n(127), n(20), n(255), n(30)])
    expect(t[0]).toBe(-1)
    expect(t[4]).toBe(1)
  })

  it('agrees with resizing the 8-bit image first and normalising after, up to float rounding', () => {
    for (const [w, h] of [
      [64, 32],
      [20, 40],
      [37, 23],
      [18, 23],
      [111, 77],
    ] as const) {
      const t = toModelTensor(image, { width: w, height: h })
      const f = resizeArea(new Float32Array(image.data), { width: 37, height: 23 }, { width: w, height: h }, 3)
      for (let i = 0; i < w * h; i++) {
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(t[c * w * h + i]! - (f[i * 3 + c]! - 127.5) / 127.5)).toBeLessThan(1e-5)
        }
      }
    }
  })

  it('reuses the output buffer', () => {
    const out = new Float32Array(3 * 64 * 32)
    expect(toModelTensor(image, { width: 64, height: 32 }, out)).toBe(out)
  })

  it.each([
    ['a short buffer', () => toModelTensor({ data: new Uint8Array(10), width: 2, height: 2 }, { width: 32, height: 32 })],
    ['a zero target', () => toModelTensor(image, { width: 0, height: 32 })],
    ['a wrong output length', () => toModelTensor(image, { width: 32, height: 32 }, new Float32Array(10))],
    ['untyped data', () => toModelTensor({ data: [1, 2, 3] as never, width: 1, height: 1 }, { width: 32, height: 32 })],
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

describe('toModelTensorShared and MODEL_TENSOR_KERNEL (preprocessing shared with a worker)', () => {
  // What a worker does: build the kernel from its source, compute the slice into its own tensor
  // (from a structured clone, as postMessage delivers it), and the rows are merged before the run.
  const kernel = new Function('__name', MODEL_TENSOR_KERNEL)((f: unknown) => f) as (slice: TensorSlice, dst: Float32Array) => void
  const merge = (slice: TensorSlice, from: Float32Array, into: Float32Array): void => {
    const plane = slice.dw * slice.dh
    for (let c = 0; c < 3; c++) into.set(from.subarray(c * plane + slice.rowStart * slice.dw, c * plane + slice.rowEnd * slice.dw), c * plane + slice.rowStart * slice.dw)
  }

  it.each([
    [1000, 700, 333, 250, 0.5],
    [640, 480, 224, 160, 0.5],
    [601, 577, 600, 576, 0.3],
    [300, 1000, 96, 320, 0.7],
    [257, 255, 128, 127, 0.5],
    [1920, 1080, 896, 512, 0.5],
  ])('%ix%i to %ix%i, share %f: bit-identical to toModelTensor', (sw, sh, dw, dh, share) => {
    const image: RgbImage = { data: randomBytes(sw + sh, sw * sh * 3), width: sw, height: sh }
    const size = { width: dw, height: dh }
    const expected = toModelTensor(image, size)
    const out = new Float32Array(3 * dw * dh).fill(Number.NaN)
    let worker: Float32Array | undefined
    const slice = toModelTensorShared(
      image,
      size,
      out,
      (s) => {
        const copy = structuredClone(s)
        worker = new Float32Array(3 * dw * dh)
        kernel(copy, worker)
        return true
      },
      share,
      1,
    )
    expect(slice).toBeDefined()
    expect(slice!.rowStart).toBeGreaterThan(0)
    expect(slice!.rowEnd).toBe(dh)
    // The main thread left the slice's rows alone...
    expect(Number.isNaN(out[slice!.rowStart * dw])).toBe(true)
    merge(slice!, worker!, out)
    // ...and together they are exactly the tensor.
    let same = 0
    for (let i = 0; i < out.length; i++) if (Object.is(out[i], expected[i])) same++
    expect(same).toBe(out.length)
  })

  it('computes everything itself when the slice is refused, the image is small, or the resampling is not an area reduction', () => {
    const image: RgbImage = { data: randomBytes(9, 200 * 100 * 3), width: 200, height: 100 }
    const area = { width: 64, height: 32 }
    const refused = new Float32Array(3 * 64 * 32)
    expect(toModelTensorShared(image, area, refused, () => false, 0.5, 1)).toBeUndefined()
    expect(refused).toEqual(toModelTensor(image, area))
    let offered = 0
    const small = new Float32Array(3 * 64 * 32)
    expect(toModelTensorShared(image, area, small, () => ++offered > 0)).toBeUndefined() // 20 000 pixels < 1 MP
    expect(small).toEqual(toModelTensor(image, area))
    for (const size of [{ width: 400, height: 200 }, { width: 100, height: 50 }, { width: 200, height: 100 }]) {
      const out = new Float32Array(3 * size.width * size.height)
      expect(toModelTensorShared(image, size, out, () => ++offered > 0, 0.5, 1)).toBeUndefined() // linear, fast, copy
      expect(out).toEqual(toModelTensor(image, size))
    }
    expect(offered).toBe(0)
  })
})
