/**
 * The messages between a page and its MatteKit worker. Results come back with their pixel
 * buffers transferred (zero-copy); errors travel as code + message and become
 * {@link MatteError}s again on the page.
 */
import { MatteError, isMatteError, type Matte, type MatteErrorCode, type MatteResult, type MatteTimings, type Size } from '@mattekit/core'
import type { EngineConfig } from './engine.js'
import type { OpRequest, OpResult } from './ops.js'
import type { InputPayload } from './payload.js'
import type { WebBackend, WebProgressEvent } from './types.js'

/** An error on the wire. */
export interface WireError {
  readonly code: MatteErrorCode
  readonly message: string
  readonly cause?: string
}

/** Page to worker. */
export type ToWorker =
  | { readonly type: 'init'; readonly config: EngineConfig }
  | { readonly type: 'matte'; readonly id: number; readonly input: InputPayload }
  | { readonly type: 'op'; readonly id: number; readonly request: OpRequest }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'dispose' }
  /** A live video frame: matte it at a reduced model size and send back the model-size matte only. */
  | { readonly type: 'matte-live'; readonly id: number; readonly input: InputPayload; readonly modelSize: number | 'official' }

/** Worker to page. */
export type FromWorker =
  | { readonly type: 'progress'; readonly event: WebProgressEvent }
  | { readonly type: 'ready'; readonly backend: Omit<WebBackend, 'mode'> }
  | { readonly type: 'init-error'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly result: MatteResult }
  | { readonly type: 'op-result'; readonly id: number; readonly value: OpResult }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  | { readonly type: 'disposed' }
  | { readonly type: 'live-result'; readonly id: number; readonly result: LiveMatte }

/** The answer to a live frame: the matte at the model's size (not resized back), no image. */
export interface LiveMatte {
  /** The 8-bit matte, `modelSize` large. */
  readonly matte: Matte
  /** The size the model ran at. */
  readonly modelSize: Size
  /** Per-stage timings in the pipeline (postprocess is quantisation only). */
  readonly timings: MatteTimings
}

/**
 * Serialises any thrown value for the page.
 *
 * @param error - what was thrown
 * @param fallback - the code for errors that are not {@link MatteError}s
 */
export function toWire(error: unknown, fallback: MatteErrorCode = 'INFERENCE'): WireError {
  if (isMatteError(error)) {
    const cause = (error as { cause?: unknown }).cause
    return {
      code: error.code,
      message: error.message,
      ...(cause === undefined ? {} : { cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) }),
    }
  }
  return { code: fallback, message: error instanceof Error ? error.message : String(error) }
}

/**
 * Rebuilds a {@link MatteError} from the wire.
 *
 * @param wire - the serialised error
 */
export function fromWire(wire: WireError): MatteError {
  return new MatteError(wire.code, wire.message, wire.cause === undefined ? {} : { cause: wire.cause })
}

/** The buffers of a result, deduplicated, for `postMessage`'s transfer list. */
export function resultTransfer(result: MatteResult): Transferable[] {
  const buffers = new Set<ArrayBuffer>()
  for (const data of [result.matte.data, result.image.data]) {
    if (data.buffer instanceof ArrayBuffer) buffers.add(data.buffer)
  }
  return [...buffers]
}
