/**
 * Every failure MatteKit reports is a {@link MatteError} with a machine-readable {@link MatteErrorCode}.
 *
 * @packageDocumentation
 */

/**
 * What went wrong, as a stable string you can switch on.
 *
 * - `INVALID_INPUT`: the input is not an image MatteKit can read (empty, not an image, wrong type).
 * - `INVALID_OPTION`: an option has a wrong type or value (NaN, negative, unknown name).
 * - `UNSUPPORTED_FORMAT`: the bytes are an image, but in a format or variant that is not supported.
 * - `CORRUPT_IMAGE`: the image is truncated or damaged and cannot be decoded.
 * - `IMAGE_TOO_LARGE`: the image declares more pixels than the configured limit.
 * - `IMAGE_TOO_SMALL`: the official size rule rounds a side down to 0 (for example 20x600).
 * - `MODEL_LOAD`: the model file could not be read or is not a valid MODNet ONNX model.
 * - `MODEL_FETCH`: the model could not be downloaded.
 * - `MODEL_INTEGRITY`: the model's size or SHA-256 does not match what was pinned.
 * - `MODEL_NOT_CACHED`: offline mode, and the model is not in the cache yet.
 * - `INFERENCE`: the inference runtime failed while running the model.
 * - `OUTPUT`: writing or encoding an output failed.
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `DISPOSED`: the Matter was disposed before or during the call.
 * - `UNSUPPORTED_ENVIRONMENT`: the runtime lacks something MatteKit needs.
 */
export type MatteErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_OPTION'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TOO_SMALL'
  | 'MODEL_LOAD'
  | 'MODEL_FETCH'
  | 'MODEL_INTEGRITY'
  | 'MODEL_NOT_CACHED'
  | 'INFERENCE'
  | 'OUTPUT'
  | 'ABORTED'
  | 'DISPOSED'
  | 'UNSUPPORTED_ENVIRONMENT'

const BRAND = Symbol.for('mattekit.error')

/** Options of the {@link MatteError} constructor. */
export interface MatteErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown
}

/**
 * The one error type MatteKit throws. `code` says what happened; `message` says what to do.
 *
 * Use {@link isMatteError} rather than `instanceof`: it also recognises errors from another copy
 * of the package (ESM and CJS builds, or two installed versions).
 *
 * @example
 * ```ts
 * try {
 *   await matter.matte('photo.jpg')
 * } catch (err) {
 *   if (isMatteError(err) && err.code === 'CORRUPT_IMAGE') console.warn(err.message)
 *   else throw err
 * }
 * ```
 */
export class MatteError extends Error {
  /** What went wrong. */
  readonly code: MatteErrorCode

  constructor(code: MatteErrorCode, message: string, options: MatteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    // `AbortError` keeps `err.name === 'AbortError'` checks working for cancellations.
    this.name = code === 'ABORTED' ? 'AbortError' : 'MatteError'
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/**
 * Whether `value` is a {@link MatteError}, from this or any other copy of MatteKit.
 *
 * @param value - anything caught
 * @param code - when given, also require this code
 *
 * @example
 * ```ts
 * import { isMatteError } from '@mattekit/node' // or '@mattekit/web'
 *
 * try {
 *   await matter.matte('photo.jpg')
 * } catch (err) {
 *   if (isMatteError(err, 'IMAGE_TOO_LARGE')) console.warn('Please upload a smaller photo.')
 *   else if (!isMatteError(err, 'ABORTED')) throw err
 * }
 * ```
 */
export function isMatteError(value: unknown, code?: MatteErrorCode): value is MatteError {
  if (typeof value !== 'object' || value === null) return false
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false
  return code === undefined || (value as MatteError).code === code
}
