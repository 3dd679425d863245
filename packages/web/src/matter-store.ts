/**
 * Framework-neutral state for UI bindings: a {@link MatterStore} owns one lazily created
 * {@link WebMatter} (status, progress, error), and a {@link ProcessedStreamStore} owns one
 * processed live track (stream, stats at a modest rate, error). `@mattekit/react`'s hooks are thin
 * glue over these two; any other framework can subscribe to them the same way.
 *
 * Nothing here touches a browser global until `load()` or `run()` is called, so both stores can be
 * created during server-side rendering.
 */
import { MatteError, createExternalStore, isMatteError, raceAbort, throwIfAborted, type ExternalStore } from '@mattekit/core'
import { createMatter } from './create-matter.js'
import type {
  ProcessedTrack,
  ProcessTrackOptions,
  TrackBackground,
  TrackStats,
  WebImageInput,
  WebMatteOptions,
  WebMatter,
  WebMatterOptions,
  WebMatteResult,
  WebProgressEvent,
} from './types.js'

// ---------------------------------------------------------------------------------------------
// Keys: which option changes need a new Matter (or a restarted track)
// ---------------------------------------------------------------------------------------------

const objectIds = new WeakMap<object, number>()
let nextObjectId = 1

/** A stable id for an object's identity (bytes, images): equal only for the same object. */
function identity(value: object): string {
  let id = objectIds.get(value)
  if (id === undefined) {
    id = nextObjectId++
    objectIds.set(value, id)
  }
  return `#${id}`
}

function urlText(value: unknown): unknown {
  return typeof URL !== 'undefined' && value instanceof URL ? value.href : value
}

function modelKey(model: WebMatterOptions['model'] | undefined): unknown {
  if (model === undefined || model === null || typeof model !== 'object') return model
  if (model instanceof Uint8Array || model instanceof ArrayBuffer) return identity(model)
  const source = model as { url?: unknown; sha256?: unknown; bytes?: unknown; variant?: unknown }
  return 'variant' in source ? { variant: source.variant } : { url: urlText(source.url), sha256: source.sha256, bytes: source.bytes }
}

/**
 * The identity of the options that need a new Matter when they change: the model (URL, SHA-256,
 * size and variant, or the identity of your bytes), `device`, `threads`, `wasmPaths`, `mode`,
 * `workerUrl`, `mirror`, `cache`, `offline`, `verify` and `maxPixels`. `onProgress` and `signal`
 * are not part of it: a new callback or signal object does not reload the model.
 *
 * @param options - Matter options, or null for none
 * @returns a string that is equal for options that can share one Matter
 * @example
 * ```ts
 * matterOptionsKey({ model: { variant: 'fp16' }, onProgress: a }) ===
 *   matterOptionsKey({ model: { variant: 'fp16' }, onProgress: b }) // true
 * ```
 */
export function matterOptionsKey(options: WebMatterOptions | null | undefined): string {
  if (options === null || options === undefined) return 'null'
  return JSON.stringify([
    modelKey(options.model),
    options.device,
    options.threads,
    typeof options.wasmPaths === 'object' && options.wasmPaths !== null ? [options.wasmPaths.mjs, options.wasmPaths.wasm] : options.wasmPaths,
    options.mode,
    urlText(options.workerUrl),
    options.mirror,
    options.cache,
    options.offline,
    options.verify,
    options.maxPixels,
  ])
}

function backgroundKey(background: TrackBackground | undefined): string {
  if (background === undefined) return 'default'
  const b = background as { type?: unknown; radius?: unknown; color?: unknown; image?: unknown }
  const image = b.image
  return JSON.stringify([
    b.type,
    b.radius,
    b.color,
    image !== null && typeof image === 'object' && !(typeof URL !== 'undefined' && image instanceof URL) ? identity(image) : urlText(image),
  ])
}

/** Options of a processed track that need a restart when they change (the background does not). */
function restartKey(options: ProcessStreamOptions): string {
  return JSON.stringify([
    options.stabilizer,
    options.modelSize,
    options.foreground,
    options.compositor,
    options.stopInput ?? false,
    options.statsIntervalMs,
  ])
}

/**
 * `error` as a {@link MatteError}: itself when it is one, else wrapped with `code` (the original
 * is the `cause`).
 */
