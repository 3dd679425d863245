/**
 * Delivery logic against an in-memory store and a scripted fetch (no network, no files). The
 * Node store and a real HTTP server are covered in @mattekit/node.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import {
  type DeliverOptions,
  type DeliveryPlatform,
  type FetchLike,
  type ModelProgressEvent,
  type ModelStore,
  type PartialModel,
  deliverModel,
} from './delivery.js'
import { type ResolvedModel, resolveModel } from './manifest.js'
import { createSha256 } from './sha256.js'

const SIZE = 300_000
const DATA = (() => {
  let seed = 42
  return Uint8Array.from({ length: SIZE }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)
})()
const SHA = createHash('sha256').update(DATA).digest('hex')
const URL_ = 'http://127.0.0.1:9/model.onnx'
const MODEL: ResolvedModel = resolveModel({ url: URL_, sha256: SHA, bytes: SIZE })
const CHUNK = 16_384

/** A fault for one request; requests past the script are served normally. */
type Fault =
  | { status: number; retryAfter?: string }
  | { cutAt: number }
  | { stallAt: number }
  | { wrong: 'bytes' | 'length' | 'long' }
  | { ignoreRange: true }
  | { slow: number }

function scriptedServer(faults: Fault[] = [], data: Uint8Array = DATA) {
  const requests: { range?: string }[] = []
  const fetch: FetchLike = async (_url, init) => {
    const fault = faults.shift()
    const range = init.headers.Range
    expect(init.headers['Accept-Encoding']).toBe('identity')
    requests.push(range ? { range } : {})
    if (init.signal.aborted) throw init.signal.reason
    if (fault && 'status' in fault) {
      return new Response('no', { status: fault.status, headers: fault.retryAfter ? { 'retry-after': fault.retryAfter } : {} })
    }
    let body = data
    if (fault && 'wrong' in fault) {
      body = fault.wrong === 'bytes' ? data.map((b) => b ^ 1) : fault.wrong === 'length' ? data.subarray(0, SIZE - 1) : new Uint8Array(SIZE + 5)
    }
    let start = 0
    const headers: Record<string, string> = {}
    let status = 200
    const m = /^bytes=(\d+)-$/.exec(range ?? '')
    if (m && !(fault && 'ignoreRange' in fault)) {
      start = Number(m[1])
      status = 206
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`
    }
    if (!(fault && 'wrong' in fault && fault.wrong === 'long')) headers['content-length'] = String(body.length - start)
    let pos = start
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (fault && 'cutAt' in fault && pos >= fault.cutAt) return controller.error(new TypeError('terminated'))
        if (fault && 'stallAt' in fault && pos >= fault.stallAt) {
          await new Promise<void>((resolve) => init.signal.addEventListener('abort', () => resolve(), { once: true }))
          return controller.error(init.signal.reason)
        }
        if (fault && 'slow' in fault) await new Promise((r) => setTimeout(r, fault.slow))
        if (init.signal.aborted) return controller.error(init.signal.reason)
        if (pos >= body.length) return controller.close()
        let end = Math.min(body.length, pos + CHUNK)
        if (fault && 'cutAt' in fault && pos < fault.cutAt) end = Math.min(end, fault.cutAt)
        if (fault && 'stallAt' in fault && pos < fault.stallAt) end = Math.min(end, fault.stallAt)
        controller.enqueue(body.slice(pos, end))
        pos = end
      },
    })
    return new Response(stream, { status, headers })
  }
  return { fetch, requests }
}

class MemoryStore implements ModelStore {
  readonly entries = new Map<string, Uint8Array>()
  readonly kept = new Map<string, Uint8Array>()
  openPartials = 0
  lock?: ModelStore['lock']

  locate(key: string): string {
    return `memory:${key}`
  }
  async size(key: string): Promise<number | undefined> {
    return this.entries.get(key)?.length
  }
  async *read(key: string): AsyncIterable<Uint8Array> {
    const data = this.entries.get(key)!
    for (let i = 0; i < data.length; i += 50_000) yield data.subarray(i, i + 50_000)
  }
  async remove(key: string): Promise<void> {
    this.entries.delete(key)
  }
  async openPartial(key: string): Promise<PartialModel> {
    let bytes = this.kept.get(key) ?? new Uint8Array(0)
    this.kept.delete(key)
    this.openPartials++
    const end = (): void => void this.openPartials--
    return {
      get size() {
        return bytes.length
      },
      async *read() {
        yield bytes
      },
      write: async (chunk) => {
        const next = new Uint8Array(bytes.length + chunk.length)
        next.set(bytes)
        next.set(chunk, bytes.length)
        bytes = next
      },
      truncate: async () => {
        bytes = new Uint8Array(0)
      },
      commit: async () => {
        this.entries.set(key, bytes)
        end()
      },
      keep: async () => {
        if (bytes.length) this.kept.set(key, bytes)
        end()
      },
      discard: async () => end(),
    }
  }
}

interface Setup {
  faults?: Fault[]
  store?: MemoryStore
  data?: Uint8Array
}

function setup({ faults = [], store = new MemoryStore(), data }: Setup = {}) {
  const server = scriptedServer(faults, data)
  const delays: number[] = []
  const platform: DeliveryPlatform = {
    fetch: server.fetch,
    createHasher: createSha256,
    store,
    random: () => 0.5,
  }
  const events: ModelProgressEvent[] = []
  const run = (options: DeliverOptions = {}, model = MODEL) =>
    deliverModel(model, platform, {
      retryDelayMs: 1,
      onProgress: (e) => {
        events.push(e)
        if (e.status === 'retry') delays.push(e.delayMs)
      },
      ...options,
    })
  return { run, store, requests: server.requests, events, delays }
}

/** Byte equality (vitest's deep equality is slow on large typed arrays). */
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.from(a).equals(b)

const fail = async (p: Promise<unknown>) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isMatteError(error), String(error)).toBe(true)
  return error as Error & { code: string }
}

describe('deliverModel', () => {
  it('downloads, verifies while streaming, stores, then serves the cache without a request', async () => {
    const t = setup()
    const first = await t.run()
    expect(first).toEqual({ location: `memory:${SHA}.onnx`, key: `${SHA}.onnx`, sha256: SHA, bytes: SIZE, cached: false, url: URL_ })
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
    const statuses = t.events.map((e) => e.status)
    expect(statuses[0]).toBe('download')
    expect(statuses.slice(-2)).toEqual(['verify', 'ready'])
    const downloads = t.events.filter((e) => e.status === 'download')
    expect(downloads.at(-1)).toEqual({ status: 'download', url: URL_, loaded: SIZE, total: SIZE })
    expect(downloads.every((e, i) => i === 0 || e.loaded >= downloads[i - 1]!.loaded)).toBe(true)

    t.events.length = 0
    const second = await t.run()
    expect(second.cached).toBe(true)
    expect(t.requests).toHaveLength(1)
    expect(t.events).toEqual([{ status: 'ready', location: first.location, cached: true }])
    expect(t.store.openPartials).toBe(0)
  })

  it('offline: serves the cache, or fails with MODEL_NOT_CACHED and the hint, without a request', async () => {
    const t = setup()
    const e = await fail(t.run({ offline: true, prefetchHint: 'Run "mattekit models fetch".' }))
    expect(e.code).toBe('MODEL_NOT_CACHED')
    expect(e.message).toMatch(/not in the model cache.*Run "mattekit models fetch"\./)
    expect(t.requests).toHaveLength(0)
    await t.run()
    expect((await t.run({ offline: true })).cached).toBe(true)
    expect(t.requests).toHaveLength(1)
  })

  it('HTTP 404: MODEL_FETCH at once (no retry), nothing stored', async () => {
    const t = setup({ faults: [{ status: 404 }] })
    const e = await fail(t.run())
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/HTTP 404/)
    expect(t.requests).toHaveLength(1)
    expect(t.store.entries.size + t.store.kept.size).toBe(0)
  })

  it('HTTP 500 and 503 are retried with growing backoff (Retry-After honoured), then succeed', async () => {
    const t = setup({ faults: [{ status: 500 }, { status: 503 }, { status: 429, retryAfter: '0' }] })
    const got = await t.run({ retryDelayMs: 8 })
    expect(got.cached).toBe(false)
    expect(t.requests).toHaveLength(4)
    expect(t.delays).toEqual([6, 12, 0]) // 8 and 16 with jitter 0.75, then Retry-After: 0
    const retries = t.events.filter((e) => e.status === 'retry')
    expect(retries.map((e) => e.reason)).toEqual(['HTTP 500', 'HTTP 503', 'HTTP 429'])
  })

  it('gives up after the retries with MODEL_FETCH naming the last cause', async () => {
    const t = setup({ faults: [{ status: 502 }, { status: 502 }, { status: 502 }] })
    const e = await fail(t.run({ retries: 2 }))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/after 3 attempts: HTTP 502/)
  })

  it('a body cut mid-way is kept (never stored) and resumed with Range on the next call', async () => {
    const t = setup({ faults: [{ cutAt: 100_000 }] })
    const e = await fail(t.run({ retries: 0 }))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/network error after/)
    expect(t.store.entries.size).toBe(0)
    expect(t.store.kept.get(MODEL.key)?.length).toBe(100_000)
    t.events.length = 0
    const got = await t.run()
    expect(got.cached).toBe(false)
    expect(t.requests).toEqual([{}, { range: 'bytes=100000-' }])
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
    expect(t.events.find((x) => x.status === 'download')).toMatchObject({ loaded: 100_000, total: SIZE })
  })

  it('within one call, a cut body is retried by resuming', async () => {
    const t = setup({ faults: [{ cutAt: 50_000 }, { cutAt: 200_000 }] })
    await t.run()
    expect(t.requests).toEqual([{}, { range: 'bytes=50000-' }, { range: 'bytes=200000-' }])
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
  })

  it('a server that ignores Range restarts from byte 0', async () => {
    const t = setup({ faults: [{ cutAt: 70_000 }, { ignoreRange: true }] })
    await t.run()
    expect(t.requests).toEqual([{}, { range: 'bytes=70000-' }])
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
  })

  it('a kept partial that no longer verifies is discarded and downloaded again from scratch', async () => {
    const t = setup({ faults: [{ cutAt: 90_000 }] })
    await fail(t.run({ retries: 0 }))
    t.store.kept.get(MODEL.key)!.fill(0) // corrupt the kept bytes
    await t.run({ retries: 0 })
    expect(t.requests).toEqual([{}, { range: 'bytes=90000-' }, {}])
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
  })

  it('after such a restart, a later cut is resumed again (not restarted)', async () => {
    const t = setup({ faults: [{ cutAt: 90_000 }] })
    await fail(t.run({ retries: 0 }))
    t.store.kept.get(MODEL.key)!.fill(0)
    // The resume fails verification, the restart is cut at 150000, the retry resumes there.
    const faults = [undefined, { cutAt: 150_000 }]
    const server = scriptedServer(faults.map((f) => f ?? { slow: 0 }))
    const got = await deliverModel(MODEL, { fetch: server.fetch, createHasher: createSha256, store: t.store }, { retryDelayMs: 1 })
    expect(got.cached).toBe(false)
    expect(server.requests).toEqual([{ range: 'bytes=90000-' }, {}, { range: 'bytes=150000-' }])
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
  })

  it('wrong bytes: MODEL_INTEGRITY, nothing stored or kept', async () => {
    const t = setup({ faults: [{ wrong: 'bytes' }] })
    const e = await fail(t.run())
    expect(e.code).toBe('MODEL_INTEGRITY')
    expect(e.message).toMatch(/SHA-256 is [0-9a-f]{64}, expected/)
    expect(t.store.entries.size + t.store.kept.size + t.store.openPartials).toBe(0)
    expect(t.requests).toHaveLength(1) // never retried
  })

  it('a wrong announced size fails before the body is read; an over-long body fails as it arrives', async () => {
    const t = setup({ faults: [{ wrong: 'length' }, { wrong: 'long' }] })
    const e1 = await fail(t.run())
    expect(e1.code).toBe('MODEL_INTEGRITY')
    expect(e1.message).toMatch(/announces 299999 bytes, expected 300000/)
    expect(t.events.some((x) => x.status === 'download')).toBe(false)
    const e2 = await fail(t.run())
    expect(e2.code).toBe('MODEL_INTEGRITY')
    expect(e2.message).toMatch(/more than the expected 300000 bytes/)
    expect(t.store.entries.size + t.store.kept.size).toBe(0)
  })

  it('a stalled connection is abandoned after stallTimeoutMs, kept, and resumed by the retry', async () => {
    const t = setup({ faults: [{ stallAt: 120_000 }, { stallAt: 120_000 }] })
    const started = Date.now()
    const e = await fail(t.run({ stallTimeoutMs: 50, retries: 0 }))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/no data for 50 ms after .* \(stalled connection\)/)
    expect(t.store.kept.get(MODEL.key)?.length).toBe(120_000)
    // The second stall happens at the same absolute offset, so the resumed body stalls at once.
    const got = await t.run({ stallTimeoutMs: 50, retries: 1 })
    expect(got.cached).toBe(false)
    expect(t.requests.map((r) => r.range)).toEqual([undefined, 'bytes=120000-', 'bytes=120000-'])
  })

  it('abort mid-way rejects promptly with ABORTED and leaves no partial', async () => {
    const t = setup({ faults: [{ slow: 5 }] })
    const controller = new AbortController()
    const p = t.run({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'download' && e.loaded > 60_000) controller.abort(new Error('stop'))
      },
    })
    const e = await fail(p)
    expect(e.code).toBe('ABORTED')
    expect(e.name).toBe('AbortError')
    expect(t.store.entries.size + t.store.kept.size + t.store.openPartials).toBe(0)
    const pre = new AbortController()
    pre.abort()
    expect((await fail(t.run({ signal: pre.signal }))).code).toBe('ABORTED')
  })

  it('abort during the backoff rejects at once', async () => {
    const t = setup({ faults: [{ status: 503 }] })
    const controller = new AbortController()
    const p = t.run({
      signal: controller.signal,
      retryDelayMs: 60_000,
      onProgress: (e) => e.status === 'retry' && controller.abort(),
    })
    expect((await fail(p)).code).toBe('ABORTED')
  })

  it('a corrupted stored entry is detected (size on load, hash on request), removed and fetched again', async () => {
    const t = setup()
    await t.run()
    t.store.entries.set(MODEL.key, DATA.subarray(0, SIZE - 1))
    expect((await t.run()).cached).toBe(false)
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)

    const sameSize = DATA.slice()
    sameSize[12_345]! ^= 0xff
    t.store.entries.set(MODEL.key, sameSize)
    expect((await t.run()).cached).toBe(true) // size-only check: fast path
    const full = await t.run({ verify: 'full' })
    expect(full.cached).toBe(false)
    expect(same(t.store.entries.get(MODEL.key), DATA)).toBe(true)
    expect(t.requests).toHaveLength(3)
  })

  it('offline with a corrupted entry says so', async () => {
    const t = setup()
    await t.run()
    t.store.entries.set(MODEL.key, new Uint8Array(3))
    const e = await fail(t.run({ offline: true }))
    expect(e.code).toBe('MODEL_NOT_CACHED')
    expect(e.message).toMatch(/corrupted \(it has 3 bytes, expected 300000\) and has been removed/)
    expect(t.store.entries.size).toBe(0)
  })

  it('a custom model of unknown size is re-hashed on every load', async () => {
    const t = setup()
    const model = resolveModel({ url: URL_, sha256: SHA })
    await t.run({}, model)
    expect((await t.run({}, model)).cached).toBe(true)
    t.store.entries.set(model.key, DATA.map((b) => b ^ 2))
    expect((await t.run({}, model)).cached).toBe(false)
  })

  it('with a store lock: waits, then uses what the lock holder stored, without downloading', async () => {
    const t = setup()
    const seen: string[] = []
    t.store.lock = async (key: string, { onWait }: { onWait?: () => void }) => {
      seen.push(key)
      onWait?.()
      t.store.entries.set(key, DATA) // another process finished while this one waited
      return { release: async () => void seen.push('released') }
    }
    const got = await t.run()
    expect(got.cached).toBe(true)
    expect(t.requests).toHaveLength(0)
    expect(seen).toEqual([MODEL.key, 'released'])
    expect(t.events.map((e) => e.status)).toEqual(['wait', 'ready'])
  })

  it('refuses redirects to plain http off loopback, and bad options', async () => {
    const store = new MemoryStore()
    const platform: DeliveryPlatform = {
      fetch: async () => {
        const r = new Response(DATA, { status: 200 })
        Object.defineProperty(r, 'url', { value: 'http://evil.example.com/model.onnx' })
        return r
      },
      createHasher: createSha256,
      store,
    }
    const e = await fail(deliverModel(MODEL, platform))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/redirected/)
    expect(store.entries.size).toBe(0)
    for (const bad of [{ retries: -1 }, { stallTimeoutMs: 0 }, { verify: 'half' }]) {
      expect((await fail(deliverModel(MODEL, platform, bad as never))).code).toBe('INVALID_OPTION')
    }
  })

  it('a throwing progress callback does not break the delivery', async () => {
    const t = setup()
    await expect(
      t.run({
        onProgress: () => {
          throw new Error('bug in the UI')
        },
      }),
    ).resolves.toMatchObject({ cached: false })
  })
})
