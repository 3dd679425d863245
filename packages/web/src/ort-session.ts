/**
 * The onnxruntime-web binding of core's {@link ModelSession} contract: the WebAssembly backend
 * (SIMD, multi-threaded when the page is cross-origin isolated) or, on request, WebGPU with a
 * fallback to WebAssembly.
 *
 * onnxruntime-web is imported lazily (`import()`), so importing `@mattekit/web` loads none of it,
 * and a bundler splits it into its own chunk: `onnxruntime-web/wasm` (14 MB of wasm) for the
 * WebAssembly backend; for WebGPU the default `onnxruntime-web` entry, whose JSEP build (28 MB of
 * wasm) also runs the CPU fallback. Not `onnxruntime-web/webgpu`: its native WebGPU EP gave mattes
 * up to 94 levels off on Chromium's SwiftShader adapter where JSEP matches the CPU to 2.5e-6
 * (onnxruntime-web 1.30.0, measured on the stand-in model).
 */
import { MatteError, type ModelSession } from '@mattekit/core'
import type * as Ort from 'onnxruntime-web'

/** Where inference runs. */
export type WebDevice = 'wasm' | 'webgpu'

/** Where onnxruntime-web's own files (`.mjs` glue and `.wasm` binary) are loaded from. */
export type WasmPaths = string | { readonly mjs?: string; readonly wasm?: string }

/** Options of {@link createOrtWebSession}. */
export interface WebSessionOptions {
  /** @defaultValue `'wasm'` */
  readonly device?: WebDevice
  /**
   * WebAssembly threads. More than 1 needs a cross-origin isolated page (COOP + COEP headers);
   * elsewhere onnxruntime-web runs single-threaded.
   */
  readonly threads?: number
  /** onnxruntime-web's `env.wasm.wasmPaths`: a URL prefix ending in `/`, or `{ mjs, wasm }` URLs. */
  readonly wasmPaths?: WasmPaths
}

/** The backend a session actually runs on. */
export interface OrtBackend {
  /** The device in use (after any fallback). */
  readonly device: WebDevice
  /** WebAssembly threads in use (1 when the page is not cross-origin isolated). */
  readonly threads: number
  /** Why `webgpu` was asked for but `wasm` is used, when that happened. */
  readonly fallbackReason?: string
}

type OrtModule = typeof Ort

/** Loads onnxruntime-web's entry for a device; split into its own chunk by bundlers. */
async function importOrt(device: WebDevice): Promise<OrtModule> {
  try {
    return device === 'webgpu' ? await import('onnxruntime-web') : await import('onnxruntime-web/wasm')
  } catch (error) {
    throw new MatteError(
      'UNSUPPORTED_ENVIRONMENT',
      `Could not load onnxruntime-web (${device === 'webgpu' ? 'onnxruntime-web' : 'onnxruntime-web/wasm'}): ` +
        `${(error as Error)?.message ?? String(error)}. Is onnxruntime-web installed and bundled?`,
      { cause: error },
    )
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Whether the device can give us a WebGPU adapter at all (before loading 27 MB of wasm for it). */
async function webGpuUnavailable(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu
  if (!gpu) return 'navigator.gpu is not available in this browser or context'
  try {
    return (await gpu.requestAdapter()) ? undefined : 'no WebGPU adapter is available'
  } catch (error) {
    return `requesting a WebGPU adapter failed: ${message(error)}`
  }
}

function configure(ort: OrtModule, options: WebSessionOptions, threads: number): void {
  ort.env.logLevel = 'error'
  ort.env.wasm.numThreads = threads
  ort.env.wasm.proxy = false // MatteKit already runs in its own worker
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths as Ort.Env.WasmPrefixOrFilePaths
}

async function create(ort: OrtModule, model: Uint8Array, ep: WebDevice): Promise<Ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  })
}

