/**
 * The browser model store: core's delivery (download, SHA-256 check before first use, retry,
 * resume) over the Cache API with a WebCrypto hasher. A model downloads once, a corrupted
 * cached copy is detected and replaced, a download can be aborted, and offline mode works from
 * the cache alone.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { type TestGlobals, disconnect, MODEL_BYTES, MODEL_SHA256, openPage, origin } from './harness.js'

afterAll(disconnect)

const MODEL_PATH = '/models/model.onnx'
const requests = async (): Promise<number> =>
  ((await (await fetch(`${origin()}/__stats`)).json()) as Record<string, number>)[MODEL_PATH] ?? 0

describe('model cache (Cache API)', () => {
  it('downloads once with progress, then loads from the cache (also offline)', async () => {
    const { page, context } = await openPage('coi')
    await fetch(`${origin()}/__reset`)
    const got = await page.evaluate(async (sha) => {
      const { mk } = globalThis as unknown as TestGlobals
      const model = { url: '/coi/models/model.onnx', sha256: sha }
      const load = async (offline = false) => {
        const events: Array<Record<string, unknown>> = []
        const matter = await mk.createMatter({ model, offline, onProgress: (e) => events.push({ ...e }) })
        await matter.dispose()
        return events
      }
      return { first: await load(), second: await load(), offline: await load(true) }
    }, MODEL_SHA256)
    expect(await requests()).toBe(1)
    const statuses = got.first.map((e) => e.status)
    // (With verify: 'full', core announces 'verify' before it finds the cache empty.)
    expect(statuses.filter((s) => s !== 'verify')[0]).toBe('download')
    expect(statuses.slice(-3)).toEqual(['verify', 'ready', 'compile'])
    const downloads = got.first.filter((e) => e.status === 'download')
    expect(downloads.at(-1)).toMatchObject({ loaded: MODEL_BYTES, total: MODEL_BYTES })
    expect(got.first.find((e) => e.status === 'ready')).toMatchObject({ cached: false })
    // Cached loads re-hash the stored copy (verify: 'full' by default) and download nothing.
    expect(got.second.map((e) => e.status)).toEqual(['verify', 'ready', 'compile'])
    expect(got.second.find((e) => e.status === 'ready')).toMatchObject({ cached: true })
    expect(got.offline.find((e) => e.status === 'ready')).toMatchObject({ cached: true })
    await context.close()
  })

  it('replaces a corrupted cached model (same size or truncated) by a fresh verified download', async () => {
    const { page, context } = await openPage('coi')
    await fetch(`${origin()}/__reset`)
    const got = await page.evaluate(async (sha) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const model = { url: '/coi/models/model.onnx', sha256: sha }
      const key = `https://mattekit.invalid/models/${sha}.onnx`
      const bytes = new Uint8Array(await (await fetch('/coi/models/model.onnx')).arrayBuffer())
      const cache = await caches.open(mk.DEFAULT_MODEL_CACHE)
      const results: Array<unknown> = []
      const flipped = bytes.slice()
      flipped[1000] = flipped[1000]! ^ 0xff
      for (const corrupt of [flipped, bytes.subarray(0, 1_000_000)]) {
        await cache.put(key, new Response(corrupt))
        const offline = await mk.createMatter({ model, offline: true }).catch(t.error)
        await cache.put(key, new Response(corrupt))
        const matter = await mk.createMatter({ model })
        const r = await matter.matte('/coi/testdata/portrait-64x512.png')
        await matter.dispose()
        const stored = new Uint8Array(await (await cache.match(key))!.arrayBuffer())
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', stored))
        results.push({
          offline,
          width: r.matte.width,
          stored: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
        })
      }
      return results
    }, MODEL_SHA256)
    for (const r of got) {
      expect(r).toMatchObject({ offline: { code: 'MODEL_NOT_CACHED' }, width: 64, stored: MODEL_SHA256 })
    }
    // One fetch by the test itself, one re-download per corruption.
    expect(await requests()).toBe(3)
    await context.close()
  })

  it('an aborted download rejects with ABORTED and caches nothing; a wrong hash caches nothing', async () => {
    const { page, context } = await openPage('coi')
    const got = await page.evaluate(async (sha) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const controller = new AbortController()
      let downloaded = 0
      const started = performance.now()
      const aborted = await mk
        .createMatter({
          model: { url: '/coi/models/model.onnx?slow=1', sha256: sha },
          signal: controller.signal,
          onProgress: (e) => {
            if (e.status === 'download') {
              downloaded = e.loaded
              if (e.loaded > 1_000_000) controller.abort(new Error('user left'))
            }
          },
        })
        .catch(t.error)
      const abortedAfter = performance.now() - started
      const corrupted = await mk.createMatter({ model: { url: '/coi/models/model.onnx?corrupt=1', sha256: sha } }).catch(t.error)
      const cache = await caches.open(mk.DEFAULT_MODEL_CACHE)
      return { aborted, abortedAfter, downloaded, corrupted, keys: (await cache.keys()).map((r) => r.url) }
    }, MODEL_SHA256)
    expect(got.aborted).toMatchObject({ code: 'ABORTED', name: 'AbortError' })
    expect(got.downloaded).toBeGreaterThan(1_000_000)
    expect(got.downloaded).toBeLessThan(MODEL_BYTES)
    expect(got.abortedAfter).toBeLessThan(5000)
    expect(got.corrupted).toMatchObject({ code: 'MODEL_INTEGRITY' })
    expect(got.keys.filter((k) => k.includes('/models/'))).toEqual([])
    await context.close()
  })

  it('offline with an empty cache fails with MODEL_NOT_CACHED; cache: false keeps nothing', async () => {
    const { page, context } = await openPage('coi')
    const got = await page.evaluate(async (sha) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const model = { url: '/coi/models/model.onnx', sha256: sha }
      const offline = await mk.createMatter({ model, offline: true }).catch(t.error)
      const matter = await mk.createMatter({ model, cache: false })
      await matter.dispose()
      return { offline, caches: await caches.keys() }
    }, MODEL_SHA256)
    expect(got.offline).toMatchObject({ code: 'MODEL_NOT_CACHED' })
    expect(got.caches.filter((name) => name !== 'mattekit-models-v1')).toEqual([])
    await context.close()
  })
})
