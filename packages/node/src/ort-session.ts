/**
 * The onnxruntime-node binding of core's {@link ModelSession} contract.
 */
import { MatteError, type ModelSession } from '@mattekit/core'
import * as ort from 'onnxruntime-node'

/**
 * onnxruntime-node session options MatteKit exposes.
 *
 * CUDA: `executionProviders: ['cuda', 'cpu']` needs onnxruntime-node's CUDA binaries, which its
 * install script downloads only when allowed (see the README, "GPU (CUDA)").
 */
export interface NodeSessionOptions {
  /**
   * Threads used inside one operator (onnxruntime's `intraOpNumThreads`).
   * @defaultValue onnxruntime's default: one per physical core
   */
  readonly intraOpNumThreads?: number
  /**
   * Threads used across operators (onnxruntime's `interOpNumThreads`).
   * @defaultValue onnxruntime's default
   */
  readonly interOpNumThreads?: number
  /**
   * Execution providers in order of preference, e.g. `['cuda', 'cpu']`.
   * @defaultValue `['cpu']`
   */
  readonly executionProviders?: readonly ('cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu')[]
  /**
   * Graph optimisation level.
   * @defaultValue `'all'`
   */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /**
   * Whether onnxruntime's pool threads spin (busy-wait) for the next operator during a run, which
   * shortens hand-offs inside the run (onnxruntime's default; `false` makes runs slower, by about
   * 18% at 512x512 on 2 cores). Whatever this says, MatteKit has the threads stop spinning as soon
   * as a run returns (onnxruntime's `session.force_spinning_stop`), so they never take the cores
   * from the decoding, resampling and encoding between runs, nor from the inference worker's share
   * of the preprocessing.
   * @defaultValue true
   */
  readonly allowSpinning?: boolean
}

/**
 * onnxruntime's spinning settings: threads spin during runs unless `allowSpinning` is false, and
 * always stop spinning when a run returns.
 */
export function spinningConfig(allowSpinning: boolean | undefined): Record<string, unknown> {
  return {
    force_spinning_stop: '1',
    ...(allowSpinning === false ? { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } : {}),
  }
}

function checkThreads(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new MatteError('INVALID_OPTION', `session.${name} must be a non-negative integer (0 = default), got ${String(value)}.`)
  }
}

/**
 * Loads a MODNet ONNX model into onnxruntime-node.
 *
 * @param model - path to the `.onnx` file, or its bytes
 * @param options - onnxruntime session options
 * @returns a {@link ModelSession}
 * @throws {@link MatteError} `MODEL_LOAD` when the file is missing, not ONNX, or not MODNet-shaped;
 *   `INVALID_OPTION` for bad session options
 *
 * @example
 * ```ts
 * import { createOrtSession } from '@mattekit/node'
 *
 * const session = await createOrtSession('modnet.onnx', { intraOpNumThreads: 2 })
 * const alpha = await session.run({ data: tensor, dims: [1, 3, 512, 512] }) // [1, 1, 512, 512]
 * await session.dispose()
 * ```
 */
export async function createOrtSession(model: string | Uint8Array, options: NodeSessionOptions = {}): Promise<ModelSession> {
  checkThreads('intraOpNumThreads', options.intraOpNumThreads)
  checkThreads('interOpNumThreads', options.interOpNumThreads)
  let session: ort.InferenceSession
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [...(options.executionProviders ?? ['cpu'])],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      logSeverityLevel: 3,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      ...(options.interOpNumThreads ? { interOpNumThreads: options.interOpNumThreads } : {}),
      extra: { session: spinningConfig(options.allowSpinning) },
    }
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions)
  } catch (error) {
    const what = typeof model === 'string' ? `the model file ${model}` : 'the model bytes'
    throw new MatteError('MODEL_LOAD', `Could not load ${what} into onnxruntime-node: ${(error as Error).message}`, {
      cause: error,
    })
  }
  if (!session.inputNames.includes('input') || !session.outputNames.includes('output')) {
    const found = `inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]`
    await session.release()
    throw new MatteError('MODEL_LOAD', `This is not a MODNet model: expected input "input" and output "output", found ${found}.`)
  }

  let released: Promise<void> | undefined
  return {
    async run(input) {
      const feeds = { input: new ort.Tensor('float32', input.data, input.dims) }
      const out = await session.run(feeds)
      const tensor = out.output!
      return { data: tensor.data as Float32Array, dims: tensor.dims }
    },
    dispose() {
      released ??= session.release()
      return released
    },
  }
}
