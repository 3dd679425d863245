/**
 * The adapter SPI: the small contract a runtime binding (onnxruntime-node, onnxruntime-web)
 * implements so that core can run MODNet without knowing which runtime it is.
 */
import type { AbortSignalLike } from './signal.js'

/** A float32 tensor as plain data; adapters convert to and from their runtime's tensor type. */
export interface Float32Tensor {
  /** Values in row-major order. */
  readonly data: Float32Array
  /** Dimensions, e.g. `[1, 3, 512, 896]`. */
  readonly dims: readonly number[]
}

/**
 * What {@link ModelSession.run} returns: the alpha tensor, and the input's data when the session
 * moved it (e.g. transferred it to a worker thread) and hands it back for reuse.
 */
export interface RunResult extends Float32Tensor {
  /**
   * The run's input data, intact and no longer used by the session, for a session that took it
   * over (a transfer to a worker leaves the caller's array empty): core reuses it for a later
   * input of the same length instead of allocating one. Omitted by sessions that only read the
   * caller's array.
   */
  readonly input?: Float32Array
  /**
   * The alpha already quantised as `quantizeAlpha(data)` does (`trunc(alpha * 255)`), from a
   * session asked for it ({@link RunOptions.levels}) that quantises where the data lies: the Node
   * worker sends one byte per value back instead of four. When present, `data` may be empty.
   */
  readonly levels?: Uint8Array
}

/** Per-run options passed to {@link ModelSession.run}. */
export interface RunOptions {
  /** Aborts the run where the runtime allows it (at least, the result is discarded). */
  readonly signal?: AbortSignalLike
  /**
   * The caller takes the alpha quantised: the session may return {@link RunResult.levels} in
   * place of the float `data`. Sessions that ignore it return `data` as usual.
   */
  readonly levels?: boolean
}

/**
 * One loaded MODNet session: input `input` float32 [N,3,H,W] in [-1,1], output `output` float32
 * [N,1,H,W] in [0,1]. Implemented by `@mattekit/node` and `@mattekit/web`.
 *
 * Implementations must allow concurrent `run` calls (the runtime may serialise them).
 */
export interface ModelSession {
  /** Runs the model on one NCHW tensor and returns the NCHW alpha tensor. */
  run(input: Float32Tensor, options?: RunOptions): Promise<RunResult>
  /**
   * Optional: allocates an input array of `length` values that this session reads most cheaply
   * (the Node worker session: shared memory, which the worker reads without a transfer, so
   * neither thread allocates or garbage-collects a tensor per run). Core's pipeline keeps and
   * reuses the arrays it gets from here.
   */
  createInput?(length: number): Float32Array
  /** Releases the runtime session. Idempotent. */
  dispose(): Promise<void>
}
