import { describe, expect, it } from 'vitest'
import type { Matte } from './image.js'
import { createStabilizer, type StabilizedFrame } from './stabilizer.js'

const frame = (values: readonly number[], width = values.length): Matte => ({
  data: Uint8Array.from(values),
  width,
  height: values.length / width,
})

/** Runs a sequence of 1-row mattes through a stabiliser (with flush) and returns the outputs in order. */
function run(mode: 'ofd' | 'adaptive', frames: readonly (readonly number[])[], extra = {}): StabilizedFrame[] {
  const s = createStabilizer({ mode, ...extra })
  const out: StabilizedFrame[] = []
  frames.forEach((f, t) => {
    const o = s.push(frame(f), t * 33)
    if (o) out.push(o)
  })
  const last = s.flush()
  if (last) out.push(last)
  return out
}
const values = (fs: StabilizedFrame[], i = 0): number[] => fs.map((f) => f.matte.data[i]!)

describe('OFD (paper rule, one frame of latency)', () => {
  it('removes isolated flicker exactly per the rule and keeps everything else', () => {
    // Pixel 0: one-frame spike. Pixel 1: spike below the threshold (kept). Pixel 2: a(t-1), a(t+1) disagree (kept).
    const frames = [
      [0, 100, 0],
      [0, 100, 0],
      [200, 120, 200],
      [0, 100, 60],
      [0, 100, 60],
    ]
    const out = run('ofd', frames)
    expect(out).toHaveLength(5)
    expect(values(out, 0)).toEqual([0, 0, 0, 0, 0])
    expect(values(out, 1)).toEqual([100, 100, 120, 100, 100]) // |120-100| = 20 <= 25.5: not flicker
    expect(values(out, 2)).toEqual([0, 0, 200, 60, 60]) // |0 - 60| > 25.5: not flicker
  })

  it('replaces a flickering value by the mean of its neighbours (rounded half up)', () => {
    const out = run('ofd', [[10], [250], [21]])
    expect(values(out)).toEqual([10, 16, 21])
  })

  it('has exactly one frame of latency, with timestamps kept, and passes first and last frames unchanged', () => {
    const s = createStabilizer({ mode: 'ofd' })
    expect(s.latency).toBe(1)
    expect(s.push(frame([255]), 0)).toBeUndefined()
    const first = s.push(frame([0]), 33)!
    expect([first.timestamp, first.matte.data[0]]).toEqual([0, 255]) // the first frame, unchanged
    const second = s.push(frame([255]), 66)!
    expect([second.timestamp, second.matte.data[0]]).toEqual([33, 255]) // flicker at t=1 corrected
    const last = s.flush()!
    expect([last.timestamp, last.matte.data[0]]).toEqual([66, 255]) // the last frame, unchanged
    expect(s.flush()).toBeUndefined()
  })

  it('tracks a moving edge with exactly the one frame of latency (no smearing)', () => {
    // A step edge moving one pixel per frame over 8 pixels.
    const frames = Array.from({ length: 8 }, (_, t) => Array.from({ length: 8 }, (_, x) => (x <= t ? 255 : 0)))
    const out = run('ofd', frames)
    out.forEach((f, t) => expect(Array.from(f.matte.data)).toEqual(frames[t]))
  })
})

describe('adaptive (default, zero latency)', () => {
  it('is the default and has no latency', () => {
    const s = createStabilizer()
    expect(s.latency).toBe(0)
    expect(s.push(frame([42]), 0)!.matte.data[0]).toBe(42) // first frame unchanged
  })

  it.each([
    [10, 3, 1],
    [20, 6, 2],
    [30, 11, 4],
  ])('cuts a one-frame flicker of %i levels to at most %i, within %i after 4 frames, exact in 12', (size, max, after4) => {
    const seq = [100, 100, 100, 100 + size, ...Array.from({ length: 12 }, () => 100)]
    const out = values(run('adaptive', seq.map((v) => [v])))
    expect(Math.max(...out.map((v) => Math.abs(v - 100)))).toBeLessThanOrEqual(max)
    expect(Math.abs(out[3 + 4]! - 100)).toBeLessThanOrEqual(after4)
    expect(out[3 + 12]).toBe(100)
  })

  it('keeps a static soft matte exactly (no drift of mid-range alpha)', () => {
    const soft = [17, 64, 128, 191, 240]
    const out = run('adaptive', Array.from({ length: 30 }, () => soft))
    for (const f of out) expect(Array.from(f.matte.data)).toEqual(soft)
  })

  it('reduces small noise on a static soft matte (standard deviation at least halved)', () => {
    let seed = 7
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
    const frames = Array.from({ length: 200 }, () => [Math.round(128 + 4 * rand())])
    const out = values(run('adaptive', frames)).slice(10)
    const inp = frames.slice(10).map((f) => f[0]!)
    const sd = (xs: number[]): number => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)
    }
    expect(sd(out)).toBeLessThanOrEqual(sd(inp) / 2)
  })

  it('tracks a moving edge (full-contrast change) in the same frame: zero frames of latency', () => {
    const frames = Array.from({ length: 8 }, (_, t) => Array.from({ length: 8 }, (_, x) => (x <= t ? 255 : 0)))
    const out = run('adaptive', frames)
    out.forEach((f, t) => expect(Array.from(f.matte.data)).toEqual(frames[t]))
  })

  it('restarts on a size change or a time gap', () => {
    const s = createStabilizer({ maxGapMs: 100 })
    s.push(frame([0, 0]), 0)
    expect(s.push(frame([20]), 33)!.matte.data[0]).toBe(20) // new size: first frame again
    expect(s.push(frame([28]), 66)!.matte.data[0]).toBe(22) // 20 + 0.25 * 8
    expect(s.push(frame([60]), 500)!.matte.data[0]).toBe(60) // gap > 100 ms
  })
})

describe('options', () => {
  it('off passes frames through; bad options are INVALID_OPTION', () => {
    expect(values(run('adaptive', [[5], [200]], { mode: 'off' }))).toEqual([5, 200])
    expect(() => createStabilizer({ threshold: 2, mode: 'ofd' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => createStabilizer({ minGain: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => createStabilizer({ mode: 'magic' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })
})
