import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quantizeAlpha } from '@mattekit/core'
import { MODEL } from '../test/paths.js'
import { createOrtSession } from './ort-session.js'
import { createOrtWorkerSession, type WorkerModelSession } from './ort-worker.js'

let session: WorkerModelSession
beforeAll(async () => {
  session = await createOrtWorkerSession(MODEL)
})
afterAll(async () => {
  await session?.dispose()
})

describe('createOrtWorkerSession', () => {
  it('hands the transferred input back, unchanged, with the result (for reuse), and runs the model as the main-thread session does', async () => {
    const dims = [1, 3, 64, 96]
    const data = new Float32Array(3 * 64 * 96).map((_, i) => Math.sin(i / 7))
    const copy = data.slice()
    const out = await session.run({ data, dims })
    expect(data.length).toBe(0) // transferred to the worker
    expect(out.input).toBeInstanceOf(Float32Array)
    expect(out.input!.length).toBe(copy.length)
    expect(out.input!.every((v, i) => v === copy[i])).toBe(true)
    expect(out.dims).toEqual([1, 1, 64, 96])

    const main = await createOrtSession(MODEL)
    try {
      const reference = await main.run({ data: copy, dims })
      expect(out.data.every((v, i) => v === reference.data[i])).toBe(true)
    } finally {
      await main.dispose()
    }
    // The handed-back array is a normal one: it can be filled and sent again.
    out.input!.set(copy)
    const again = await session.run({ data: out.input!, dims })
    expect(again.data.every((v, i) => v === out.data[i])).toBe(true)
  })

  it('reads inputs from createInput (shared memory) without a transfer, quantises on request, and keeps runs apart', async () => {
    const dims = [1, 3, 64, 96]
    const n = 3 * 64 * 96
    const fill = (t: Float32Array, k: number): Float32Array => {
      for (let i = 0; i < t.length; i++) t[i] = Math.sin(i / (5 + k))
      return t
    }
    const main = await createOrtSession(MODEL)
    try {
      // Ten shared inputs (more than the worker keeps), run concurrently, then the first again.
      const inputs = Array.from({ length: 10 }, (_, k) => fill(session.createInput(n), k))
      expect(inputs[0]!.buffer).toBeInstanceOf(SharedArrayBuffer)
      const outs = await Promise.all(inputs.map((data, k) => session.run({ data, dims }, { levels: k % 2 === 0 })))
      for (const [k, out] of outs.entries()) {
        expect(inputs[k]!.length).toBe(n) // not transferred, not handed back
        expect(out.input).toBeUndefined()
        const reference = (await main.run({ data: fill(new Float32Array(n), k), dims })).data
        if (k % 2 === 0) {
          expect(out.data.length).toBe(0)
          expect(Buffer.from(out.levels!).equals(Buffer.from(quantizeAlpha(reference)))).toBe(true)
        } else {
          expect(out.levels).toBeUndefined()
          expect(out.data.every((v, i) => v === reference[i])).toBe(true)
        }
      }
      // The first input was forgotten by the worker (it keeps 8): it is sent again, changed.
      fill(inputs[0]!, 20)
      const again = await session.run({ data: inputs[0]!, dims })
      const reference = (await main.run({ data: fill(new Float32Array(n), 20), dims })).data
      expect(again.data.every((v, i) => v === reference[i])).toBe(true)
      // A kept one changed in place is read afresh (the worker copies it at each run).
      fill(inputs[9]!, 21)
      const kept = await session.run({ data: inputs[9]!, dims })
      const reference2 = (await main.run({ data: fill(new Float32Array(n), 21), dims })).data
      expect(kept.data.every((v, i) => v === reference2[i])).toBe(true)
    } finally {
      await main.dispose()
    }
  })
})
