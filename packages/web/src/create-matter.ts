/**
 * `createMatter` for browsers: core's pipeline on onnxruntime-web, in a dedicated Web Worker by
 * default (the page only posts inputs and receives transferred results), or inline.
 */
import {
  MatteError,
  abortError,
  resolveModel,
  throwIfAborted,
  type MatteResult,
  type ModelSource,
} from '@mattekit/core'
import { checkMaxPixels } from './max-pixels.js'
import type { EngineConfig, ModelPayload } from './engine.js'
import { type PreparedInput, absoluteUrl, prepareInput } from './input.js'
import { releasePayload } from './payload.js'
import { type FromWorker, type ToWorker, fromWire } from './protocol.js'
import { livePayload } from './track/live-frame.js'
import { type LiveMatteRunner, type TrackHost, processTrack } from './track/process-track.js'
import { type OpRunner, createWebResult } from './result.js'
import type { OpResult } from './ops.js'
import type { WebBackend, WebImageInput, WebMatteOptions, WebMatter, WebMatterOptions, WebMatteResult, WebProgressEvent } from './types.js'

const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose)

/** The two ways to run the engine, behind one interface. */
interface Client {
  readonly backend: WebBackend
  matte(input: PreparedInput, signal: AbortSignal | undefined): Promise<MatteResult>
  /** Mattes a live frame (owned by the client from now on) at a model size; model-size matte back. */
  matteLive: LiveMatteRunner
  op: OpRunner
  dispose(): Promise<void>
}

const option = (text: string): MatteError => new MatteError('INVALID_OPTION', text)

function modelPayload(model: WebMatterOptions['model']): ModelPayload {
  if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
    const bytes = model instanceof ArrayBuffer ? new Uint8Array(model) : model
    if (bytes.length === 0) throw option('options.model is empty (0 bytes).')
    return { kind: 'bytes', bytes }
  }
  if (typeof model !== 'object' || model === null) {
    throw option(
      "options.model must be { url, sha256 } (your copy of the .onnx, e.g. { url: '/models/modnet.onnx', sha256: '…' }), " +
        "{ variant: 'fp32' | 'fp16' | 'uint8' }, or the model's bytes.",
    )
  }
  let source: ModelSource = model
  if ('url' in model) {
    const url = (model as { url: unknown }).url
    if (typeof url !== 'string' && !(url instanceof URL)) throw option('options.model.url must be a string or a URL.')
    let absolute: string
    try {
      absolute = absoluteUrl(url, 'options.model.url')
    } catch (error) {
      throw option((error as Error).message)
    }
    source = { ...model, url: absolute }
  }
  resolveModel(source) // validates URL, SHA-256 and size now, on the caller's stack
  return { kind: 'source', source }
}

function config(options: WebMatterOptions): EngineConfig {
  if (options === null || typeof options !== 'object') {
    throw option("createMatter() needs an options object, e.g. { model: { url: '/models/modnet.onnx', sha256: '…' } }.")
  }
  const { device = 'wasm', threads, cache, offline = false, verify = 'full', mirror, wasmPaths } = options
  if (device !== 'wasm' && device !== 'webgpu') throw option(`options.device must be 'wasm' or 'webgpu', got ${String(device)}.`)
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw option(`options.threads must be a positive integer, got ${String(threads)}.`)
  }
  if (cache !== undefined && cache !== false && !(typeof cache === 'string' && cache.length > 0)) {
    throw option('options.cache must be a cache name or false.')
  }
  if (typeof offline !== 'boolean') throw option('options.offline must be a boolean.')
  if (verify !== 'size' && verify !== 'full') throw option(`options.verify must be 'size' or 'full', got ${String(verify)}.`)
  if (mirror !== undefined && typeof mirror !== 'string') throw option('options.mirror must be a URL string.')
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string' && (typeof wasmPaths !== 'object' || wasmPaths === null)) {
    throw option("options.wasmPaths must be a URL prefix ending in '/' or { mjs, wasm }.")
  }
  const testHooks = options as { readonly __maxTile?: number }
  return {
    model: modelPayload(options.model),
    device,
    ...(threads === undefined ? {} : { threads }),
    ...(wasmPaths === undefined ? {} : { wasmPaths: typeof wasmPaths === 'string' ? absoluteUrl(wasmPaths, 'options.wasmPaths') : wasmPaths }),
    maxPixels: checkMaxPixels(options.maxPixels),
    ...(mirror === undefined ? {} : { mirror }),
    cache: cache ?? 'mattekit-models-v1',
    offline,
    verify,
    ...(testHooks.__maxTile === undefined ? {} : { maxTile: testHooks.__maxTile }),
  }
}

/** Settles with `promise`, or rejects with ABORTED when `signal` fires (then runs `onAbort`). */
function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort()
      reject(abortError(signal))
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error as Error)
      },
    )
  })
}

function safeProgress(onProgress: ((event: WebProgressEvent) => void) | undefined): (event: WebProgressEvent) => void {
  return (event) => {
    try {
      onProgress?.(event)
    } catch {
      // A faulty progress callback must not break loading.
    }
  }
}

