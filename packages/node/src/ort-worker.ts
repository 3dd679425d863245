/**
 * onnxruntime-node in a worker thread. onnxruntime-node's `run` executes on the calling thread
 * (inside a `setImmediate`), so a 300 ms inference freezes the event loop of a server for 300 ms.
 * This session runs the model in a `worker_threads` Worker instead: the event loop stays free, and
 * JS pre/post-processing of the next image overlaps the current inference. Inputs from
 * `createInput` live in shared memory that the worker keeps (sent once), and the worker quantises
 * the alpha before sending it back (a quarter of the bytes), so a 1080p call makes about 7 MB less
 * garbage on the main thread than with transferred tensors; other inputs move by transfer.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import {
  MATTE_RESIZE_KERNEL,
  MODEL_TENSOR_KERNEL,
  QUANTIZE_KERNEL,
  MatteError,
  resizeMatte,
  resizeMatteShared,
  toModelTensor,
  toModelTensorShared,
  type Float32Tensor,
  type ModelSession,
  type RgbImage,
  type RunOptions,
  type RunResult,
  type Size,
} from '@mattekit/core'
import { spinningConfig, type NodeSessionOptions } from './ort-session.js'

// The worker's source, as CommonJS evaluated in the worker (no separate file to locate in src/ vs dist/).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const ort = require(workerData.ortPath)
let session
let kernel
let resizeRows
let quantize
const slices = new Map()
const spare = []
// Inputs in shared memory, sent once each and then named by id (main says when to forget one),
// and this thread's own tensor per length (the last 2), which onnxruntime reads (it refuses
// shared memory). Neither thread allocates, transfers or garbage-collects a tensor per run.
const inputs = new Map()
const own = new Map()
let stage
function ownTensor(n) {
  let t = own.get(n)
  if (!t) {
    t = new Float32Array(n)
    own.set(n, t)
    if (own.size > 2) own.delete(own.keys().next().value)
  }
  return t
}
// Rows of the next tensor that the main thread shares with this thread while it is idle
// (core's toModelTensorShared): computed at once into a tensor of their own, merged with the
// main thread's rows when their run arrives.
function computeSlice(msg) {
  try {
    kernel = kernel || new Function('__name', workerData.kernel)((f) => f)
    const s = msg.slice
    if (msg.stage) stage = msg.stage
    if (msg.rowsLength !== undefined) s.rows = stage.subarray(0, msg.rowsLength)
    const n = 3 * s.dw * s.dh
    let dst = spare.pop()
    if (!dst || dst.length !== n) dst = new Float32Array(n)
    kernel(s, dst)
    slices.set(msg.id, { s, dst })
  } catch (e) {
    slices.set(msg.id, { error: String(e && e.message || e) })
  }
  if (slices.size > 4) slices.delete(slices.keys().next().value)
}
function takeSlice(id) {
  const done = slices.get(id)
  slices.delete(id)
  if (!done || done.error) throw new Error('the shared preprocessing failed: ' + (done ? done.error : 'no result'))
  return done
}
function mergeSlice(id, data) {
  const { s, dst } = takeSlice(id)
  const plane = s.dw * s.dh
  const a = s.rowStart * s.dw
  const b = s.rowEnd * s.dw
  for (let c = 0; c < 3; c++) data.set(dst.subarray(c * plane + a, c * plane + b), c * plane + a)
  if (spare.length < 2) spare.push(dst)
}
// The tensor of a run whose input is in shared memory: this thread's own copy of it.
function inputTensor(msg) {
  if (msg.input) inputs.set(msg.inputId, msg.input)
  for (const id of msg.forget || []) inputs.delete(id)
  const src = inputs.get(msg.inputId)
  if (!src) throw new Error('the worker does not hold input ' + msg.inputId)
  if (msg.slice === undefined) {
    const t = ownTensor(src.length)
    t.set(src)
    return { data: t }
  }
  // The slice's rows are computed already: copy the rows above them from the input.
  const { s, dst } = takeSlice(msg.slice)
  const plane = s.dw * s.dh
  const a = s.rowStart * s.dw
  for (let c = 0; c < 3; c++) dst.set(src.subarray(c * plane, c * plane + a), c * plane)
  return { data: dst, spare: true }
}
async function init() {
  const o = workerData.options
  const opts = { executionProviders: o.executionProviders || ['cpu'], graphOptimizationLevel: o.graphOptimizationLevel || 'all', logSeverityLevel: 3 }
  if (o.intraOpNumThreads) opts.intraOpNumThreads = o.intraOpNumThreads
  if (o.interOpNumThreads) opts.interOpNumThreads = o.interOpNumThreads
  opts.extra = { session: workerData.spinning }
  session = await ort.InferenceSession.create(workerData.model, opts)
  return { inputs: session.inputNames, outputs: session.outputNames }
}
const ready = init()
let runs = Promise.resolve()
async function run(msg) {
  try {
    const shared = msg.inputId !== undefined
    let data
    let recycle = false
    if (shared) ({ data, spare: recycle } = inputTensor(msg))
    else {
      data = msg.data
      if (msg.slice !== undefined) mergeSlice(msg.slice, data)
    }
    await ready
    const out = await session.run({ input: new ort.Tensor('float32', data, msg.dims) })
    if (recycle && spare.length < 2) spare.push(data)
    const t = out.output
    quantize = quantize || new Function('__name', workerData.quantizeKernel)((f) => f) // core's quantizeAlpha
    const alpha = msg.levels ? quantize(t.data) : t.data
    const result = { type: 'result', id: msg.id, dims: t.dims }
    result[msg.levels ? 'levels' : 'data'] = alpha
    // A transferred input goes back too (read, no longer needed here): the caller reuses it for
    // a later frame instead of allocating and page-faulting a fresh tensor for every call.
    if (!shared) result.input = data
    parentPort.postMessage(result, shared ? [alpha.buffer] : [alpha.buffer, data.buffer])
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String(e && e.message || e) })
  }
}

ready.then((io) => parentPort.postMessage({ type: 'ready', io }), (e) => parentPort.postMessage({ type: 'error', id: -1, message: String(e && e.message || e) }))
parentPort.on('message', async (msg) => {
  if (msg.type === 'slice') {
    computeSlice(msg)
  } else if (msg.type === 'run') {
    // One at a time, in order: runs share this thread's own tensors.
    runs = runs.then(() => run(msg))
  } else if (msg.type === 'post') {
    // Rows of a matte's resize back to the image size (core's resizeMatteShared), while idle.
    try {
      resizeRows = resizeRows || new Function('__name', workerData.resizeKernel)((f) => f)
      const rows = resizeRows(msg.slice)
      parentPort.postMessage({ type: 'rows', id: msg.id, rows }, [rows.buffer])
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: msg.id, message: String(e && e.message || e) })
    }
  } else if (msg.type === 'dispose') {
    try { await ready; await runs; await session.release() } catch {}
    parentPort.postMessage({ type: 'disposed' })
  }
})
`

/**
 * A {@link ModelSession} whose thread can also take a share of the pre- and post-processing while
 * it is idle.
 */
