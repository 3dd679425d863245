/**
 * How the pipeline runs: threads on (cross-origin isolated page) and off, the worker and the
 * inline path, a responsive main thread, self-hosted onnxruntime-web files, abort and dispose,
 * and typed errors for bad options and models.
 */
import { join } from 'node:path'
import { createMatter as createNodeMatter } from '@mattekit/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Prefix, type TestGlobals, ROOT, bytes, diff, disconnect, MODEL_PATH, MODEL_SHA256, openPage, origin, standIn } from './harness.js'

const SMALL = 'portrait-64x512.png' // model input 64x512: a fast run
let reference: Uint8Array

beforeAll(async () => {
  const node = await createNodeMatter({ model: MODEL_PATH })
  reference = (await node.matte(join(ROOT, 'packages', 'web', 'test', 'fixtures', SMALL))).matte.data
  await node.dispose()
})
afterAll(disconnect)

type Page = Awaited<ReturnType<typeof openPage>>['page']

/** Creates a matter in the page, mattes the small image, measures long tasks meanwhile. */
async function runIn(page: Page, prefix: Prefix, options: Record<string, unknown>) {
  return page.evaluate(
    async ({ model, prefix: p, options: o }) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const longTasks: number[] = []
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration)
      })
      observer.observe({ type: 'longtask' })
      const matter = await mk.createMatter({ model, ...o })
      // Let the long tasks of loading be reported, then watch the matte alone.
      await new Promise((r) => setTimeout(r, 100))
      longTasks.length = 0
      const result = await matter.matte(`/${p}/testdata/portrait-64x512.png`)
      await new Promise((r) => setTimeout(r, 100))
      observer.disconnect()
      const canvas = new OffscreenCanvas(1, 1)
      await result.drawComposite(canvas, { type: 'blur', radius: 5 })
      const composite = t.b64(new Uint8Array(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.buffer))
      await matter.dispose()
      return { backend: matter.backend, matte: t.b64(result.matte.data), composite, longTasks, isolated: crossOriginIsolated }
    },
    { model: standIn(prefix), prefix, options },
  )
}

describe('threads', () => {
  it('on: a cross-origin isolated page runs onnxruntime-web with 2 threads in the worker', async () => {
    const { page, context } = await openPage('coi')
    const got = await runIn(page, 'coi', {})
    expect(got.isolated).toBe(true)
    expect(got.backend).toMatchObject({ mode: 'worker', device: 'wasm', threads: 2, simd: true, crossOriginIsolated: true, webgl2: true })
    expect(diff(bytes(got.matte), reference).max).toBeLessThanOrEqual(1)
    await context.close()
  })

  it('off: without COOP/COEP it runs single-threaded, same matte', async () => {
    const { page, context } = await openPage('plain')
    const got = await runIn(page, 'plain', { threads: 4 })
    expect(got.isolated).toBe(false)
    expect(got.backend).toMatchObject({ mode: 'worker', threads: 1, crossOriginIsolated: false })
    expect(diff(bytes(got.matte), reference).max).toBeLessThanOrEqual(1)
    await context.close()
  })
})