function loadError(error: unknown, options: WebSessionOptions): MatteError {
  const text = message(error)
  if (/no available backend|failed to (load|fetch|compile)|WebAssembly|\.wasm|\.mjs|SIMD/i.test(text) && !/protobuf|model/i.test(text)) {
    const where =
      options.wasmPaths === undefined
        ? 'next to onnxruntime-web in your bundle (the default)'
        : `from wasmPaths ${JSON.stringify(options.wasmPaths)}`
    return new MatteError(
      'UNSUPPORTED_ENVIRONMENT',
      `onnxruntime-web could not start its WebAssembly backend, loading its files ${where}: ${text}. ` +
        'Serve onnxruntime-web/dist/*.wasm and *.mjs yourself and set wasmPaths (see docs/getting-started-web.md).',
      { cause: error },
    )
  }
  return new MatteError('MODEL_LOAD', `Could not load the model into onnxruntime-web: ${text}`, { cause: error })
}

/**
 * Loads a MODNet ONNX model into onnxruntime-web.
 *
 * @param model - the `.onnx` file's bytes
 * @param options - device, threads and where onnxruntime-web's files live
 * @returns the session and the backend it really runs on
 * @throws {@link MatteError} `MODEL_LOAD` (not an ONNX model, or not MODNet-shaped),
 *   `UNSUPPORTED_ENVIRONMENT` (onnxruntime-web's files cannot be loaded, no SIMD)
 */
export async function createOrtWebSession(
  model: Uint8Array,
  options: WebSessionOptions = {},
): Promise<{ session: ModelSession; backend: OrtBackend }> {
  const device = options.device ?? 'wasm'
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1
  const threads = isolated ? Math.max(1, Math.min(options.threads ?? Math.min(4, cores), 16)) : 1

  let fallbackReason: string | undefined
  let used: WebDevice = device
  let ort: OrtModule
  let session: Ort.InferenceSession
  if (device === 'webgpu') {
    fallbackReason = await webGpuUnavailable()
    ort = await importOrt(fallbackReason === undefined ? 'webgpu' : 'wasm')
    configure(ort, options, threads)
    if (fallbackReason === undefined) {
      try {
        session = await create(ort, model, 'webgpu')
      } catch (error) {
        fallbackReason = `the WebGPU backend failed: ${message(error)}`
      }
    }
    if (fallbackReason !== undefined) {
      used = 'wasm'
      try {
        session = await create(ort, model, 'wasm')
      } catch (error) {
        throw loadError(error, options)
      }
    }
  } else {
    ort = await importOrt('wasm')
    configure(ort, options, threads)
    try {
      session = await create(ort, model, 'wasm')
    } catch (error) {
      throw loadError(error, options)
    }
  }
  const s = session!
  if (!s.inputNames.includes('input') || !s.outputNames.includes('output')) {
    const found = `inputs [${s.inputNames.join(', ')}], outputs [${s.outputNames.join(', ')}]`
    await s.release()
    throw new MatteError('MODEL_LOAD', `This is not a MODNet model: expected input "input" and output "output", found ${found}.`)
  }

  // onnxruntime-web runs one inference at a time per session; queue concurrent calls.
  let queue: Promise<unknown> = Promise.resolve()
  let released: Promise<void> | undefined
  const modelSession: ModelSession = {
    run(input) {
      const next = queue.then(async () => {
        if (released) throw new MatteError('DISPOSED', 'The model session was released.')
        const feeds = { input: new ort.Tensor('float32', input.data, input.dims) }
        const out = await s.run(feeds)
        const tensor = out.output!
        const data = tensor.data as Float32Array
        return { data, dims: tensor.dims }
      })
      queue = next.catch(() => undefined)
      return next
    },
    dispose() {
      released ??= queue.then(() => s.release())
      return released
    },
  }
  return {
    session: modelSession,
    backend: {
      device: used,
      threads: ort.env.wasm.numThreads ?? threads,
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
    },
  }
}
