/**
 * The heavy result conveniences (composites, cut-out bitmaps and files), run where the pipeline
 * runs: in the worker by default, so a 1080p blur composite (about 250 ms of JavaScript) never
 * blocks the page. They are core's pixel functions (`composite`, `cutout`, `blur`, `fitCover`),
 * so the browser draws the pixels `@mattekit/node` computes.
 */
import { MatteError, composite, cutout, fitCover, type Background, type Matte, type Rgb, type RgbImage } from '@mattekit/core'
import type { InputPayload } from './payload.js'
import { encodePng } from './png.js'

/** A background as it travels to the worker (colours already parsed, images not yet decoded). */
export type WireBackground =
  | { readonly type: 'color'; readonly color: Rgb }
  | { readonly type: 'blur'; readonly radius?: number }
  | { readonly type: 'image'; readonly image: InputPayload }
  | { readonly type: 'rgb'; readonly image: RgbImage }

/** One convenience to compute. */
export type OpRequest =
  | {
      readonly op: 'composite'
      readonly image: RgbImage
      readonly matte: Matte
      readonly background: WireBackground
      /** Edge colours (core's `ComposeOptions.foreground`). */
      readonly foreground?: 'observed' | 'estimate'
    }
  | { readonly op: 'cutout-bitmap'; readonly image: RgbImage; readonly matte: Matte }
  | {
      readonly op: 'cutout-blob'
      readonly image: RgbImage
      readonly matte: Matte
      readonly type: 'image/png' | 'image/webp'
      readonly quality?: number
    }

/** What an op gives back: a bitmap (composite, cut-out) or a file. */
export type OpResult = ImageBitmap | Blob

/**
 * Straight RGBA pixels as ImageData.
 *
 * @param rgba - `width * height * 4` samples (taken over, not copied)
 */
export function toImageData(rgba: Uint8Array, width: number, height: number): ImageData {
  return new ImageData(new Uint8ClampedArray(rgba.buffer as ArrayBuffer, rgba.byteOffset, rgba.byteLength), width, height)
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * RGB to opaque RGBA.
 *
 * @param rgb - the pixels
 * @param out - where to write the `width * height * 4` samples (a buffer reused from frame to
 *   frame); a new array when omitted
 */
export function opaqueRgba(rgb: RgbImage, out: Uint8Array = new Uint8Array(rgb.width * rgb.height * 4)): Uint8Array {
  const n = rgb.width * rgb.height
  const src = rgb.data
  if (littleEndian && out.byteOffset % 4 === 0) {
    const words = new Uint32Array(out.buffer, out.byteOffset, n)
    for (let i = 0, j = 0; i < n; i++, j += 3) words[i] = 0xff000000 | (src[j + 2]! << 16) | (src[j + 1]! << 8) | src[j]!
  } else {
    for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
      out[k] = src[j]!
      out[k + 1] = src[j + 1]!
      out[k + 2] = src[j + 2]!
      out[k + 3] = 255
    }
  }
  return out
}

const bitmapOf = (rgba: Uint8Array, width: number, height: number): Promise<ImageBitmap> =>
  createImageBitmap(toImageData(rgba, width, height), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' })

/**
 * Computes one convenience.
 *
 * @param request - what to compute, with the result's pixels
 * @param decode - decodes an image background (the pipeline's decoder)
 * @returns a bitmap (composite, cut-out) or a Blob (encoded cut-out)
 * @throws {@link MatteError} `INVALID_INPUT` for mismatched sizes, decode errors of an image
 *   background, `OUTPUT` when encoding fails
 */
export async function runOp(request: OpRequest, decode: (payload: InputPayload) => Promise<RgbImage>): Promise<OpResult> {
  const { image, matte } = request
  switch (request.op) {
    case 'composite': {
      const bg = request.background
      let background: Background
      if (bg.type === 'image') background = { type: 'image', image: fitCover(await decode(bg.image), image) }
      else if (bg.type === 'rgb') background = { type: 'image', image: fitCover(bg.image, image) }
      else background = bg
      const foreground = request.foreground ?? 'observed'
      if (foreground !== 'observed' && foreground !== 'estimate') {
        throw new MatteError('INVALID_OPTION', `foreground must be 'observed' or 'estimate', got ${String(foreground)}.`)
      }
      const out = composite(image, matte, background, { foreground })
      return bitmapOf(opaqueRgba(out), out.width, out.height)
    }
    case 'cutout-bitmap': {
      const cut = cutout(image, matte)
      return bitmapOf(cut.data, cut.width, cut.height)
    }
    case 'cutout-blob': {
      const cut = cutout(image, matte)
      if (request.type === 'image/png') return encodePng(cut)
      const canvas = new OffscreenCanvas(cut.width, cut.height)
      const ctx = canvas.getContext('2d')
      if (!ctx) throw new MatteError('UNSUPPORTED_ENVIRONMENT', 'No 2D canvas context is available to encode WebP.')
      ctx.putImageData(toImageData(cut.data, cut.width, cut.height), 0, 0)
      return canvas.convertToBlob({ type: 'image/webp', ...(request.quality === undefined ? {} : { quality: request.quality }) })
    }
    default:
      throw new MatteError('INVALID_OPTION', `Unknown operation ${String((request as { op?: unknown }).op)}.`)
  }
}