export interface WorkerModelSession extends ModelSession {
  /**
   * Fills `out` as `toModelTensor` does; when no run is in flight, the worker computes the bottom
   * half of the rows meanwhile and merges them into the tensor when its `run` arrives, so `out`
   * must go to this session's `run` next.
   */
  fillTensor(image: RgbImage, size: Size, out: Float32Array): Float32Array
  /**
   * Resizes a quantised matte as `resizeMatte` does; when no run is in flight and the result is
   * large, the worker computes the bottom half of the rows meanwhile (bit-identical).
   */
  resizeMatte(matte: Uint8Array, from: Size, to: Size): Uint8Array | Promise<Uint8Array>
  /**
   * An input array in shared memory: sent to the worker once, then named by id at each run, and
   * copied there into the worker's own tensor (onnxruntime-node refuses shared memory), so
   * neither thread allocates, transfers or garbage-collects a tensor per run. The worker keeps
   * the last 4 it was sent; an older one is sent again when used.
   */
  createInput(length: number): Float32Array
}

/** How many shared-memory inputs a worker keeps (core's pipeline keeps 4 for reuse). */
const MAX_INPUTS = 4

/** The largest staging buffer kept for shared preprocessing (bytes of source rows). */
const MAX_STAGE = 32 * 2 ** 20

interface Pending {
  resolve: (value: never) => void
  reject: (e: unknown) => void
}

/**
 * Loads a MODNet ONNX model into onnxruntime-node inside a worker thread.
 *
 * An input from the session's `createInput` (shared memory, which core's pipeline uses) is read
 * in place and stays the caller's. Any other input's buffer is transferred to the worker, so the
 * caller's array is empty after `run`; the worker transfers it back, intact, as the result's
 * `input`. With `{ levels: true }` the worker returns the alpha quantised (`levels`) instead of
 * `data`.
 *
 * @param model - path to the `.onnx` file, or its bytes
 * @param options - onnxruntime session options
 * @returns a {@link ModelSession} whose runs do not block the event loop
 * @throws {@link MatteError} `MODEL_LOAD` when the model cannot be loaded or is not MODNet-shaped
 *
 * @example
 * ```ts
 * import { createOrtWorkerSession } from '@mattekit/node'
 *
 * // The same session, run on a worker thread so the event loop stays free during inference:
 * const session = await createOrtWorkerSession('modnet.onnx')
 * const alpha = await session.run({ data: tensor, dims: [1, 3, 512, 512] })
 * await session.dispose() // ends the thread
 * ```
 */
