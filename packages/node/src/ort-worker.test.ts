import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modelInputSize, quantizeAlpha, toModelTensor } from '@mattekit/core'
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

  it('keeps two views of one shared buffer apart, and two shared fills before their runs apart', async () => {
    const dims = [1, 3, 64, 96]
    const n = 3 * 64 * 96
    const main = await createOrtSession(MODEL)
    try {
      const whole = session.createInput(2 * n)
      for (let i = 0; i < whole.length; i++) whole[i] = Math.sin(i / (i < n ? 3 : 11))
      const [a, b] = await Promise.all([session.run({ data: whole.subarray(0, n), dims }), session.run({ data: whole.subarray(n), dims })])
      const [ra, rb] = await Promise.all([main.run({ data: whole.slice(0, n), dims }), main.run({ data: whole.slice(n), dims })])
      expect(a.data.every((v, i) => v === ra.data[i])).toBe(true)
      expect(b.data.every((v, i) => v === rb.data[i])).toBe(true)

      // Two images large enough to share their preprocessing, both filled before either runs.
      const image = (seed: number) => {
        const data = new Uint8Array(1200 * 900 * 3)
        for (let i = 0; i < data.length; i++) data[i] = (i * seed + (i >> 9)) & 255
        return { data, width: 1200, height: 900 }
      }
      const size = modelInputSize(1200, 900)
      const sdims = [1, 3, size.height, size.width]
      const [imgA, imgB] = [image(7), image(13)]
      const tA = session.fillTensor(imgA, size, session.createInput(3 * size.width * size.height))
      const tB = session.fillTensor(imgB, size, session.createInput(3 * size.width * size.height))
      const [outA, outB] = await Promise.all([session.run({ data: tA, dims: sdims }), session.run({ data: tB, dims: sdims })])
      const refA = await main.run({ data: toModelTensor(imgA, size), dims: sdims })
      const refB = await main.run({ data: toModelTensor(imgB, size), dims: sdims })
      expect(outA.data.every((v, i) => v === refA.data[i])).toBe(true)
      expect(outB.data.every((v, i) => v === refB.data[i])).toBe(true)
    } finally {
      await main.dispose()
    }
  })

  it('lets runs already sent finish before dispose ends the worker, and refuses runs after it', async () => {
    const own = await createOrtWorkerSession(MODEL)
    const dims = [1, 3, 64, 96]
    const runs = [0, 1, 2].map(() => own.run({ data: own.createInput(3 * 64 * 96).fill(0.25), dims }))
    const disposing = own.dispose()
    const results = await Promise.allSettled(runs)
    await disposing
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    await expect(own.run({ data: new Float32Array(3 * 64 * 96), dims })).rejects.toMatchObject({ code: 'DISPOSED' })
  })
})
