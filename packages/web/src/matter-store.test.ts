/**
 * The UI stores' logic, in Node with a fake `createMatter` and a fake `processTrack`: loading,
 * progress, errors, retries, destroy during load, matte() waiting for the model, the deferred
 * destroy that makes React's StrictMode remount reuse the first load, and the processed stream's
 * lifecycle (stats timer, background without restart, ended input, release).
 */
import { MatteError, isMatteError } from '@mattekit/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMatterStore, createProcessedStreamStore, matterOptionsKey, type MatterState } from './matter-store.js'
import type { ProcessedTrack, ProcessTrackOptions, TrackBackground, TrackStats, WebMatter, WebMatterOptions, WebMatteResult } from './types.js'

// Every test injects its own createMatter: the real one (and the worker behind it) stays out.
vi.mock('./create-matter.js', () => ({
  createMatter: () => Promise.reject(new Error('the real createMatter is not used in these tests')),
}))

const SHA = 'a'.repeat(64)
const model = { url: 'https://example.com/m.onnx', sha256: SHA }

/** A controllable promise. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

interface FakeMatter extends WebMatter {
  readonly disposeCalls: number
  readonly tracks: FakeProcessed[]
}

interface FakeProcessed extends ProcessedTrack {
  readonly options: ProcessTrackOptions | undefined
  readonly input: MediaStreamTrack
  readonly stopCalls: { stopInput?: boolean }[]
  readonly backgrounds: TrackBackground[]
  framesOut: number
  endInput(): void
}

function fakeStats(framesOut: number): TrackStats {
  return {
    fpsIn: 30,
    fpsOut: 30,
    fpsModel: 10,
    framesIn: framesOut,
    framesOut,
    dropped: 0,
    queued: 0,
    medians: { model: 50, composite: 2, frame: 5 },
    compositor: 'cpu',
    path: 'track-processor',
  }
}

function fakeMatter(options: { processTrackThrows?: Error } = {}): FakeMatter {
  let disposeCalls = 0
  let disposed = false
  const tracks: FakeProcessed[] = []
  const matter = {
    backend: { mode: 'inline', device: 'wasm', threads: 1, simd: true, crossOriginIsolated: false, webgl2: false },
    get disposed() {
      return disposed
    },
    get disposeCalls() {
      return disposeCalls
    },
    tracks,
    async matte(input: unknown) {
      if (disposed) throw new MatteError('DISPOSED', 'disposed')
      return { input } as unknown as WebMatteResult
    },
    processTrack(input: MediaStreamTrack, trackOptions?: ProcessTrackOptions): ProcessedTrack {
      if (options.processTrackThrows) throw options.processTrackThrows
      const ended = deferred<void>()
      const stopCalls: { stopInput?: boolean }[] = []
      const processed: FakeProcessed = {
        options: trackOptions,
        input,
        track: { kind: 'video', id: `out-${tracks.length}` } as MediaStreamTrack,
        stopCalls,
        backgrounds: [],
        framesOut: 0,
        get stats() {
          return fakeStats(processed.framesOut)
        },
        setBackground(background) {
          processed.backgrounds.push(background)
        },
        stop(stopOptions = {}) {
          stopCalls.push(stopOptions)
          ended.resolve()
        },
        ended: ended.promise,
        endInput: () => ended.resolve(),
      }
      tracks.push(processed)
      return processed
    },
    async dispose() {
      disposeCalls++
      disposed = true
    },
    [Symbol.asyncDispose]() {
      return matter.dispose()
    },
  }
  return matter as unknown as FakeMatter
}

/** A fake createMatter whose loads the test resolves or rejects by hand. */
function loader() {
  const calls: { options: WebMatterOptions; load: ReturnType<typeof deferred<WebMatter>> }[] = []
  const createMatter = vi.fn((options: WebMatterOptions) => {
    const load = deferred<WebMatter>()
    calls.push({ options, load })
    return load.promise
  })
  return { calls, createMatter }
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

describe('createMatterStore', () => {
  it('starts idle and touches nothing until load() (lazy)', () => {
    const { createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    expect(store.getSnapshot()).toEqual({ status: 'idle', progress: null, error: null, matter: null })
    expect(createMatter).not.toHaveBeenCalled()
  })

  it('load(): loading, progress in 1 % steps, then ready with the Matter; load() once', async () => {
    const { calls, createMatter } = loader()
    const onProgress = vi.fn()
    const store = createMatterStore({ model, onProgress }, { createMatter })
    const seen: MatterState[] = []
    store.subscribe(() => seen.push(store.getSnapshot()))
    const first = store.load()
    expect(store.load()).toBe(first)
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(store.getSnapshot().status).toBe('loading')

    const { options } = calls[0]!
    expect(options.model).toBe(model)
    expect(options.signal).toBeInstanceOf(AbortSignal)
    const url = model.url
    options.onProgress!({ status: 'download', url, loaded: 0, total: 1000 })
    options.onProgress!({ status: 'download', url, loaded: 5, total: 1000 }) // same percent: no state change
    options.onProgress!({ status: 'download', url, loaded: 500, total: 1000 })
    options.onProgress!({ status: 'verify', location: 'cache' })
    options.onProgress!({ status: 'compile', device: 'wasm' })
    expect(onProgress).toHaveBeenCalledTimes(5) // every event reaches the caller
    expect(seen.map((s) => s.progress && [s.progress.stage, s.progress.fraction])).toEqual([
      null,
      ['download', 0],
      ['download', 0.5],
      ['verify', 1],
      ['compile', 1],
    ])

    const matter = fakeMatter()
    calls[0]!.load.resolve(matter)
    await expect(first).resolves.toBe(matter)
    const ready = store.getSnapshot()
    expect(ready.status).toBe('ready')
    expect(ready.matter).toBe(matter)
    expect(ready.error).toBeNull()
    expect(Object.isFrozen(ready)).toBe(true)
    await expect(store.load()).resolves.toBe(matter)
    expect(createMatter).toHaveBeenCalledTimes(1)
  })

  it('a load error: status error with a MatteError (non-MatteErrors wrapped as MODEL_LOAD); the next load() retries', async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const first = store.load()
    calls[0]!.load.reject(new TypeError('wasm exploded'))
    const error = await first.catch((e: unknown) => e)
    expect(isMatteError(error, 'MODEL_LOAD')).toBe(true)
    expect((error as MatteError).cause).toBeInstanceOf(TypeError)
    expect(store.getSnapshot()).toMatchObject({ status: 'error', error, matter: null })

    const second = store.load()
    expect(createMatter).toHaveBeenCalledTimes(2)
    expect(store.getSnapshot()).toMatchObject({ status: 'loading', error: null })
    const integrity = new MatteError('MODEL_INTEGRITY', 'bad hash')
    calls[1]!.load.reject(integrity)
    await expect(second).rejects.toBe(integrity) // a MatteError is passed through as is
    expect(store.getSnapshot().error).toBe(integrity)
  })

  it('a createMatter that throws synchronously is an error state, not a crash', async () => {
    const store = createMatterStore(
      { model },
      {
        createMatter: () => {
          throw new MatteError('INVALID_OPTION', 'bad')
        },
      },
    )
    await expect(store.load()).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    expect(store.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'INVALID_OPTION' } })
  })

  it('matte() before ready starts the load, waits for it, then mattes', async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const pending = store.matte('photo.jpg')
    expect(createMatter).toHaveBeenCalledTimes(1)
    let settled = false
    void pending.then(() => (settled = true))
    await flush()
    expect(settled).toBe(false)
    calls[0]!.load.resolve(fakeMatter())
    await expect(pending).resolves.toEqual({ input: 'photo.jpg' })
  })

  it("matte()'s signal cancels the wait with ABORTED (the load goes on)", async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const controller = new AbortController()
    const pending = store.matte('photo.jpg', { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', name: 'AbortError' })
    expect(calls[0]!.options.signal!.aborted).toBe(false)
    expect(store.getSnapshot().status).toBe('loading')
  })

  it("the options' signal aborts loading (status error, ABORTED)", async () => {
    const { calls, createMatter } = loader()
    const controller = new AbortController()
    const store = createMatterStore({ model, signal: controller.signal }, { createMatter })
    const pending = store.load()
    const inner = calls[0]!.options.signal!
    expect(inner).not.toBe(controller.signal) // the store's own signal, linked to the caller's
    controller.abort('user')
    expect(inner.aborted).toBe(true)
    expect(inner.reason).toBe('user')
    const matter = fakeMatter()
    calls[0]!.load.resolve(matter) // a loader that ignored the signal
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(matter.disposeCalls).toBe(1)
  })

  it('destroy() during load aborts it; a Matter arriving later is disposed at once and never handed out', async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const pending = store.load()
    const waiting = store.matte('x.png')
    const destroyed = store.destroy()
    expect(calls[0]!.options.signal!.aborted).toBe(true)
    expect(store.destroyed).toBe(true)
    expect(store.getSnapshot()).toEqual({ status: 'idle', progress: null, error: null, matter: null })

    const matter = fakeMatter()
    calls[0]!.load.resolve(matter)
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' })
    await expect(waiting).rejects.toMatchObject({ code: 'DISPOSED' })
    await destroyed
    expect(matter.disposeCalls).toBe(1)
    expect(store.getSnapshot().matter).toBeNull()
    await expect(store.load()).rejects.toMatchObject({ code: 'DISPOSED' })
    await expect(store.matte('x.png')).rejects.toMatchObject({ code: 'DISPOSED' })
    expect(store.destroy()).toBe(destroyed) // idempotent
  })

  it('destroy() after ready disposes the Matter once', async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const matter = fakeMatter()
    const pending = store.load()
    calls[0]!.load.resolve(matter)
    await pending
    await Promise.all([store.destroy(), store.destroy()])
    expect(matter.disposeCalls).toBe(1)
    expect(store.getSnapshot().matter).toBeNull()
  })

  it('connect() loads (unless autoLoad is false); the last disconnect destroys after the current task', async () => {
    const { calls, createMatter } = loader()
    const lazy = createMatterStore({ model }, { createMatter })
    const offLazy = lazy.connect({ autoLoad: false })
    expect(createMatter).not.toHaveBeenCalled()
    offLazy()
    await flush()
    expect(lazy.destroyed).toBe(true)

    const store = createMatterStore({ model }, { createMatter })
    const off = store.connect()
    expect(createMatter).toHaveBeenCalledTimes(1)
    off()
    off() // idempotent
    expect(store.destroyed).toBe(false) // not yet: a remount may come
    await flush()
    expect(store.destroyed).toBe(true)
    expect(calls[0]!.options.signal!.aborted).toBe(true)
  })

  it('StrictMode: connect, disconnect, connect in one task reuses the first load (one createMatter, nothing aborted)', async () => {
    const { calls, createMatter } = loader()
    const store = createMatterStore({ model }, { createMatter })
    const off1 = store.connect()
    off1()
    const off2 = store.connect()
    await flush()
    expect(store.destroyed).toBe(false)
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(calls[0]!.options.signal!.aborted).toBe(false)
    const matter = fakeMatter()
    calls[0]!.load.resolve(matter)
    await store.load()
    expect(store.getSnapshot().matter).toBe(matter)
    off2()
    await flush()
    expect(matter.disposeCalls).toBe(1)
  })
})

