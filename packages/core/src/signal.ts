/**
 * Cancellation without DOM or Node types: core accepts anything shaped like an AbortSignal.
 */
import { MatteError } from './errors.js'

/** The part of `AbortSignal` MatteKit uses; a real `AbortSignal` satisfies it. */
export interface AbortSignalLike {
  /** Whether the signal has fired. */
  readonly aborted: boolean
  /** Why it fired (becomes the `cause` of the `ABORTED` error). */
  readonly reason?: unknown
  /** Subscribes to the abort event. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  /** Unsubscribes from the abort event. */
  removeEventListener(type: 'abort', listener: () => void): void
}

/**
 * The `ABORTED` {@link MatteError} for a fired signal, with the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * import { abortError } from '@mattekit/core'
 *
 * const controller = new AbortController()
 * controller.abort('user left')
 * const error = abortError(controller.signal) // MatteError: code 'ABORTED', name 'AbortError', cause 'user left'
 * ```
 */
export function abortError(signal: AbortSignalLike): MatteError {
  return new MatteError('ABORTED', 'The operation was aborted by its AbortSignal.', { cause: signal.reason })
}

/**
 * Throws an `ABORTED` {@link MatteError} when `signal` has fired. Call it between stages.
 *
 * @param signal - the caller's signal, if any
 * @throws {@link MatteError} `ABORTED`
 *
 * @example
 * ```ts
 * import { throwIfAborted } from '@mattekit/core'
 *
 * async function pipeline(signal?: AbortSignal) {
 *   const bytes = await readInput()
 *   throwIfAborted(signal) // stop between stages
 *   return decode(bytes)
 * }
 * ```
 */
export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw abortError(signal)
}

/**
 * Settles with `promise`, or rejects with `ABORTED` as soon as `signal` fires, whichever is first.
 * The work behind `promise` is not stopped; its result is simply no longer awaited.
 *
 * @param promise - the work
 * @param signal - the caller's signal, if any
 *
 * @example
 * ```ts
 * import { raceAbort } from '@mattekit/core'
 *
 * // Rejects with ABORTED as soon as the signal fires, even while the download is still running.
 * const response = await raceAbort(fetch(url), AbortSignal.timeout(10_000))
 * ```
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignalLike | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
