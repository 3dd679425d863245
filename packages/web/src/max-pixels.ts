/** The pixel limit, shared by the page and the decoder. */
import { MatteError } from '@mattekit/core'

/** The default pixel limit: 100 megapixels, as in `@mattekit/node`. */
export const DEFAULT_MAX_PIXELS = 100_000_000

/**
 * Validates a pixel limit.
 *
 * @param value - a positive integer, `Infinity` or undefined (the default)
 * @returns the limit
 * @throws {@link MatteError} `INVALID_OPTION`
 */
export function checkMaxPixels(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PIXELS
  if (value === Number.POSITIVE_INFINITY) return value
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new MatteError('INVALID_OPTION', `maxPixels must be a positive integer or Infinity, got ${String(value)}.`)
  }
  return value
}
