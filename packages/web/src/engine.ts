/**
 * The engine: core's pipeline (`createMatterCore`) bound to onnxruntime-web and the browser
 * decoder. The worker hosts one; inline mode runs one on the calling thread. Everything here is
 * structured-clone friendly at its boundary, so the worker protocol stays a thin shell around it.
 */
import { MatteError, createMatterCore, throwIfAborted, type AbortSignalLike, type Matter, type ModelSource } from '@mattekit/core'
import { decodePayload } from './decode.js'
import { DEFAULT_MAX_PIXELS } from './max-pixels.js'
import { loadModelBytes } from './model-store.js'
import { createOrtWebSession, type WasmPaths, type WebDevice } from './ort-session.js'
import { type OpRequest, type OpResult, runOp } from './ops.js'
import type { InputPayload } from './payload.js'
import { createPixelReader } from './pixels.js'
import type { WebBackend, WebProgressEvent } from './types.js'

/** The model as the engine receives it: bytes, or a source for core's delivery. */
export type ModelPayload = { readonly kind: 'bytes'; readonly bytes: Uint8Array } | { readonly kind: 'source'; readonly source: ModelSource }

/** Everything the engine needs; structured-clone safe (it crosses into the worker). */
export interface EngineConfig {
  readonly model: ModelPayload
  readonly device: WebDevice
  readonly threads?: number
  readonly wasmPaths?: WasmPaths
  readonly maxPixels: number
  readonly mirror?: string
  readonly cache: string | false
  readonly offline: boolean
  readonly verify: 'size' | 'full'
  /** Test hook: the largest WebGL upload tile. */
  readonly maxTile?: number
}

/** A loaded engine. */
export interface Engine {
  /** The pipeline. */
  readonly matter: Matter<InputPayload>
  /** Where it runs (mode is filled in by the caller). */
  readonly backend: Omit<WebBackend, 'mode'>
  /** Computes a result convenience (composite, cut-out) here, with this engine's decoder. */
  runOp(request: OpRequest): Promise<OpResult>
}

/**
 * Loads the model and builds the pipeline.
 *
 * @param config - model, device and limits
 * @param hooks - cancellation and progress
 * @returns the engine
 * @throws {@link MatteError} `MODEL_FETCH`, `MODEL_INTEGRITY`, `MODEL_NOT_CACHED`, `MODEL_LOAD`,
 *   `UNSUPPORTED_ENVIRONMENT`, `ABORTED`, `INVALID_OPTION`
 */
export async function createEngine(
  config: EngineConfig,
  hooks: { readonly signal?: AbortSignalLike; readonly onProgress?: (event: WebProgressEvent) => void } = {},
): Promise<Engine> {
  const { signal } = hooks
  const emit = (event: WebProgressEvent): void => {
    try {
      hooks.onProgress?.(event)
    } catch {
      // A faulty progress callback must not break loading.
    }
  }
  throwIfAborted(signal)
  let bytes: Uint8Array
  if (config.model.kind === 'bytes') {
    bytes = config.model.bytes
  } else {
    bytes = (
      await loadModelBytes(config.model.source, {
        mirror: config.mirror,
        cache: config.cache,
        offline: config.offline,
        verify: config.verify,
        signal,
        onProgress: emit,
      })
    ).bytes
  }
  throwIfAborted(signal)
  emit({ status: 'compile', device: config.device })
  const { session, backend } = await createOrtWebSession(bytes, {
    device: config.device,
    threads: config.threads,
    wasmPaths: config.wasmPaths,
  })
  if (signal?.aborted) {
    await session.dispose()
    throwIfAborted(signal)
  }
  const reader = createPixelReader(config.maxTile === undefined ? {} : { maxTile: config.maxTile })
  const maxPixels = config.maxPixels ?? DEFAULT_MAX_PIXELS
  const core = createMatterCore<InputPayload>({
    session,
    now: () => performance.now(),
    decode: (payload, { signal: callSignal }) => decodePayload(payload, { maxPixels, signal: callSignal, reader }),
  })
  const matter: Matter<InputPayload> = {
    matte: (input, options) => core.matte(input, options),
    get disposed() {
      return core.disposed
    },
    async dispose() {
      await core.dispose()
      reader.dispose()
    },
    [Symbol.asyncDispose]() {
      return matter.dispose()
    },
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  return {
    matter,
    runOp: (request) => runOp(request, (payload) => decodePayload(payload, { maxPixels, reader })),
    backend: {
      ...backend,
      simd: true,
      crossOriginIsolated: isolated,
      webgl2: reader.available,
    },
  }
}

/** Checks a model payload at the boundary (the worker receives only clones). */
export function checkModelPayload(model: ModelPayload): void {
  if (model.kind === 'bytes' && !(model.bytes instanceof Uint8Array && model.bytes.length > 0)) {
    throw new MatteError('INVALID_OPTION', 'The model bytes are empty.')
  }
}