describe('matterOptionsKey', () => {
  it('changes with what needs a new Matter, not with callbacks or signals', () => {
    const base: WebMatterOptions = { model }
    const key = matterOptionsKey(base)
    expect(matterOptionsKey({ model: { ...model } })).toBe(key)
    expect(matterOptionsKey({ model, onProgress: () => undefined, signal: new AbortController().signal })).toBe(key)
    const changed: WebMatterOptions[] = [
      { model: { ...model, url: 'https://example.com/n.onnx' } },
      { model: { ...model, sha256: 'b'.repeat(64) } },
      { model: { ...model, bytes: 10 } },
      { model: { variant: 'fp16' } },
      { model, device: 'webgpu' },
      { model, threads: 2 },
      { model, wasmPaths: '/ort/' },
      { model, wasmPaths: { wasm: '/a.wasm' } },
      { model, mode: 'inline' },
      { model, workerUrl: '/w.js' },
      { model, mirror: 'https://mirror.example.com' },
      { model, cache: false },
      { model, offline: true },
      { model, verify: 'size' },
      { model, maxPixels: 1000 },
    ]
    const keys = changed.map(matterOptionsKey)
    for (const k of keys) expect(k).not.toBe(key)
    expect(new Set(keys).size).toBe(keys.length)
    expect(matterOptionsKey({ model: { variant: 'fp16' } })).not.toBe(matterOptionsKey({ model: { variant: 'uint8' } }))
  })

  it('model bytes count by identity; URL objects by their href', () => {
    const bytes = new Uint8Array(4)
    expect(matterOptionsKey({ model: bytes })).toBe(matterOptionsKey({ model: bytes }))
    expect(matterOptionsKey({ model: bytes })).not.toBe(matterOptionsKey({ model: new Uint8Array(4) }))
    expect(matterOptionsKey({ model, workerUrl: new URL('https://a.example/w.js') })).toBe(
      matterOptionsKey({ model, workerUrl: 'https://a.example/w.js' }),
    )
    expect(matterOptionsKey({ model, wasmPaths: { mjs: '/a.mjs', wasm: '/a.wasm' } })).toBe(
      matterOptionsKey({ model, wasmPaths: { wasm: '/a.wasm', mjs: '/a.mjs' } }),
    )
    expect(matterOptionsKey(null)).toBe('null')
  })
})