describe('worker and inline', () => {
  it('worker mode leaves the main thread free (no long task), inline mode blocks it', async () => {
    const { page, context } = await openPage('coi')
    const worker = await runIn(page, 'coi', { threads: 1 })
    const inline = await runIn(page, 'coi', { mode: 'inline', threads: 1 })
    expect(worker.backend.mode).toBe('worker')
    expect(inline.backend.mode).toBe('inline')
    expect(inline.backend.crossOriginIsolated).toBe(true)
    expect(diff(bytes(worker.matte), reference).max).toBeLessThanOrEqual(1)
    expect(diff(bytes(inline.matte), reference).max).toBeLessThanOrEqual(1)
    // Conveniences run where the pipeline runs; the pixels are the same either way.
    if (worker.matte === inline.matte) expect(worker.composite).toBe(inline.composite)
    // The Long Tasks API reports tasks of 50 ms or more: none while the worker works; the same
    // run inline is one such task (which shows the observer works here).
    expect(worker.longTasks).toEqual([])
    expect(inline.longTasks.length).toBeGreaterThan(0)
    await context.close()
  })

  it('self-hosted onnxruntime-web files (wasmPaths) and a custom workerUrl', async () => {
    const { page, context } = await openPage('coi')
    await fetch(`${origin()}/__reset`)
    const got = await runIn(page, 'coi', { wasmPaths: '/coi/ort/', workerUrl: '/coi/app/assets/worker.js' })
    const stats = (await (await fetch(`${origin()}/__stats`)).json()) as Record<string, number>
    expect(stats['/ort/ort-wasm-simd-threaded.wasm']).toBe(1)
    expect(stats['/ort/ort-wasm-simd-threaded.mjs']).toBeGreaterThanOrEqual(1)
    expect(stats['/app/assets/worker.js']).toBeGreaterThanOrEqual(1)
    expect(got.backend.threads).toBe(2)
    expect(diff(bytes(got.matte), reference).max).toBeLessThanOrEqual(1)
    await context.close()
  })
})

describe('abort and dispose', () => {
  it('abort rejects at once with ABORTED (an AbortError), and the Matter keeps working', async () => {
    const { page, context } = await openPage('coi')
    const got = await page.evaluate(async (model) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const matter = await mk.createMatter({ model })
      const url = '/coi/fixtures/astronaut.png'
      const before = new AbortController()
      before.abort(new Error('no thanks'))
      const pre = await matter.matte(url, { signal: before.signal }).catch(t.error)
      const during = new AbortController()
      const started = performance.now()
      const promise = matter.matte(url, { signal: during.signal })
      setTimeout(() => during.abort(), 50)
      const mid = await promise.catch(t.error)
      const abortedAfter = performance.now() - started
      const after = await matter.matte('/coi/testdata/portrait-64x512.png')
      const loading = new AbortController()
      const load = mk.createMatter({ model, signal: loading.signal }).catch(t.error)
      setTimeout(() => loading.abort(), 20)
      const loadError = await load
      await matter.dispose()
      return { pre, mid, abortedAfter, afterWidth: after.matte.width, loadError }
    }, standIn('coi'))
    expect(got.pre).toMatchObject({ code: 'ABORTED', name: 'AbortError', isMatteError: true })
    expect(got.mid).toMatchObject({ code: 'ABORTED', name: 'AbortError' })
    expect(got.abortedAfter).toBeLessThan(400) // a 512x512 run takes ~800 ms here
    expect(got.afterWidth).toBe(64)
    expect(got.loadError).toMatchObject({ code: 'ABORTED' })
    await context.close()
  })

  it('dispose is idempotent; later and in-flight calls reject with DISPOSED', async () => {
    const { page, context } = await openPage('coi')
    for (const mode of ['worker', 'inline']) {
      const got = await page.evaluate(
        async ({ model, mode: m }) => {
          const { mk, t } = globalThis as unknown as TestGlobals
          const matter = await mk.createMatter({ model, mode: m as 'worker' | 'inline', threads: 1 })
          const inflight = matter.matte('/coi/testdata/portrait-64x512.png').then(() => 'ok', t.error)
          await new Promise((r) => setTimeout(r, 0))
          const first = matter.dispose()
          const second = matter.dispose()
          await Promise.all([first, second])
          const later = await matter.matte('/coi/testdata/portrait-64x512.png').catch(t.error)
          return {
            same: first === second,
            disposed: matter.disposed,
            inflight: await inflight,
            later,
            asyncDispose: typeof (matter as unknown as Record<symbol, unknown>)[Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')],
          }
        },
        { model: standIn('coi'), mode },
      )
      expect(got.same, mode).toBe(true)
      expect(got.disposed, mode).toBe(true)
      expect(got.later, mode).toMatchObject({ code: 'DISPOSED' })
      expect(got.inflight === 'ok' || (got.inflight as { code?: string }).code === 'DISPOSED', mode).toBe(true)
      expect(got.asyncDispose, mode).toBe('function')
    }
    await context.close()
  })
})

