import { afterEach, describe, expect, it } from 'vitest'
import type { Size } from '../image.js'
import { compositeScaled, cutout } from '../composite.js'
import { MATTE_RESIZE_KERNEL, type MatteSlice, QUANTIZE_KERNEL, quantizeAlpha, resizeMatte, resizeMatteShared } from '../postprocess/alpha.js'
import { MODEL_TENSOR_KERNEL, type TensorSlice, toModelTensor, toModelTensorShared } from '../preprocess/tensor.js'
import { resizeArea, resizePlan } from '../resample/area.js'
import { mulberry32, randomBytes } from '../testing/prng.js'
import { createWasmKernels, useWasmKernels, wasmKernels } from './kernels.js'
import { KERNELS_WASM_BASE64 } from './kernels.generated.js'

afterEach(() => useWasmKernels(true))

/** `f` with the JavaScript kernels, then with the WebAssembly ones. */
function bothPaths<T>(f: () => T): { js: T; wasm: T } {
  useWasmKernels(false)
  const js = f()
  useWasmKernels(true)
  return { js, wasm: f() }
}

/** Positions where two float32 arrays differ bit for bit (so -0 and +0 differ). */
function bitMismatches(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  let n = x.length === y.length ? 0 : Infinity
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++
  return n
}

function byteMismatches(a: Uint8Array, b: Uint8Array): number {
  let n = a.length === b.length ? 0 : Infinity
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
  return n
}

/** Random size pairs of the given resize mode, from a seeded generator. */
function sizePairs(seed: number, count: number, mode: string, pick: (next: () => number) => [Size, Size]): [Size, Size][] {
  const rand = mulberry32(seed)
  const next = (): number => rand() / 2 ** 32
  const pairs: [Size, Size][] = []
  for (let tries = 0; pairs.length < count && tries < 100 * count; tries++) {
    const pair = pick(next)
    if (resizePlan(pair[0], pair[1]).mode === mode) pairs.push(pair)
  }
  return pairs
}