describe('createProcessedStreamStore', () => {
  class FakeMediaStream {
    constructor(readonly tracks: MediaStreamTrack[]) {}
    getVideoTracks(): MediaStreamTrack[] {
      return this.tracks
    }
  }
  const camera = { kind: 'video', id: 'camera' } as MediaStreamTrack
  const other = { kind: 'video', id: 'other' } as MediaStreamTrack

  beforeEach(() => {
    vi.stubGlobal('MediaStream', FakeMediaStream)
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('run(): a MediaStream of the processed track, stats refreshed at statsIntervalMs, stop() releases', () => {
    const matter = fakeMatter()
    const store = createProcessedStreamStore()
    expect(store.getSnapshot()).toEqual({ status: 'idle', stream: null, track: null, stats: null, error: null })
    const listener = vi.fn()
    store.subscribe(listener)
    store.run(matter, camera, { background: { type: 'blur' }, modelSize: 320, statsIntervalMs: 500 })
    const processed = matter.tracks[0]!
    expect(processed.input).toBe(camera)
    expect(processed.options).toEqual({ background: { type: 'blur' }, modelSize: 320, stopInput: false }) // statsIntervalMs stays in the store; stopInput governs every end
    const running = store.getSnapshot()
    expect(running.status).toBe('running')
    expect(running.track).toBe(processed.track)
    expect((running.stream as unknown as FakeMediaStream).tracks).toEqual([processed.track])
    expect(running.stats?.framesOut).toBe(0)

    const calls = listener.mock.calls.length
    vi.advanceTimersByTime(2000) // nothing changed: the same stats values still make new objects
    const perTick = listener.mock.calls.length - calls
    expect(perTick).toBe(4) // 2 Hz
    processed.framesOut = 42
    vi.advanceTimersByTime(500)
    expect(store.getSnapshot().stats?.framesOut).toBe(42)

    store.stop()
    expect(processed.stopCalls).toEqual([{ stopInput: false }])
    expect(store.getSnapshot()).toEqual({ status: 'idle', stream: null, track: null, stats: null, error: null })
    const after = listener.mock.calls.length
    vi.advanceTimersByTime(5000)
    expect(listener.mock.calls.length).toBe(after) // the stats timer is gone
  })

  it('the same run again reuses the track (StrictMode); a new background is applied without restart', async () => {
    vi.useRealTimers()
    const matter = fakeMatter()
    const store = createProcessedStreamStore()
    const release1 = store.run(matter, camera, { background: { type: 'blur' } })
    release1()
    const release2 = store.run(matter, camera, { background: { type: 'color', color: '#00ff00' } })
    await flush()
    expect(matter.tracks).toHaveLength(1)
    expect(matter.tracks[0]!.stopCalls).toEqual([])
    expect(matter.tracks[0]!.backgrounds).toEqual([{ type: 'color', color: '#00ff00' }])
    store.setBackground({ type: 'transparent' })
    expect(matter.tracks[0]!.backgrounds).toHaveLength(2)
    release2()
    await flush()
    expect(matter.tracks[0]!.stopCalls).toEqual([{ stopInput: false }])
    expect(store.getSnapshot().status).toBe('idle')
  })

  it('a new input, Matter or restart option stops the old track first; stopInput is passed on', () => {
    const matter = fakeMatter()
    const store = createProcessedStreamStore()
    store.run(matter, camera)
    store.run(matter, other)
    expect(matter.tracks[0]!.stopCalls).toEqual([{ stopInput: false }])
    store.run(matter, other, { modelSize: 'official', stopInput: true })
    expect(matter.tracks[1]!.stopCalls).toHaveLength(1)
    const second = fakeMatter()
    store.run(second, other)
    expect(matter.tracks[2]!.stopCalls).toEqual([{ stopInput: true }])
    expect(second.tracks).toHaveLength(1)
    expect(store.getSnapshot().track).toBe(second.tracks[0]!.track)
  })

  it('the input ending: status ended, stream released, timer stopped', async () => {
    const matter = fakeMatter()
    const store = createProcessedStreamStore()
    store.run(matter, camera)
    matter.tracks[0]!.endInput()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.getSnapshot()).toMatchObject({ status: 'ended', stream: null, track: null, error: null })
    expect(vi.getTimerCount()).toBe(0)
    // The same request again (a re-render) does not restart an ended input...
    store.run(matter, camera)
    expect(matter.tracks).toHaveLength(1)
    expect(store.getSnapshot().status).toBe('ended')
    // ...but an explicit stop() does.
    store.stop()
    store.run(matter, camera)
    expect(matter.tracks).toHaveLength(2)
    expect(store.getSnapshot().status).toBe('running')
  })

  it('processTrack throwing: status error with the MatteError (others wrapped), no timer', () => {
    const store = createProcessedStreamStore()
    const typed = new MatteError('INVALID_INPUT', 'not a live video track')
    store.run(fakeMatter({ processTrackThrows: typed }), camera)
    expect(store.getSnapshot()).toMatchObject({ status: 'error', error: typed, stream: null })
    store.run(fakeMatter({ processTrackThrows: new Error('nope') }), other)
    const { error } = store.getSnapshot()
    expect(isMatteError(error, 'UNSUPPORTED_ENVIRONMENT')).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })
})
