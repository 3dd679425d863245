import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