describe('WebAssembly kernels', () => {
  it('are available in Node, so the OpenCV reference tests of toModelTensor and resizeMatte run through them', () => {
    expect(wasmKernels()).toBeDefined()
  })

  const reductions = sizePairs(11, 40, 'area', (next) => {
    const from = { width: 2 + Math.floor(next() * 700), height: 2 + Math.floor(next() * 400) }
    return [from, { width: 1 + Math.floor(next() * from.width), height: 1 + Math.floor(next() * from.height) }]
  })

  it('give the tensor of the JavaScript kernel bit for bit: area reductions of 40 random size pairs (scales 1-700, k up to the hundreds)', () => {
    expect(reductions.length).toBe(40)
    expect(reductions.some(([f, t]) => f.width / t.width > 4)).toBe(true) // padded tables longer than the JS kernel's 4
    for (const [i, [from, to]] of reductions.entries()) {
      const image = { data: randomBytes(100 + i, from.width * from.height * 3), ...from }
      const { js, wasm } = bothPaths(() => toModelTensor(image, to))
      expect(bitMismatches(js, wasm), `${from.width}x${from.height} -> ${to.width}x${to.height}`).toBe(0)
    }
  })

  it('give the same tensor at 1920x1080 -> 896x512 and 4000x3000 -> 672x512 (the benchmark sizes)', () => {
    for (const [from, to] of [
      [{ width: 1920, height: 1080 }, { width: 896, height: 512 }],
      [{ width: 4000, height: 3000 }, { width: 672, height: 512 }],
    ] as const) {
      const image = { data: randomBytes(7, from.width * from.height * 3), ...from }
      const { js, wasm } = bothPaths(() => toModelTensor(image, to))
      expect(bitMismatches(js, wasm)).toBe(0)
    }
  })

  it('give the same tensor when no resize is needed (normalisation only)', () => {
    for (const size of [{ width: 1, height: 1 }, { width: 32, height: 64 }, { width: 512, height: 512 }]) {
      const image = { data: randomBytes(size.width, size.width * size.height * 3), ...size }
      const { js, wasm } = bothPaths(() => toModelTensor(image, size))
      expect(bitMismatches(js, wasm)).toBe(0)
    }
  })

  it("compute a worker's share (MODEL_TENSOR_KERNEL) and the main thread's rows exactly as the JavaScript kernel computes the whole tensor", () => {
    const kernel = new Function('__name', MODEL_TENSOR_KERNEL)((f: unknown) => f) as (slice: TensorSlice, dst: Float32Array) => void
    for (const [i, [from, to]] of reductions.slice(0, 12).entries()) {
      const image = { data: randomBytes(200 + i, from.width * from.height * 3), ...from }
      useWasmKernels(false)
      const whole = toModelTensor(image, to)
      useWasmKernels(true)
      const out = new Float32Array(whole.length)
      const slice = toModelTensorShared(image, to, out, () => true, 0.5, 0)
      if (slice) {
        const share = new Float32Array(whole.length)
        kernel(slice, share)
        const plane = to.width * to.height
        for (let c = 0; c < 3; c++) out.set(share.subarray(c * plane + slice.rowStart * to.width, (c + 1) * plane), c * plane + slice.rowStart * to.width)
      }
      expect(bitMismatches(whole, out), `${from.width}x${from.height} -> ${to.width}x${to.height}`).toBe(0)
    }
  })

  const enlargements = sizePairs(12, 30, 'linear', (next) => {
    const from = { width: 1 + Math.floor(next() * 120), height: 1 + Math.floor(next() * 90) }
    return [from, { width: from.width + Math.floor(next() * 400), height: from.height + Math.floor(next() * 300) }]
  })

  it('give the matte of the JavaScript kernel bit for bit: 8-bit enlargements of 30 random size pairs and 896x512 -> 1920x1080', () => {
    expect(enlargements.length).toBe(30)
    for (const [i, [from, to]] of [...enlargements, [{ width: 896, height: 512 }, { width: 1920, height: 1080 }] as [Size, Size]].entries()) {
      const matte = randomBytes(300 + i, from.width * from.height)
      const { js, wasm } = bothPaths(() => resizeMatte(matte, from, to))
      expect(byteMismatches(js, wasm), `${from.width}x${from.height} -> ${to.width}x${to.height}`).toBe(0)
    }
  })

  it("compute a worker's share of the matte (MATTE_RESIZE_KERNEL) exactly as the JavaScript kernel computes the whole", () => {
    const rowsOf = new Function('__name', MATTE_RESIZE_KERNEL)((f: unknown) => f) as (slice: MatteSlice) => Uint8Array
    for (const [i, [from, to]] of enlargements.slice(0, 10).entries()) {
      const matte = randomBytes(400 + i, from.width * from.height)
      useWasmKernels(false)
      const whole = resizeMatte(matte, from, to)
      useWasmKernels(true)
      const out = new Uint8Array(whole.length)
      const slice = resizeMatteShared(matte, from, to, out, () => true, 0.5, 0)
      if (slice) out.set(rowsOf(slice), slice.rowStart * to.width)
      expect(byteMismatches(whole, out), `${from.width}x${from.height} -> ${to.width}x${to.height}`).toBe(0)
    }
  })

  it('composite over a background enlarged on the fly (compositeScaled) exactly as the JavaScript kernel: 30 random size pairs and 1280x720 over 160x90', () => {
    const rand = mulberry32(13)
    const next = (): number => rand() / 2 ** 32
    const pairs: [Size, Size][] = [[{ width: 160, height: 90 }, { width: 1280, height: 720 }]]
    while (pairs.length < 31) {
      const to = { width: 1 + Math.floor(next() * 300), height: 1 + Math.floor(next() * 200) }
      // Mostly smaller backgrounds (the video blur's), some larger ones and equal sizes.
      const k = next() < 0.8 ? 1 + next() * 8 : 0.5 + next() * 0.5
      pairs.push([{ width: Math.max(1, Math.round(to.width / k)), height: Math.max(1, Math.round(to.height / k)) }, to])
    }
    for (const [i, [from, to]] of pairs.entries()) {
      const image = { data: randomBytes(500 + i, to.width * to.height * 3), ...to }
      const matte = { data: randomBytes(600 + i, to.width * to.height), ...to }
      const background = { data: randomBytes(700 + i, from.width * from.height * 3), ...from }
      const { js, wasm } = bothPaths(() => compositeScaled(image, matte, background).data)
      expect(byteMismatches(js, wasm), `${from.width}x${from.height} under ${to.width}x${to.height}`).toBe(0)
    }
  })

  it('cut out (RGB + matte to RGBA) byte for byte on both paths: 1280x720, sizes that leave 1-3 pixels after the 4-pixel steps, and views into larger buffers', () => {
    const sizes: Size[] = [{ width: 1280, height: 720 }, { width: 1, height: 1 }, { width: 3, height: 1 }, { width: 5, height: 3 }, { width: 7, height: 11 }, { width: 333, height: 17 }]
    for (const [i, size] of sizes.entries()) {
      const n = size.width * size.height
      // Views that start past the buffers' beginnings, with bytes after them that must not leak in.
      const rgbBuffer = randomBytes(800 + i, n * 3 + 40)
      const alphaBuffer = randomBytes(900 + i, n + 40)
      const image = { data: rgbBuffer.subarray(7, 7 + n * 3), ...size }
      const matte = { data: alphaBuffer.subarray(5, 5 + n), ...size }
      const expected = new Uint8Array(n * 4)
      for (let p = 0; p < n; p++) expected.set([image.data[p * 3]!, image.data[p * 3 + 1]!, image.data[p * 3 + 2]!, matte.data[p]!], p * 4)
      const { js, wasm } = bothPaths(() => cutout(image, matte).data)
      expect(byteMismatches(js, expected), `JavaScript, ${size.width}x${size.height}`).toBe(0)
      expect(byteMismatches(wasm, expected), `WebAssembly, ${size.width}x${size.height}`).toBe(0)
    }
  })

  it('average whole blocks (INTER_AREA at integer scales, 8-bit) exactly as the JavaScript kernel: 1280x720 by 8 (the video blur), 2x2, and 40 random scales, widths and channel counts', () => {
    const rand = mulberry32(17)
    const next = (): number => rand() / 2 ** 32
    const cases: [Size, number, number, number][] = [[{ width: 160, height: 90 }, 8, 8, 3], [{ width: 37, height: 5 }, 2, 2, 1], [{ width: 64, height: 48 }, 2, 2, 3]]
    while (cases.length < 43) {
      cases.push([{ width: 1 + Math.floor(next() * 90), height: 1 + Math.floor(next() * 30) }, 1 + Math.floor(next() * 9), 1 + Math.floor(next() * 9), [1, 3, 4][Math.floor(next() * 3)]!])
    }
    for (const [i, [to, sx, sy, cn]] of cases.entries()) {
      if (sx === 1 && sy === 1) continue // a copy, not a block average
      const from = { width: to.width * sx, height: to.height * sy }
      expect(resizePlan(from, to).mode).toBe('fast')
      const src = randomBytes(1000 + i, from.width * from.height * cn)
      const { js, wasm } = bothPaths(() => resizeArea(src, from, to, cn))
      expect(byteMismatches(js, wasm), `${from.width}x${from.height}x${cn} by ${sx}x${sy}`).toBe(0)
    }
    // Flat blocks average to themselves on both paths: 255 everywhere stays 255 (no overflow).
    const white = new Uint8Array(96 * 64 * 3).fill(255)
    const { js, wasm } = bothPaths(() => resizeArea(white, { width: 96, height: 64 }, { width: 12, height: 8 }, 3))
    expect(js.every((v) => v === 255) && wasm.every((v) => v === 255)).toBe(true)
  })

  it('quantise the alpha (quantizeAlpha, QUANTIZE_KERNEL) byte for byte on both paths: every level boundary, NaN, infinities, -0, out-of-range values, tails and views', () => {
    const special = [NaN, Infinity, -Infinity, -0, 0, -1e-30, 1e-45, 1, 1.0000001, 2, -3, 3e9, -3e9, 0.9999999]
    const edges: number[] = []
    for (let k = 0; k <= 256; k++) {
      // k/255 as float32 and its neighbours: where float64 `a * 255` decides the level.
      const f = Math.fround(k / 255)
      const bits = new Uint32Array(new Float32Array([f]).buffer)[0]!
      for (const d of [-2, -1, 0, 1, 2]) edges.push(new Float32Array(new Uint32Array([bits + d]).buffer)[0]!)
    }
    const rand = mulberry32(5)
    const random = Array.from({ length: 997 }, () => (rand() / 2 ** 32) * 1.2 - 0.1)
    const values = Float32Array.from([...special, ...edges, ...random])
    const quantize = new Function('__name', QUANTIZE_KERNEL)((f: unknown) => f) as (alpha: Float32Array) => Uint8Array
    for (const n of [values.length, 1, 2, 3, 5, 7]) {
      for (const offset of [0, 1, 3]) {
        const view = values.subarray(offset, offset + Math.min(n, values.length - offset))
        const { js, wasm } = bothPaths(() => quantizeAlpha(view))
        expect(byteMismatches(wasm, js)).toBe(0)
        expect(byteMismatches(quantize(view), js)).toBe(0)
        // The official rule, value by value: trunc(a * 255) clamped, NaN to 0.
        for (let i = 0; i < view.length; i++) {
          const v = view[i]! * 255
          expect(js[i]).toBe(Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, Math.trunc(v))))
        }
      }
    }
  })

  it('stay exact across an image large enough to make them start over with fresh memory (over 64 MiB)', () => {
    const from = { width: 4800, height: 4700 } // 67.7 MB of RGB
    const to = { width: 512, height: 512 }
    const data = new Uint8Array(from.width * from.height * 3)
    for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 24) ^ (i >>> 13)
    const image = { data, ...from }
    const { js, wasm } = bothPaths(() => toModelTensor(image, to))
    expect(bitMismatches(js, wasm)).toBe(0)
    // The next, small call runs on a new instance and is exact too.
    const small = { data: randomBytes(9, 300 * 200 * 3), width: 300, height: 200 }
    const after = bothPaths(() => toModelTensor(small, { width: 160, height: 96 }))
    expect(bitMismatches(after.js, after.wasm)).toBe(0)
  })

  it('report a call whose data does not fit the memory (false, nothing written), and stay usable for smaller ones', () => {
    const kernels = createWasmKernels(KERNELS_WASM_BASE64, 1 << 20)!
    const big = { data: randomBytes(21, 512 * 512 * 3), width: 512, height: 512 } // 3.9 MB with its tensor
    const out = new Float32Array(3 * 512 * 512)
    const n = 512 * 512
    expect(kernels.copyTensor(big.data, new Float64Array(256), out, n)).toBe(false)
    expect(out.every((v) => v === 0)).toBe(true)
    // A smaller call on the same instance works, and is exact (core's call sites run the JavaScript
    // kernel whenever a WebAssembly one returns false).
    const small = { data: randomBytes(22, 40 * 30 * 3), width: 40, height: 30 }
    const normalised = Float64Array.from({ length: 256 }, (_, v) => (v - 127.5) / 127.5)
    const tensor = new Float32Array(3 * 40 * 30)
    expect(kernels.copyTensor(small.data, normalised, tensor, 40 * 30)).toBe(true)
    useWasmKernels(false)
    expect(bitMismatches(tensor, toModelTensor(small, { width: 40, height: 30 }))).toBe(0)
  })

  it('are left out (undefined) where WebAssembly is missing or refuses the module, and core falls back to JavaScript', () => {
    expect(createWasmKernels('AAAA')).toBeUndefined() // not a module: compile error
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!
    Reflect.deleteProperty(globalThis, 'WebAssembly')
    try {
      expect(createWasmKernels(KERNELS_WASM_BASE64)).toBeUndefined()
    } finally {
      Object.defineProperty(globalThis, 'WebAssembly', saved)
    }
    expect(createWasmKernels(KERNELS_WASM_BASE64)).toBeDefined()
  })
})