export async function createOrtWorkerSession(model: string | Uint8Array, options: NodeSessionOptions = {}): Promise<WorkerModelSession> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node')
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Plain CommonJS that needs no loader or flag of the parent (e.g. --input-type=module would
    // make the eval'd source ESM and break require).
    execArgv: [],
    workerData: { ortPath, model, kernel: MODEL_TENSOR_KERNEL, resizeKernel: MATTE_RESIZE_KERNEL, quantizeKernel: QUANTIZE_KERNEL, spinning: spinningConfig(options.allowSpinning), options: { ...options, executionProviders: options.executionProviders && [...options.executionProviders] } },
  })
  // The worker is ref'd (keeps the process alive) while loading, running or disposing, and
  // unref'd when idle, so an idle Matter never holds a process open.
  const pending = new Map<number, Pending>()
  let nextId = 0
  let failure: Error | undefined
  let disposed: Promise<void> | undefined

  const failAll = (error: Error): void => {
    failure = error
    for (const p of pending.values()) p.reject(error)
    pending.clear()
  }
  worker.on('error', (e) => failAll(new MatteError('INFERENCE', `The inference worker crashed: ${e.message}`, { cause: e })))
  worker.on('exit', () => failAll(new MatteError('DISPOSED', 'The inference worker has stopped.')))

  const io = await new Promise<{ inputs: string[]; outputs: string[] }>((resolve, reject) => {
    const onMessage = (msg: { type: string; io?: { inputs: string[]; outputs: string[] }; message?: string }): void => {
      if (msg.type === 'ready') resolve(msg.io!)
      else if (msg.type === 'error') reject(new MatteError('MODEL_LOAD', `Could not load the model into onnxruntime-node: ${msg.message}`))
    }
    worker.once('message', onMessage)
    worker.once('error', (e) => reject(new MatteError('MODEL_LOAD', `The inference worker failed to start: ${e.message}`, { cause: e })))
  }).catch(async (error: unknown) => {
    await worker.terminate()
    throw error
  })
  if (!io.inputs.includes('input') || !io.outputs.includes('output')) {
    await worker.terminate()
    throw new MatteError(
      'MODEL_LOAD',
      `This is not a MODNet model: expected input "input" and output "output", found inputs [${io.inputs.join(', ')}], outputs [${io.outputs.join(', ')}].`,
    )
  }

  worker.unref()
  worker.on('message', (msg: { type: string; id: number; data?: Float32Array; levels?: Uint8Array; dims?: number[]; input?: Float32Array; rows?: Uint8Array; message?: string }) => {
    const p = pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id)
    if (pending.size === 0) worker.unref()
    if (msg.type === 'result') {
      p.resolve({ data: msg.data ?? new Float32Array(0), dims: msg.dims!, input: msg.input, levels: msg.levels } as never)
    }
    else if (msg.type === 'rows') p.resolve(msg.rows as never)
    else p.reject(new Error(msg.message))
  })

  // Inputs in shared memory the worker holds, by id, least recently used first.
  const inputIds = new WeakMap<Float32Array, number>()
  const sentInputs = new Set<number>()
  let nextInput = 0
  // Tensors whose bottom rows the worker is computing, and the id of that share.
  const shared = new WeakMap<Float32Array, number>()
  let nextSlice = 0
  // The source rows of a shared slice go through one reused SharedArrayBuffer: a fresh copy of a
  // 1080p image's bottom half costs page faults and delays the worker's start by milliseconds.
  // It is reused only once the run that read the last staged slice has returned.
  // The worker keeps the staging buffer once sent, so each slice only names its length.
  let stage: Uint8Array | undefined
  let stageSent = false
  let stagedFor: number | undefined
  const toStage = (rows: Uint8Array): Uint8Array => {
    if (stagedFor !== undefined || rows.length > MAX_STAGE) return rows.slice()
    if (!stage || stage.length < rows.length) {
      stage = new Uint8Array(new SharedArrayBuffer(rows.length))
      stageSent = false
    }
    const view = stage.subarray(0, rows.length)
    view.set(rows)
    return view
  }
  return {
    fillTensor(image: RgbImage, size: Size, out: Float32Array): Float32Array {
      // Share only with an idle worker: a busy one would make the next run wait for its share.
      if (failure || disposed || pending.size > 0) return toModelTensor(image, size, out)
      toModelTensorShared(
        image,
        size,
        out,
        (slice) => {
          const id = nextSlice++
          const staged = slice.rows.buffer instanceof SharedArrayBuffer
          if (staged) {
            stagedFor = id
            const message = { type: 'slice', id, slice: { ...slice, rows: undefined }, rowsLength: slice.rows.length, stage: stageSent ? undefined : stage }
            stageSent = true
            worker.postMessage(message)
          } else worker.postMessage({ type: 'slice', id, slice }, [slice.rows.buffer as ArrayBuffer])
          shared.set(out, id)
          return true
        },
        0.5,
        1_000_000,
        toStage,
      )
      return out
    },
    resizeMatte(matte: Uint8Array, from: Size, to: Size): Uint8Array | Promise<Uint8Array> {
      // Share only with an idle worker: a busy one would make this call wait for its run.
      if (failure || disposed || pending.size > 0) return resizeMatte(matte, from, to)
      const out = new Uint8Array(to.width * to.height)
      let rows: Promise<Uint8Array> | undefined
      const slice = resizeMatteShared(matte, from, to, out, (s) => {
        const id = nextId++
        rows = new Promise<Uint8Array>((resolve, reject) => pending.set(id, { resolve, reject }))
        worker.ref()
        worker.postMessage({ type: 'post', id, slice: s })
        return true
      })
      if (!slice) return out
      return rows!.then(
        (r) => {
          out.set(r, slice.rowStart * slice.dw)
          return out
        },
        // The worker failed or stopped: do its rows here.
        () => resizeMatte(matte, from, to, out),
      )
    },
    createInput(length: number): Float32Array {
      return new Float32Array(new SharedArrayBuffer(length * 4))
    },
    run(input: Float32Tensor, options?: RunOptions): Promise<RunResult> {
      const data = input.data
      const slice = shared.get(data)
      shared.delete(data)
      if (failure) return Promise.reject(failure)
      if (disposed) return Promise.reject(new MatteError('DISPOSED', 'This session was disposed.'))
      const id = nextId++
      const levels = options?.levels === true
      // The worker has read the staged rows once this run settles (it merges the slice first).
      const release = (): void => {
        if (slice !== undefined && slice === stagedFor) stagedFor = undefined
      }
      return new Promise<RunResult>((resolve, reject) => {
        pending.set(id, {
          resolve: ((value: RunResult) => (release(), resolve(value))) as (value: never) => void,
          reject: (e: unknown) => (release(), reject(e)),
        })
        worker.ref() // keep the process alive while a run is in flight
        try {
          if (data.buffer instanceof SharedArrayBuffer) {
            // Sent once, then named by id (per array: two views of one buffer are two inputs);
            // the worker keeps the last MAX_INPUTS it was sent and forgets what this says.
            let inputId = inputIds.get(data)
            const first = inputId === undefined || !sentInputs.has(inputId)
            if (first) inputId = nextInput++
            const kept = [...sentInputs].filter((old) => old !== inputId)
            const forget = kept.slice(0, Math.max(0, kept.length + 1 - MAX_INPUTS))
            worker.postMessage({ type: 'run', id, inputId, input: first ? data : undefined, forget, dims: [...input.dims], slice, levels })
            // Only what the worker was told: a message that failed to go changes nothing.
            inputIds.set(data, inputId!)
            for (const old of forget) sentInputs.delete(old)
            sentInputs.delete(inputId!)
            sentInputs.add(inputId!)
          } else worker.postMessage({ type: 'run', id, data, dims: [...input.dims], slice, levels }, [data.buffer as ArrayBuffer])
        } catch (error) {
          pending.delete(id)
          if (pending.size === 0) worker.unref()
          release()
          reject(error)
        }
      })
    },
    dispose(): Promise<void> {
      disposed ??= (async () => {
        if (!failure) {
          worker.ref()
          await new Promise<void>((resolve) => {
            // Runs still queued in the worker finish first; it answers 'disposed' after them.
            const onMessage = (msg: { type: string }): void => {
              if (msg.type === 'disposed') done()
            }
            const done = (): void => {
              worker.off('message', onMessage)
              worker.off('exit', done)
              resolve()
            }
            worker.on('message', onMessage)
            worker.once('exit', done)
            worker.postMessage({ type: 'dispose' })
          })
        }
        await worker.terminate()
      })()
      return disposed
    },
  }
}
