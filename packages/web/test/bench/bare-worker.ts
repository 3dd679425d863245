/**
 * Bare onnxruntime-web, the baseline: one session in its own worker (as MatteKit's is), timed
 * around `session.run` alone, on a ready input tensor.
 */
import * as ort from 'onnxruntime-web/wasm'

let session: ort.InferenceSession | undefined
let tensor: ort.Tensor | undefined

// onnxruntime-web starts its threads from this very script (bundled into it), named
// "em-pthread": those must not answer the benchmark's messages.
const isThread = (self as unknown as { name?: string }).name?.startsWith('em-pthread')
if (!isThread) self.onmessage = async (event: MessageEvent) => {
  const message = event.data as
    | { type: 'init'; model: ArrayBuffer; threads: number }
    | { type: 'input'; data: Float32Array; width: number; height: number }
    | { type: 'run' }
  try {
    if (message.type === 'init') {
      ort.env.wasm.numThreads = message.threads
      ort.env.wasm.proxy = false
      session = await ort.InferenceSession.create(new Uint8Array(message.model), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })
      postMessage({ type: 'ready', threads: ort.env.wasm.numThreads })
    } else if (message.type === 'input') {
      // The very tensor MatteKit feeds the model for this image (same values, same size).
      tensor = new ort.Tensor('float32', message.data, [1, 3, message.height, message.width])
      postMessage({ type: 'ok' })
    } else {
      const t0 = performance.now()
      await session!.run({ input: tensor! })
      postMessage({ type: 'ran', ms: performance.now() - t0 })
    }
  } catch (error) {
    postMessage({ type: 'error', message: String(error) })
  }
}