function asMatteError(error: unknown, code: MatteError['code'], what: string): MatteError {
  if (isMatteError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new MatteError(code, `${what}: ${message}`, { cause: error })
}

const disposedError = (): MatteError =>
  new MatteError('DISPOSED', 'This MatterStore was destroyed (its component unmounted); use a new one.')

/** Calls `run` after the current synchronous work (a re-connect in between can cancel it). */
const later: (run: () => void) => void =
  typeof queueMicrotask === 'function' ? queueMicrotask : (run) => void Promise.resolve().then(run)

// ---------------------------------------------------------------------------------------------
// MatterStore
// ---------------------------------------------------------------------------------------------

/** Where a {@link MatterStore}'s Matter is: not asked for yet, loading, usable, or failed. */
export type MatterStatus = 'idle' | 'loading' | 'ready' | 'error'

/** Loading progress in a {@link MatterState}. */
export interface MatterProgress {
  /** The current stage: `'download'`, `'retry'`, `'wait'`, `'verify'`, `'ready'` or `'compile'`. */
  readonly stage: WebProgressEvent['status']
  /**
   * The downloaded share of the model, 0 to 1, while downloading with a known size; 1 from
   * `verify` on; null when unknown (no size, or not downloading yet).
   */
  readonly fraction: number | null
  /** The latest event, as `onProgress` received it. */
  readonly event: WebProgressEvent
}

/** A snapshot of a {@link MatterStore}: frozen, replaced on every change. */
export interface MatterState {
  /** `'idle'` until loading starts, `'loading'`, then `'ready'` or `'error'`. */
  readonly status: MatterStatus
  /**
   * Loading progress; null before the first event. Download progress is reported in steps of
   * at least 1 % (every event still reaches `onProgress`).
   */
  readonly progress: MatterProgress | null
  /** Why loading failed, when `status` is `'error'`; null otherwise. */
  readonly error: MatteError | null
  /** The Matter, once `status` is `'ready'`; null before, and after `destroy()`. */
  readonly matter: WebMatter | null
}

/** Options of {@link createMatterStore}: `createMatter`'s options. */
export type MatterStoreOptions = WebMatterOptions

/** What a {@link MatterStore} is built from; every field is optional. */
export interface MatterStoreDependencies {
  /**
   * Creates the Matter (for tests, or to wrap loading).
   * @defaultValue `createMatter` from `@mattekit/web`
   */
  readonly createMatter?: (options: WebMatterOptions) => Promise<WebMatter>
}

/**
 * One lazily created {@link WebMatter} with observable state: call `load()` (or `matte()`) to
 * start loading, subscribe to follow status and progress, and `destroy()` to abort a pending load
 * and dispose the Matter.
 */
export interface MatterStore extends ExternalStore<MatterState> {
  /**
   * Loads the Matter, once: later calls return the same promise. After a failure, the next call
   * tries again.
   *
   * @returns the ready Matter
   * @throws {@link MatteError} as `createMatter` does, or `DISPOSED` after `destroy()`
   */
  load(): Promise<WebMatter>
  /**
   * Mattes `input`, loading the Matter first when needed (waits for a load in progress).
   *
   * @param input - any {@link WebImageInput}
   * @param options - per-call options; `signal` also cancels the wait for the model
   * @returns the result
   * @throws {@link MatteError} from loading or from `matte()`, `ABORTED`, `DISPOSED`
   */
  matte(input: WebImageInput, options?: WebMatteOptions): Promise<WebMatteResult>
  /**
   * Registers a user of the store (a mounted component) and, when `autoLoad` is not false,
   * starts loading. The returned function unregisters it; when the last user is gone, the store
   * is destroyed after the current synchronous work, unless a new user connects first (React's
   * StrictMode mounts, unmounts and mounts again: the second mount reuses the first load).
   *
   * @param options - `autoLoad: false` to wait for the first `load()` or `matte()`
   * @returns disconnects (idempotent)
   */
  connect(options?: { readonly autoLoad?: boolean }): () => void
  /**
   * Aborts a pending load (a Matter that still arrives is disposed at once), disposes a loaded
   * Matter, and makes later `load()`/`matte()` calls reject with `DISPOSED`. Idempotent.
   *
   * @returns settles once the Matter (if any) is disposed
   */
  destroy(): Promise<void>
  /** Whether {@link MatterStore.destroy} was called. */
  readonly destroyed: boolean
}

const IDLE: MatterState = { status: 'idle', progress: null, error: null, matter: null }

function progressOf(event: WebProgressEvent): MatterProgress {
  let fraction: number | null = null
  if (event.status === 'download') fraction = event.total ? Math.min(1, event.loaded / event.total) : null
  else if (event.status === 'verify' || event.status === 'ready' || event.status === 'compile') fraction = 1
  return { stage: event.status, fraction, event }
}

/** Links `outer` to `controller`: when it fires, the controller aborts with its reason. */
function link(outer: AbortSignal | undefined, controller: AbortController): () => void {
  if (!outer) return () => undefined
  const abort = (): void => controller.abort(outer.reason)
  if (outer.aborted) abort()
  else outer.addEventListener('abort', abort, { once: true })
  return () => outer.removeEventListener('abort', abort)
}

/**
 * Creates a {@link MatterStore}. Nothing is loaded, and no browser global is touched, until
 * `load()`, `matte()` or `connect()` is called.
 *
 * @param options - `createMatter`'s options; `onProgress` and `signal` are read when loading starts
 * @param dependencies - a replacement `createMatter` (tests)
 * @returns the store
 * @example
 * ```ts
 * import { createMatterStore } from '@mattekit/web'
 *
 * const store = createMatterStore({ model: { url: '/models/modnet.onnx', sha256: '…' } })
 * store.subscribe(() => console.log(store.getSnapshot().status)) // loading, ready
 * const result = await store.matte(document.querySelector('img')!)
 * await store.destroy()
 * ```
 */
export function createMatterStore(options: MatterStoreOptions, dependencies: MatterStoreDependencies = {}): MatterStore {
  const create = dependencies.createMatter ?? createMatter
  const state = createExternalStore<MatterState>(IDLE)
  let destroyed = false
  let destroying: Promise<void> | undefined
  let loading: Promise<WebMatter> | undefined
  let controller: AbortController | undefined
  let users = 0
  let pendingDestroy = false
  let lateDisposal: Promise<void> | undefined

  const load = (): Promise<WebMatter> => {
    if (destroyed) return Promise.reject(disposedError())
    if (loading) return loading
    const own = new AbortController()
    controller = own
    const unlink = link(options.signal, own)
    state.set({ status: 'loading', progress: null, error: null, matter: null })
    const onProgress = (event: WebProgressEvent): void => {
      try {
        options.onProgress?.(event)
      } finally {
        if (!own.signal.aborted) {
          const next = progressOf(event)
          state.set(({ progress }) => {
            const sameStep =
              progress !== null &&
              progress.stage === next.stage &&
              next.stage === 'download' &&
              progress.fraction !== null &&
              next.fraction !== null &&
              Math.floor(progress.fraction * 100) === Math.floor(next.fraction * 100)
            return sameStep ? {} : { progress: next }
          })
        }
      }
    }
    let started: Promise<WebMatter>
    try {
      started = create({ ...options, signal: own.signal, onProgress })
    } catch (error) {
      started = Promise.reject(error as Error)
    }
    const attempt: Promise<WebMatter> = started.then(
      (matter) => {
        unlink()
        if (destroyed || own.signal.aborted) {
          // Too late: the store was destroyed (or the signal fired) while the model loaded.
          lateDisposal = matter.dispose().catch(() => undefined)
          if (destroyed) throw disposedError()
          const aborted = new MatteError('ABORTED', 'Loading was aborted by its AbortSignal.', { cause: own.signal.reason })
          if (loading === attempt) loading = undefined // the next load() tries again
          state.set({ status: 'error', error: aborted, matter: null })
          throw aborted
        }
        state.set({ status: 'ready', error: null, matter })
        return matter
      },
      (error: unknown) => {
        unlink()
        const failure = destroyed ? disposedError() : asMatteError(error, 'MODEL_LOAD', 'Loading the model failed')
        if (loading === attempt) loading = undefined // the next load() tries again
        if (!destroyed) state.set({ status: 'error', error: failure, matter: null })
        throw failure
      },
    )
    loading = attempt
    return attempt
  }

  const destroy = (): Promise<void> => {
    if (destroying) return destroying
    destroyed = true
    pendingDestroy = false
    controller?.abort(disposedError())
    const current = loading
    loading = undefined
    state.set(IDLE)
    destroying = (current ?? Promise.resolve(undefined)).then(
      // A Matter that arrived before destroy() is disposed here; one that arrives later was
      // disposed by load()'s handler, which also rejected `current`.
      (matter) => matter?.dispose(),
      () => lateDisposal,
    )
    return destroying
  }

  return {
    subscribe: state.subscribe,
    getSnapshot: state.getSnapshot,
    get destroyed() {
      return destroyed
    },
    load,
    async matte(input, matteOptions = {}) {
      throwIfAborted(matteOptions.signal)
      const matter = await raceAbort(load(), matteOptions.signal)
      if (destroyed) throw disposedError()
      return matter.matte(input, matteOptions)
    },
    connect(connectOptions = {}) {
      users++
      pendingDestroy = false
      if (connectOptions.autoLoad !== false && !destroyed) load().catch(() => undefined) // the state holds the error
      let connected = true
      return () => {
        if (!connected) return
        connected = false
        users--
        if (users > 0) return
        pendingDestroy = true
        later(() => {
          if (pendingDestroy && users === 0) void destroy()
        })
      }
    },
    destroy,
  }
}

// ---------------------------------------------------------------------------------------------
// ProcessedStreamStore
// ---------------------------------------------------------------------------------------------

/** Options of {@link ProcessedStreamStore.run}: `processTrack`'s options plus two of the store's. */
export interface ProcessStreamOptions extends ProcessTrackOptions {
  /**
   * Stop the input track too when processing stops. Off by default: the caller owns the camera
   * stream (it may show it elsewhere, or process it again).
   * @defaultValue false
   */
  readonly stopInput?: boolean
  /**
   * How often `stats` are refreshed, in milliseconds (each refresh is a state change, so a UI
   * re-renders at this rate while a track runs).
   * @defaultValue 500
   */
  readonly statsIntervalMs?: number
}

/** Where a {@link ProcessedStreamStore} is: nothing running, running, ended, or failed. */
export type ProcessedStreamStatus = 'idle' | 'running' | 'ended' | 'error'

/** A snapshot of a {@link ProcessedStreamStore}: frozen, replaced on every change. */
export interface ProcessedStreamState {
  /** `'running'` while frames flow; `'ended'` when the input ended; `'error'` when it failed. */
  readonly status: ProcessedStreamStatus
  /** A `MediaStream` holding the processed track while running; null otherwise. */
  readonly stream: MediaStream | null
  /** The processed track while running; null otherwise. */
  readonly track: MediaStreamTrack | null
  /** The latest live figures, refreshed every `statsIntervalMs`; null before the first read. */
  readonly stats: TrackStats | null
  /** Why processing failed, when `status` is `'error'`; null otherwise. */
  readonly error: MatteError | null
}

/**
 * One processed live track at a time, with observable state: `run()` starts
 * `matter.processTrack()`, exposes the output as a `MediaStream`, and refreshes the stats at a
 * modest rate; `stop()` releases everything.
 */
export interface ProcessedStreamStore extends ExternalStore<ProcessedStreamState> {
  /**
   * Processes `input` with `matter`, stopping whatever ran before. Calling it again with the
   * same Matter, input and restart-relevant options reuses the running track (only the
   * background is updated), which makes it safe under React's StrictMode; a run that ended or
   * failed is not retried with the same arguments (call `stop()` first to retry).
   *
   * @param matter - a ready Matter
   * @param input - a live video track
   * @param options - `processTrack`'s options, `stopInput`, `statsIntervalMs`
   * @returns releases this run: it stops after the current synchronous work unless `run()` is
   *   called again with the same arguments first (idempotent)
   */
  run(matter: WebMatter, input: MediaStreamTrack, options?: ProcessStreamOptions): () => void
  /**
   * Changes the background of the running track (no restart); ignored when nothing runs.
   *
   * @param background - the new background
   */
  setBackground(background: TrackBackground): void
  /** Stops processing and releases the output track, the stats timer and (with `stopInput`) the input. */
  stop(): void
}

const STREAM_IDLE: ProcessedStreamState = { status: 'idle', stream: null, track: null, stats: null, error: null }

interface Run {
  readonly matter: WebMatter
  readonly input: MediaStreamTrack
  readonly key: string
  background: string
  readonly processed: ProcessedTrack | undefined
  readonly stopInput: boolean
  timer: ReturnType<typeof setInterval> | undefined
  leases: number
  stopped: boolean
}

/**
 * Creates a {@link ProcessedStreamStore}. It touches no browser global until `run()`.
 *
 * @returns the store
 * @example
 * ```ts
 * import { createMatter, createProcessedStreamStore } from '@mattekit/web'
 *
 * const matter = await createMatter({ model: { url: '/models/modnet.onnx', sha256: '…' } })
 * const camera = await navigator.mediaDevices.getUserMedia({ video: true })
 * const store = createProcessedStreamStore()
 * store.subscribe(() => {
 *   const { stream, stats } = store.getSnapshot()
 *   video.srcObject = stream
 *   console.log(stats?.fpsOut)
 * })
 * const release = store.run(matter, camera.getVideoTracks()[0]!, { background: { type: 'blur' } })
 * ```
 */
export function createProcessedStreamStore(): ProcessedStreamStore {
  const state = createExternalStore<ProcessedStreamState>(STREAM_IDLE)
  let current: Run | undefined

  const end = (run: Run): void => {
    if (run.stopped) return
    run.stopped = true
    if (run.timer !== undefined) clearInterval(run.timer)
    run.timer = undefined
    try {
      run.processed?.stop({ stopInput: run.stopInput })
    } catch {
      // Already stopped (ended input, disposed Matter): nothing left to release.
    }
  }

  const stop = (): void => {
    const run = current
    current = undefined
    if (run) end(run)
    state.set(STREAM_IDLE)
  }

  const lease = (run: Run): (() => void) => {
    run.leases++
    let held = true
    return () => {
      if (!held) return
      held = false
      run.leases--
      if (run.leases > 0) return
      later(() => {
        if (run.leases === 0 && current === run) stop()
      })
    }
  }

  return {
    subscribe: state.subscribe,
    getSnapshot: state.getSnapshot,
    run(matter, input, options = {}) {
      const key = restartKey(options)
      const background = backgroundKey(options.background)
      const running = current
      // The same request again (a re-render, StrictMode's remount) keeps what runs, and also
      // keeps a run that ended or failed: retrying it would fail the same way, over and over.
      if (running && running.matter === matter && running.input === input && running.key === key) {
        if (!running.stopped && running.background !== background && options.background) {
          running.background = background
          running.processed?.setBackground(options.background)
        }
        return lease(running)
      }
      stop()
      const { stopInput = false, statsIntervalMs = 500, ...trackOptions } = options
      let processed: ProcessedTrack | undefined
      let failure: MatteError | undefined
      try {
        processed = matter.processTrack(input, { ...trackOptions, stopInput })
      } catch (error) {
        failure = asMatteError(error, 'UNSUPPORTED_ENVIRONMENT', 'processTrack failed')
      }
      const run: Run = { matter, input, key, background, processed, stopInput, timer: undefined, leases: 0, stopped: false }
      current = run
      if (!processed) {
        run.stopped = true
        state.set({ ...STREAM_IDLE, status: 'error', error: failure ?? null })
        return lease(run)
      }
      const readStats = (): void => {
        if (current !== run || run.stopped) return
        try {
          state.set({ stats: processed.stats })
        } catch {
          // A stats getter that throws after the track ended: the `ended` handler reports it.
        }
      }
      state.set({ status: 'running', stream: new MediaStream([processed.track]), track: processed.track, stats: null, error: null })
      readStats()
      run.timer = setInterval(readStats, Math.max(50, statsIntervalMs))
      processed.ended.then(
        () => {
          if (current !== run || run.stopped) return
          readStats()
          end(run)
          state.set({ status: 'ended', stream: null, track: null })
        },
        (error: unknown) => {
          if (current !== run || run.stopped) return
          end(run)
          state.set({ status: 'error', stream: null, track: null, error: asMatteError(error, 'INFERENCE', 'Processing the track failed') })
        },
      )
      return lease(run)
    },
    setBackground(background) {
      const run = current
      if (!run || run.stopped || !run.processed) return
      run.background = backgroundKey(background)
      run.processed.setBackground(background)
    },
    stop,
  }
}
