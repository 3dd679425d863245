/**
 * Inputs in the form they travel to the decoder (in the worker, or inline): everything a page can
 * hold is first turned into one of these, on the calling thread, without decoding it there.
 */

/** An input as the decoder receives it. `owned` inputs are closed by the decoder once read. */
export type InputPayload =
  /** An absolute URL, fetched by the decoder. */
  | { readonly kind: 'url'; readonly url: string }
  /** An encoded image (JPEG, PNG, WebP) as a Blob or File. */
  | { readonly kind: 'blob'; readonly blob: Blob; readonly name?: string }
  /** An encoded image's bytes. */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** Decoded pixels held by the browser. */
  | { readonly kind: 'bitmap'; readonly bitmap: ImageBitmap; readonly owned: boolean }
  /** A video frame. */
  | { readonly kind: 'frame'; readonly frame: VideoFrame; readonly owned: boolean }
  /** Straight RGBA pixels, as in ImageData. */
  | {
      readonly kind: 'pixels'
      readonly data: Uint8ClampedArray | Uint8Array
      readonly width: number
      readonly height: number
    }
  /** An OffscreenCanvas read in place (inline mode only; a worker gets an ImageBitmap instead). */
  | { readonly kind: 'canvas'; readonly canvas: OffscreenCanvas }

/** Releases what an owned payload holds (after a decode, or when a call is abandoned). */
export function releasePayload(payload: InputPayload): void {
  if (payload.kind === 'bitmap' && payload.owned) payload.bitmap.close()
  if (payload.kind === 'frame' && payload.owned) payload.frame.close()
}

/**
 * The options of every `createImageBitmap` call of MatteKit: no colour conversion, no
 * premultiplication, EXIF orientation applied (as OpenCV does for JPEG and PNG).
 */
export const bitmapOptions = (): ImageBitmapOptions => ({
  colorSpaceConversion: 'none',
  premultiplyAlpha: 'none',
  imageOrientation: 'from-image',
})
