import type { Float32Tensor, ModelSession } from '@mattekit/core'
import { describe, expect, it } from 'vitest'
import { defaultPoolSize, poolSessions } from './session-pool.js'

/** A fake session whose runs finish when the test says so. */
function fakeSession(name: string, log: string[]) {
  const pending: (() => void)[] = []
  const session: ModelSession = {
    run(input: Float32Tensor) {
      log.push(`${name}:${input.dims[0]}`)
      return new Promise<Float32Tensor>((resolve) => pending.push(() => resolve({ data: new Float32Array([input.dims[0]!]), dims: [1] })))
    },
    dispose: async () => undefined,
  }
  return { session, finishNext: () => pending.shift()!() }
}
const tensor = (id: number): Float32Tensor => ({ data: new Float32Array(1), dims: [id] })
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('defaultPoolSize', () => {
  it('latency: one session per 4 cores; throughput: one per core up to 4, never fewer than latency', () => {
    expect([1, 2, 4, 8, 16, 64].map((c) => defaultPoolSize(c))).toEqual([1, 1, 1, 2, 4, 16])
    expect([1, 2, 3, 4, 8, 16, 64].map((c) => defaultPoolSize(c, 'throughput'))).toEqual([1, 2, 3, 4, 4, 4, 16])
  })
})

describe('poolSessions', () => {
  it('queues runs while every session is busy and gives each to the first session that frees up', async () => {
    const log: string[] = []
    const a = fakeSession('a', log)
    const b = fakeSession('b', log)
    const pool = poolSessions([a.session, b.session])
    const results = [1, 2, 3, 4].map((id) => pool.run(tensor(id)))
    await tick()
    expect(log).toEqual(['a:1', 'b:2']) // 3 and 4 wait in the pool, not behind one session
    b.finishNext()
    await tick()
    expect(log).toEqual(['a:1', 'b:2', 'b:3'])
    a.finishNext()
    await tick()
    expect(log).toEqual(['a:1', 'b:2', 'b:3', 'a:4'])
    b.finishNext()
    a.finishNext()
    expect((await Promise.all(results)).map((r) => r.data[0])).toEqual([1, 2, 3, 4])
  })

  it('drops a queued run whose signal aborted (ABORTED) without running it', async () => {
    const log: string[] = []
    const a = fakeSession('a', log)
    const b = fakeSession('b', log)
    const pool = poolSessions([a.session, b.session])
    const first = pool.run(tensor(1))
    const second = pool.run(tensor(2))
    const controller = new AbortController()
    const dropped = pool.run(tensor(3), { signal: controller.signal })
    const kept = pool.run(tensor(4))
    controller.abort()
    a.finishNext()
    await expect(dropped).rejects.toMatchObject({ code: 'ABORTED' })
    await tick()
    expect(log).toEqual(['a:1', 'b:2', 'a:4'])
    b.finishNext()
    a.finishNext()
    await Promise.all([first, second, kept])
  })

  it('a run that fails (even by throwing) rejects that call only; the session takes the next one', async () => {
    const log: string[] = []
    const b = fakeSession('b', log)
    let calls = 0
    const flaky: ModelSession = {
      run(input) {
        calls++
        if (calls === 1) throw new Error('boom')
        return b.session.run(input)
      },
      dispose: async () => undefined,
    }
    const c = fakeSession('c', log)
    const pool = poolSessions([flaky, c.session])
    await expect(pool.run(tensor(1))).rejects.toThrow('boom')
    const next = [pool.run(tensor(2)), pool.run(tensor(3))]
    await tick()
    expect(log.sort()).toEqual(['b:3', 'c:2']) // both sessions free again: one run each
    b.finishNext()
    c.finishNext()
    expect((await Promise.all(next)).map((r) => r.data[0])).toEqual([2, 3])
  })

  it('a single session is returned as is', () => {
    const only = fakeSession('a', []).session
    expect(poolSessions([only])).toBe(only)
  })
})
