import { describe, expect, it } from 'vitest'
import { isMatteError } from './errors.js'
import { createMatterCore } from './matter.js'
import type { Float32Tensor, RunResult } from './session.js'
import { FakeSession, fakePlatform, testImage } from './testing/fake-session.js'

describe('createMatterCore', () => {
  it('runs the official pipeline: size rule, tensor, model, quantise, resize back', async () => {
    const platform = fakePlatform()
    const matter = createMatterCore(platform)
    // 600x400 runs at 576x384 (official rule) and comes back at 600x400.
    const image = testImage(600, 400)
    const result = await matter.matte(image)
    expect(result.modelSize).toEqual({ width: 576, height: 384 })
    expect(platform.session.lastDims).toEqual([1, 3, 384, 576])
    expect(result.matte.width).toBe(600)
    expect(result.matte.height).toBe(400)
    expect(result.matte.data.length).toBe(600 * 400)
    expect(result.image).toBe(image)
    // The fake model returns (r/127.5 - 1 + 1)/2 = r/255: the matte follows the red ramp.
    const row = result.matte.data.subarray(200 * 600, 201 * 600)
    expect(row[0]).toBeLessThanOrEqual(1)
    expect(row[599]).toBeGreaterThanOrEqual(253)
    // Monotonic up to OpenCV's INTER_AREA enlarge rounding (it can step back by one level).
    for (let x = 1; x < 600; x++) expect(row[x]!).toBeGreaterThanOrEqual(row[x - 1]! - 1)
    expect(result.timings.total).toBeGreaterThan(0)
  })

  it('keeps 512x512 as it is (no resampling either way)', async () => {
    const matter = createMatterCore(fakePlatform())
    const image = testImage(512, 512, (x) => [x % 256, 0, 0])
    const { matte } = await matter.matte(image)
    // float32 rounding of (v + 1) / 2 may land just under a level: at most 1 below x.
    for (let x = 0; x < 512; x++) expect(Math.abs(matte.data[x]! - (x % 256))).toBeLessThanOrEqual(1)
  })

  it('rejects an image whose side rounds to 0 with IMAGE_TOO_SMALL and stays usable', async () => {
    const matter = createMatterCore(fakePlatform())
    await expect(matter.matte(testImage(20, 600))).rejects.toMatchObject({ code: 'IMAGE_TOO_SMALL' })
    await expect(matter.matte(testImage(64, 64))).resolves.toBeDefined()
  })

  it('dispose is idempotent, disposes the session once, and later calls reject with DISPOSED', async () => {
    const platform = fakePlatform()
    const matter = createMatterCore(platform)
    await matter.dispose()
    await matter.dispose()
    await matter[Symbol.asyncDispose]()
    expect(matter.disposed).toBe(true)
    expect(platform.session.disposeCalls).toBe(1)
    await expect(matter.matte(testImage(8, 8))).rejects.toMatchObject({ code: 'DISPOSED' })
  })

  it('dispose while a call is in flight: the call rejects with DISPOSED, the session is released after the run', async () => {
    const session = new FakeSession()
    let release!: () => void
    session.gate = new Promise((r) => (release = r))
    const matter = createMatterCore(fakePlatform(session))
    const pending = matter.matte(testImage(64, 64))
    await new Promise((r) => setTimeout(r, 0))
    const disposing = matter.dispose()
    expect(session.disposeCalls).toBe(0) // still running
    release()
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' })
    await disposing
    expect(session.disposeCalls).toBe(1)
  })

  it('an already-aborted signal rejects with ABORTED (name AbortError) before any work', async () => {
    const platform = fakePlatform()
    const matter = createMatterCore(platform)
    const controller = new AbortController()
    controller.abort(new Error('user left'))
    const error = await matter.matte(testImage(64, 64), { signal: controller.signal }).catch((e: unknown) => e)
    expect(isMatteError(error, 'ABORTED')).toBe(true)
    expect((error as Error).name).toBe('AbortError')
    expect((error as Error).cause).toEqual(new Error('user left'))
    expect(platform.session.runCalls).toBe(0)
  })

  it('an abort during inference rejects promptly and the Matter stays usable', async () => {
    const session = new FakeSession()
    let release!: () => void
    session.gate = new Promise((r) => (release = r))
    const matter = createMatterCore(fakePlatform(session))
    const controller = new AbortController()
    const pending = matter.matte(testImage(64, 64), { signal: controller.signal })
    await new Promise((r) => setTimeout(r, 0))
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    session.gate = undefined
    release()
    await expect(matter.matte(testImage(64, 64))).resolves.toBeDefined()
  })

  it('wraps runtime failures as INFERENCE with the cause', async () => {
    const session = new FakeSession()
    session.failWith = new Error('kernel exploded')
    const matter = createMatterCore(fakePlatform(session))
    const error = await matter.matte(testImage(64, 64)).catch((e: unknown) => e)
    expect(isMatteError(error, 'INFERENCE')).toBe(true)
    expect((error as Error).message).toContain('kernel exploded')
  })

  it('concurrent calls each get their own correct result', async () => {
    const matter = createMatterCore(fakePlatform())
    const images = Array.from({ length: 8 }, (_, i) => testImage(96 + i * 32, 64, () => [i * 30, 0, 0]))
    const results = await Promise.all(images.map((im) => matter.matte(im)))
    results.forEach((r, i) => {
      expect(r.matte.width).toBe(96 + i * 32)
      expect(Math.abs(r.matte.data[0]! - i * 30)).toBeLessThanOrEqual(1)
    })
  })
})