async function startWorker(cfg: EngineConfig, options: WebMatterOptions): Promise<Client> {
  if (typeof Worker === 'undefined') {
    throw new MatteError(
      'UNSUPPORTED_ENVIRONMENT',
      "Web Workers are not available here; pass mode: 'inline' to run on the calling thread (it blocks that thread while it works).",
    )
  }
  const { signal, workerUrl } = options
  const progress = safeProgress(options.onProgress)
  let worker: Worker
  try {
    worker =
      workerUrl === undefined
        ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'mattekit' })
        : new Worker(workerUrl, { type: 'module', name: 'mattekit' })
  } catch (error) {
    throw new MatteError(
      'UNSUPPORTED_ENVIRONMENT',
      `Could not start the MatteKit worker: ${(error as Error)?.message ?? String(error)}. Pass workerUrl, or mode: 'inline'.`,
      { cause: error },
    )
  }

  const pending = new Map<number, { resolve: (value: never) => void; reject: (e: Error) => void }>()
  let nextId = 1
  let broken: MatteError | undefined
  let onDisposed: (() => void) | undefined
  let settleInit: { resolve: (b: Omit<WebBackend, 'mode'>) => void; reject: (e: Error) => void } | undefined

  const fail = (error: MatteError): void => {
    broken = error
    settleInit?.reject(error)
    settleInit = undefined
    for (const p of pending.values()) p.reject(error)
    pending.clear()
    onDisposed?.()
  }

  worker.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as FromWorker
    switch (message.type) {
      case 'progress':
        progress(message.event)
        break
      case 'ready':
        settleInit?.resolve(message.backend)
        settleInit = undefined
        break
      case 'init-error':
        settleInit?.reject(fromWire(message.error))
        settleInit = undefined
        break
      case 'live-result':
      case 'result':
        pending.get(message.id)?.resolve(message.result as never)
        pending.delete(message.id)
        break
      case 'op-result': {
        const waiting = pending.get(message.id)
        if (waiting) waiting.resolve(message.value as never)
        else if (message.value instanceof ImageBitmap) message.value.close() // nobody waits any more
        pending.delete(message.id)
        break
      }
      case 'error':
        pending.get(message.id)?.reject(fromWire(message.error))
        pending.delete(message.id)
        break
      case 'disposed':
        onDisposed?.()
        break
    }
  })
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault()
    const detail = event.message || 'the script failed to load or threw'
    fail(
      settleInit
        ? new MatteError(
            'UNSUPPORTED_ENVIRONMENT',
            `The MatteKit worker failed to start (${detail}). If your bundler did not emit @mattekit/web's worker.js, ` +
              "serve it and pass workerUrl, or pass mode: 'inline'.",
          )
        : new MatteError('INFERENCE', `The MatteKit worker crashed (${detail}); create a new Matter.`),
    )
  })
  worker.addEventListener('messageerror', () => fail(new MatteError('INFERENCE', 'A message from the MatteKit worker could not be read.')))

  const post = (message: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer)
  let backend: Omit<WebBackend, 'mode'>
  try {
    const ready = new Promise<Omit<WebBackend, 'mode'>>((resolve, reject) => (settleInit = { resolve, reject }))
    post({ type: 'init', config: cfg })
    backend = await withAbort(ready, signal, () => undefined)
  } catch (error) {
    worker.terminate()
    throw error
  }

  let disposing: Promise<void> | undefined
  return {
    backend: { mode: 'worker', ...backend },
    matte(prepared, callSignal) {
      if (broken) {
        releasePayload(prepared.payload)
        return Promise.reject(broken)
      }
      const id = nextId++
      const result = new Promise<MatteResult>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        try {
          post({ type: 'matte', id, input: prepared.payload }, prepared.transfer)
        } catch (error) {
          pending.delete(id)
          releasePayload(prepared.payload)
          reject(new MatteError('INVALID_INPUT', `The input could not be sent to the worker: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
        }
      })
      return withAbort(result, callSignal, () => {
        if (pending.delete(id)) post({ type: 'abort', id })
      })
    },
    matteLive(payload, modelSize) {
      const transfer: Transferable[] = payload.kind === 'frame' ? [payload.frame] : payload.kind === 'bitmap' ? [payload.bitmap] : []
      if (broken || disposing) {
        releasePayload(payload)
        return Promise.reject(broken ?? new MatteError('DISPOSED', 'This Matter was disposed; create a new one with createMatter().'))
      }
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        try {
          post({ type: 'matte-live', id, input: payload, modelSize }, transfer)
        } catch (error) {
          pending.delete(id)
          releasePayload(payload)
          reject(new MatteError('INVALID_INPUT', `The frame could not be sent to the worker: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
        }
      })
    },
    op(request, transfer) {
      if (broken) return Promise.reject(broken)
      if (disposing) return Promise.reject(new MatteError('DISPOSED', 'This Matter was disposed; create a new one with createMatter().'))
      const id = nextId++
      return new Promise<OpResult>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        try {
          // The result's pixels are copied (the result keeps them); objects MatteKit made are moved.
          post({ type: 'op', id, request }, transfer)
        } catch (error) {
          pending.delete(id)
          reject(new MatteError('INVALID_INPUT', `The request could not be sent to the worker: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
        }
      })
    },
    dispose() {
      disposing ??= new Promise<void>((resolve) => {
        const disposedError = new MatteError('DISPOSED', 'This Matter was disposed; create a new one with createMatter().')
        for (const p of pending.values()) p.reject(disposedError)
        pending.clear()
        const timer = setTimeout(() => onDisposed?.(), 5000)
        onDisposed = () => {
          clearTimeout(timer)
          onDisposed = undefined
          worker.terminate()
          resolve()
        }
        if (broken) onDisposed()
        else post({ type: 'dispose' })
      })
      return disposing
    },
  }
}

async function startInline(cfg: EngineConfig, options: WebMatterOptions): Promise<Client> {
  // Loaded on demand: pages that use the worker never download the pipeline themselves.
  const { createEngine } = await import('./engine.js')
  const engine = await createEngine(cfg, { signal: options.signal, onProgress: safeProgress(options.onProgress) })
  return {
    backend: { mode: 'inline', ...engine.backend },
    matte: (prepared, signal) => engine.matter.matte(prepared.payload, { signal }),
    matteLive: async (payload, modelSize) => {
      const { matte, modelSize: size, timings } = await engine.matter.matte(await livePayload(payload), { modelSize, matteSize: 'model' })
      return { matte, modelSize: size, timings }
    },
    op: (request) => engine.runOp(request),
    dispose: () => engine.matter.dispose(),
  }
}

/**
 * Loads MODNet into onnxruntime-web and returns a {@link WebMatter}. By default the pipeline
 * runs in a dedicated Web Worker, so the page stays responsive while it works.
 *
 * @param options - the model, device, threads, worker or inline mode, caching and limits
 * @returns a ready Matter; dispose it when done (it stops the worker)
 * @throws {@link MatteError} `INVALID_OPTION`, `MODEL_FETCH`, `MODEL_INTEGRITY`,
 *   `MODEL_NOT_CACHED`, `MODEL_LOAD`, `UNSUPPORTED_ENVIRONMENT` (no Worker, onnxruntime-web's
 *   files not found), `ABORTED`
 * @example
 * ```ts
 * import { createMatter } from '@mattekit/web'
 *
 * const matter = await createMatter({
 *   model: { url: '/models/modnet.onnx', sha256: '07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9' },
 *   wasmPaths: '/ort/',
 * })
 * const result = await matter.matte(document.querySelector('img')!)
 * await result.drawComposite(document.querySelector('canvas')!, { type: 'blur' })
 * console.log(matter.backend) // { mode: 'worker', device: 'wasm', threads: 4, ... }
 * ```
 */
export async function createMatter(options: WebMatterOptions): Promise<WebMatter> {
  const cfg = config(options)
  const mode = options.mode ?? 'worker'
  if (mode !== 'worker' && mode !== 'inline') throw option(`options.mode must be 'worker' or 'inline', got ${String(mode)}.`)
  throwIfAborted(options.signal)
  const client = mode === 'worker' ? await startWorker(cfg, options) : await startInline(cfg, options)

  let disposed = false
  let disposing: Promise<void> | undefined
  const disposedError = (): MatteError => new MatteError('DISPOSED', 'This Matter was disposed; create a new one with createMatter().')
  // Live tracks stop when the Matter is disposed.
  const liveTracks = new Set<{ stop(): void }>()
  const trackHost: TrackHost = {
    matteLive: (payload, modelSize) => {
      if (!disposed) return client.matteLive(payload, modelSize)
      releasePayload(payload)
      return Promise.reject(disposedError())
    },
    forWorker: mode === 'worker',
    register(live) {
      liveTracks.add(live)
      return () => liveTracks.delete(live)
    },
  }

  const matter: WebMatter = {
    backend: client.backend,
    get disposed() {
      return disposed
    },
    async matte(input: WebImageInput, matteOptions: WebMatteOptions = {}): Promise<WebMatteResult> {
      const { signal } = matteOptions
      if (disposed) throw disposedError()
      throwIfAborted(signal)
      const t0 = performance.now()
      const prepared = await prepareInput(input, matteOptions.transfer === true, mode === 'worker')
      if (disposed || signal?.aborted) {
        releasePayload(prepared.payload)
        if (disposed) throw disposedError()
        throwIfAborted(signal)
      }
      const result = await client.matte(prepared, signal)
      if (disposed) throw disposedError()
      return createWebResult(result, performance.now() - t0, client.op, mode === 'worker')
    },
    processTrack(track, trackOptions) {
      if (disposed) throw disposedError()
      return processTrack(trackHost, track, trackOptions)
    },
    dispose() {
      if (!disposing) {
        disposed = true
        for (const live of [...liveTracks]) live.stop()
        disposing = client.dispose()
      }
      return disposing
    },
    [asyncDispose]() {
      return matter.dispose()
    },
  }
  return matter
}
