/**
 * Test doubles for core: a fake ModelSession whose output is a known function of its input, and
 * a platform around it. Not exported from the package.
 */
import type { RgbImage } from '../image.js'
import type { MatterPlatform } from '../matter.js'
import type { Float32Tensor, ModelSession, RunOptions } from '../session.js'

/** A ModelSession that maps each pixel's first channel v in [-1,1] to alpha (v + 1) / 2. */
export class FakeSession implements ModelSession {
  runCalls = 0
  disposeCalls = 0
  /** Resolves runs only when released (to test in-flight behaviour). */
  gate: Promise<void> | undefined
  lastDims: readonly number[] = []
  failWith: unknown

  async run(input: Float32Tensor, _options?: RunOptions): Promise<Float32Tensor> {
    this.runCalls++
    this.lastDims = input.dims
    if (this.gate) await this.gate
    if (this.failWith) throw this.failWith
    const [, , h, w] = input.dims as [number, number, number, number]
    const out = new Float32Array(h * w)
    for (let i = 0; i < out.length; i++) out[i] = (input.data[i]! + 1) / 2
    return { data: out, dims: [1, 1, h, w] }
  }

  async dispose(): Promise<void> {
    this.disposeCalls++
  }
}

/** A solid-colour or gradient RGB image for tests. */
export function testImage(width: number, height: number, pixel?: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel ? pixel(x, y) : [(x * 255) / Math.max(1, width - 1), 128, 64]
      const i = (y * width + x) * 3
      data[i] = r
      data[i + 1] = g
      data[i + 2] = b
    }
  return { data, width, height }
}

/** A platform whose "decode" takes RgbImage inputs as they are. */
export function fakePlatform(session = new FakeSession()): MatterPlatform<RgbImage> & { session: FakeSession } {
  let t = 0
  return {
    session,
    now: () => (t += 1),
    decode: async (input) => input,
  }
}
