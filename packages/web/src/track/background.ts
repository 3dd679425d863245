/**
 * Live backgrounds: validated on the caller's stack, images loaded into an ImageBitmap.
 */
import { MatteError, parseColor, type Rgb } from '@mattekit/core'
import { prepareInput } from '../input.js'
import type { InputPayload } from '../payload.js'
import type { TrackBackground, WebImageInput } from '../types.js'
import type { LiveBackground } from './compositor.js'

/** A background checked but not loaded yet: images still to decode. */
export type CheckedBackground = Exclude<LiveBackground, { kind: 'image' }> | { readonly kind: 'image'; readonly image: WebImageInput }

const bad = (text: string): MatteError => new MatteError('INVALID_OPTION', text)

/**
 * Validates a {@link TrackBackground}.
 *
 * @param background - what the caller passed
 * @returns the background, colours parsed
 * @throws {@link MatteError} `INVALID_OPTION` for an unknown kind, colour or radius
 */
export function checkBackground(background: TrackBackground | undefined): CheckedBackground {
  if (background === undefined) return { kind: 'blur' }
  if (typeof background !== 'object' || background === null) {
    throw bad("The background must be { type: 'blur' | 'transparent' | 'color' | 'image', ... }.")
  }
  switch (background.type) {
    case 'blur': {
      const { radius } = background
      if (radius !== undefined && !(typeof radius === 'number' && Number.isFinite(radius) && radius >= 0 && radius <= 500)) {
        throw bad(`The blur radius must be a number from 0 to 500 (output pixels), got ${String(radius)}.`)
      }
      return radius === undefined ? { kind: 'blur' } : { kind: 'blur', radius }
    }
    case 'transparent':
      return { kind: 'transparent' }
    case 'color': {
      const color: Rgb | undefined = typeof background.color === 'string' ? parseColor(background.color) : background.color
      if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw bad(`Unknown colour ${JSON.stringify(background.color)}; use [r, g, b] (0-255), '#rrggbb', 'rgb(r, g, b)' or a name.`)
      }
      return { kind: 'color', color }
    }
    case 'image':
      if (background.image === undefined || background.image === null) throw bad('The image background needs an image.')
      return { kind: 'image', image: background.image }
    default:
      throw bad(`Unknown background type ${JSON.stringify((background as { type?: unknown }).type)}: use 'blur', 'transparent', 'color' or 'image'.`)
  }
}

async function payloadBitmap(payload: InputPayload): Promise<{ bitmap: ImageBitmap; owned: boolean }> {
  const options: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' }
  switch (payload.kind) {
    case 'bitmap':
      return { bitmap: payload.bitmap, owned: payload.owned }
    case 'frame':
      return { bitmap: await createImageBitmap(payload.frame, options), owned: true }
    case 'canvas':
      return { bitmap: await createImageBitmap(payload.canvas, options), owned: true }
    case 'pixels':
      return {
        bitmap: await createImageBitmap(new ImageData(new Uint8ClampedArray(payload.data), payload.width, payload.height), options),
        owned: true,
      }
    case 'blob':
      return { bitmap: await createImageBitmap(payload.blob, options), owned: true }
    case 'bytes':
      return { bitmap: await createImageBitmap(new Blob([payload.bytes as Uint8Array<ArrayBuffer>]), options), owned: true }
    case 'url': {
      const response = await fetch(payload.url)
      if (!response.ok) throw new MatteError('INVALID_INPUT', `The background image at ${payload.url} could not be fetched (HTTP ${response.status}).`)
      return { bitmap: await createImageBitmap(await response.blob(), options), owned: true }
    }
  }
}

/**
 * Loads an image background into a bitmap.
 *
 * @param image - any {@link WebImageInput}
 * @returns the bitmap, and whether it is ours to close
 * @throws {@link MatteError} `INVALID_INPUT` when the image cannot be read
 */
export async function loadBackgroundImage(image: WebImageInput): Promise<{ bitmap: ImageBitmap; owned: boolean }> {
  try {
    return await payloadBitmap((await prepareInput(image, false, true)).payload)
  } catch (error) {
    if (error instanceof MatteError) throw error
    throw new MatteError('INVALID_INPUT', `The background image could not be read: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }
}
