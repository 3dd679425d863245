import { describe, expect, it } from 'vitest'
import { LatestFrameScheduler, type PendingFrame } from './scheduler.js'
import { MedianWindow, RateMeter } from './stats.js'

/** A model whose runs finish when the test says so. */
function gatedModel() {
  const runs: { input: number; finish: (value: string) => void; fail: (e: Error) => void }[] = []
  const run = (input: number) => new Promise<string>((resolve, reject) => runs.push({ input, finish: resolve, fail: reject }))
  return { runs, run }
}

function frames() {
  const released: number[] = []
  const make = (id: number): PendingFrame<number> => ({ take: () => id, release: () => released.push(id) })
  return { released, make }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('LatestFrameScheduler', () => {
  it('runs the first frame, keeps only the newest waiting frame (releasing the others at once), then runs it', async () => {
    const model = gatedModel()
    const results: string[] = []
    const s = new LatestFrameScheduler(model.run, (r) => results.push(r), () => undefined)
    const f = frames()
    s.offer(f.make(1))
    await tick()
    expect(model.runs.map((r) => r.input)).toEqual([1])
    for (let id = 2; id <= 10; id++) {
      s.offer(f.make(id))
      expect(s.queued).toBe(1)
    }
    expect(f.released).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
    expect(s.dropped).toBe(8)
    model.runs[0]!.finish('a')
    await tick()
    await tick()
    expect(results).toEqual(['a'])
    expect(model.runs.map((r) => r.input)).toEqual([1, 10])
    expect(s.queued).toBe(0)
    model.runs[1]!.finish('b')
    await tick()
    expect(results).toEqual(['a', 'b'])
    expect(s.running).toBe(false)
    expect(s.submitted).toBe(2)
  })

  it('stop() releases the waiting frame, ignores the result in flight and releases later offers', async () => {
    const model = gatedModel()
    const results: string[] = []
    const s = new LatestFrameScheduler(model.run, (r) => results.push(r), () => undefined)
    const f = frames()
    s.offer(f.make(1))
    await tick()
    s.offer(f.make(2))
    s.stop()
    expect(f.released).toEqual([2])
    expect(s.queued).toBe(0)
    model.runs[0]!.finish('late')
    await tick()
    expect(results).toEqual([])
    s.offer(f.make(3))
    expect(f.released).toEqual([2, 3])
    expect(model.runs.length).toBe(1)
  })

  it('a failed run reports the error once and stops', async () => {
    const model = gatedModel()
    const errors: unknown[] = []
    const s = new LatestFrameScheduler(model.run, () => undefined, (e) => errors.push(e))
    const f = frames()
    s.offer(f.make(1))
    await tick()
    s.offer(f.make(2))
    model.runs[0]!.fail(new Error('boom'))
    await tick()
    await tick()
    expect(errors).toHaveLength(1)
    expect(f.released).toEqual([2])
    expect(model.runs.length).toBe(1)
  })
})

describe('stats', () => {
  it('RateMeter: events per second over the window; slow events still give a rate that decays', () => {
    const m = new RateMeter(2000)
    for (let t = 0; t <= 1000; t += 33.3) m.tick(t)
    expect(m.rate(1000)).toBeCloseTo(30, 0)
    const slow = new RateMeter(2000)
    slow.tick(0)
    slow.tick(2500)
    slow.tick(5000)
    expect(slow.rate(5000)).toBeCloseTo(0.4, 5)
    expect(slow.rate(15000)).toBeCloseTo(0.1, 5) // one interval over the 10 s since the last event
  })

  it('MedianWindow: the median of the last samples', () => {
    const w = new MedianWindow(3)
    expect(w.median()).toBe(0)
    for (const v of [100, 1, 2, 3]) w.add(v)
    expect(w.median()).toBe(2)
    w.add(10)
    expect(w.median()).toBe(3)
  })
})