describe('createMatterCore input tensors', () => {
  /** A session that records the arrays it is given and, like a worker, hands each one back. */
  class HandBackSession extends FakeSession {
    readonly seen: Float32Array[] = []
    handBack = true
    override async run(input: Float32Tensor): Promise<RunResult> {
      this.seen.push(input.data)
      const out = await super.run(input)
      return this.handBack ? { ...out, input: input.data } : out
    }
  }
  // Sizes the official rule keeps as they are (multiples of 32, short side 512). Identity is
  // compared with `===`: a failing toBe on two large arrays would make vitest diff them for minutes.
  const kept = (w: number, h = 512, red = 0) => testImage(w, h, () => [red, 0, 0])

  it('reuses a tensor the session hands back, for the next input of the same length', async () => {
    const session = new HandBackSession()
    const matter = createMatterCore(fakePlatform(session))
    const a = await matter.matte(kept(512))
    const b = await matter.matte(kept(512, 512, 200))
    expect(session.seen[1] === session.seen[0]).toBe(true)
    // The reused tensor was fully rewritten: each result is its own image's.
    expect(a.matte.data[0]).toBe(0)
    expect(Math.abs(b.matte.data[0]! - 200)).toBeLessThanOrEqual(1)
    // 1024x512 and 512x1024 have one tensor length: the same array serves both shapes.
    await matter.matte(kept(1024))
    await matter.matte(kept(512, 1024))
    expect(session.seen[3] === session.seen[2]).toBe(true)
    expect(session.lastDims).toEqual([1, 3, 1024, 512])
  })

  it('pools a handed-back tensor even when the output is refused (wrong length)', async () => {
    // Like the worker: the caller's array is emptied by a transfer and a new one comes back.
    class WrongOutput extends HandBackSession {
      readonly returned: Float32Array[] = []
      override async run(input: Float32Tensor): Promise<RunResult> {
        const out = await super.run(input)
        const moved = new Float32Array(structuredClone(input.data.buffer, { transfer: [input.data.buffer as ArrayBuffer] }))
        this.returned.push(moved)
        return { data: out.data.subarray(1), dims: out.dims, input: moved }
      }
    }
    const session = new WrongOutput()
    const matter = createMatterCore(fakePlatform(session))
    await expect(matter.matte(kept(512))).rejects.toMatchObject({ code: 'INFERENCE' })
    await expect(matter.matte(kept(512))).rejects.toMatchObject({ code: 'INFERENCE' })
    expect(session.seen[0]!.length).toBe(0) // moved
    expect(session.seen[1] === session.returned[0]).toBe(true)
  })

  it('allocates afresh when the session keeps the tensor (transferred, not handed back)', async () => {
    const session = new HandBackSession()
    session.handBack = false
    const matter = createMatterCore(fakePlatform(session))
    await matter.matte(kept(512))
    // Detach it, as a transfer to a worker does.
    structuredClone(session.seen[0]!.buffer, { transfer: [session.seen[0]!.buffer as ArrayBuffer] })
    await matter.matte(kept(512))
    expect(session.seen[1] === session.seen[0]).toBe(false)
    expect(session.seen[1]!.length).toBe(3 * 512 * 512)
  })

  it('keeps at most four tensors in all, the most recent, whatever their sizes', async () => {
    const session = new HandBackSession()
    const matter = createMatterCore(fakePlatform(session))
    const widths = [512, 544, 576, 608, 640, 672]
    await Promise.all(widths.map((w) => matter.matte(kept(w))))
    // Six came back at once and the last four were kept; newest first, each later call takes its
    // own size's tensor if kept and hands it back, and the two dropped sizes allocate.
    const latest = [...widths].reverse()
    for (const w of latest) await matter.matte(kept(w))
    const again = session.seen.slice(widths.length)
    const reused = latest.filter((_, i) => session.seen.indexOf(again[i]!) < widths.length)
    expect(reused).toEqual([672, 640, 608, 576])
  })
})

describe('createMatterCore options', () => {
  it('rejects options of the wrong type with INVALID_OPTION', async () => {
    const matter = createMatterCore(fakePlatform())
    await expect(matter.matte(testImage(8, 8), 'fast' as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matter.matte(testImage(8, 8), { signal: 'stop' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matter.matte(testImage(8, 8), {})).resolves.toBeDefined()
  })
})