describe('typed errors for options and models', () => {
  it('rejects bad options with INVALID_OPTION and bad models with MODEL_* codes', async () => {
    const { page, context } = await openPage('coi')
    const got = await page.evaluate(async (sha) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const model = { url: '/coi/models/model.onnx', sha256: sha }
      const cases: Record<string, () => Promise<unknown>> = {
        noOptions: () => mk.createMatter(undefined as never),
        noModel: () => mk.createMatter({} as never),
        noSha: () => mk.createMatter({ model: { url: '/coi/models/model.onnx' } as never }),
        badSha: () => mk.createMatter({ model: { url: '/coi/models/model.onnx', sha256: 'abc' } }),
        httpRemote: () => mk.createMatter({ model: { url: 'http://example.com/m.onnx', sha256: sha } }),
        badVariant: () => mk.createMatter({ model: { variant: 'fp64' as never } }),
        device: () => mk.createMatter({ model, device: 'webgl' as never }),
        threads: () => mk.createMatter({ model, threads: 0 }),
        mode: () => mk.createMatter({ model, mode: 'thread' as never }),
        maxPixels: () => mk.createMatter({ model, maxPixels: 1.5 }),
        missing: () => mk.createMatter({ model: { url: '/coi/models/missing.onnx', sha256: sha }, cache: false }),
        wrongHash: () => mk.createMatter({ model: { url: '/coi/models/model.onnx', sha256: '0'.repeat(64) }, cache: false }),
        notOnnx: () => mk.createMatter({ model: new TextEncoder().encode('not a model at all') }),
        emptyBytes: () => mk.createMatter({ model: new Uint8Array(0) }),
        badWorker: () => mk.createMatter({ model, workerUrl: '/coi/app/assets/missing-worker.js' }),
        badWasm: () => mk.createMatter({ model, wasmPaths: '/coi/missing/' }),
      }
      const out: Record<string, ReturnType<typeof t.error>> = {}
      for (const [name, run] of Object.entries(cases)) {
        try {
          const m = (await run()) as { dispose(): Promise<void> }
          await m.dispose()
          out[name] = { name: 'none', code: 'none', message: 'resolved', isMatteError: false }
        } catch (error) {
          out[name] = t.error(error)
        }
      }
      return out
    }, MODEL_SHA256)
    for (const name of ['noOptions', 'noModel', 'noSha', 'badSha', 'httpRemote', 'badVariant', 'device', 'threads', 'mode', 'maxPixels', 'emptyBytes']) {
      expect(got[name], name).toMatchObject({ code: 'INVALID_OPTION', isMatteError: true })
    }
    expect(got.missing).toMatchObject({ code: 'MODEL_FETCH' })
    expect(got.wrongHash).toMatchObject({ code: 'MODEL_INTEGRITY' })
    expect(got.notOnnx).toMatchObject({ code: 'MODEL_LOAD' })
    expect(got.badWorker).toMatchObject({ code: 'UNSUPPORTED_ENVIRONMENT' })
    expect(got.badWasm).toMatchObject({ code: 'UNSUPPORTED_ENVIRONMENT' })
    await context.close()
  })

  it("device: 'webgpu' falls back to wasm where no adapter exists, and says why", async () => {
    const { page, context } = await openPage('coi')
    const got = await runIn(page, 'coi', { device: 'webgpu' })
    expect(got.backend.device).toBe('wasm')
    expect(got.backend.fallbackReason).toMatch(/adapter|gpu/i)
    expect(diff(bytes(got.matte), reference).max).toBeLessThanOrEqual(1)
    await context.close()
  })
})
