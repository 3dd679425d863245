/**
 * What both live compositors (WebGL2 and CPU) share: the frame sources they draw, the resolved
 * background, and their interface.
 */
import type { Matte, Rgb } from '@mattekit/core'

/** A frame as the compositors draw it. */
export type LiveSource = VideoFrame | HTMLVideoElement | ImageBitmap | HTMLCanvasElement | OffscreenCanvas

/** A background after validation: colours parsed, images loaded into a bitmap. */
export type LiveBackground =
  | { readonly kind: 'blur'; readonly radius?: number }
  | { readonly kind: 'transparent' }
  | { readonly kind: 'color'; readonly color: Rgb }
  | { readonly kind: 'image'; readonly bitmap: ImageBitmap }

/** Composites live frames with a (model-size) matte. */
export interface LiveCompositor {
  /** `'webgl2'` or `'cpu'`. */
  readonly kind: 'webgl2' | 'cpu'
  /** Where {@link LiveCompositor.render} draws: the frame's size, RGBA. */
  readonly canvas: OffscreenCanvas
  /** Whether the compositor can no longer draw (its WebGL context was lost). */
  readonly lost: boolean
  /** The matte for the next frames, at any size (upsampled bilinearly to the frame). */
  setMatte(matte: Matte | undefined): void
  /** The background for the next frames (the bitmap stays the caller's). */
  setBackground(background: LiveBackground): void
  /**
   * Draws one frame: the subject (observed or estimated colours) over the background.
   *
   * @param source - the frame
   * @param width - its width (the output's)
   * @param height - its height
   */
  render(source: LiveSource, width: number, height: number): void
  /** Releases everything (textures, programs; the WebGL context is lost on purpose). */
  dispose(): void
}

/** Options shared by both compositors. */
export interface CompositorOptions {
  /** Edge colours: the frame's own, or blur-fusion estimates. */
  readonly foreground: 'observed' | 'estimate'
  /** Blur-fusion's first box size (the second is 6), as core's `estimateForeground`. */
  readonly fusionRadius?: number
}

/**
 * Bilinear upsampling of an 8-bit matte with half-pixel centres and clamped edges (what a GPU's
 * LINEAR filter does), rounded half up to 8 bits.
 *
 * @param matte - the matte (model size)
 * @param width - target width
 * @param height - target height
 * @param out - where to write (`width * height` bytes); allocated when omitted
 * @returns the upsampled matte's bytes
 */
export function upsampleMatte(matte: Matte, width: number, height: number, out?: Uint8Array): Uint8Array {
  const { width: mw, height: mh, data } = matte
  const dst = out ?? new Uint8Array(width * height)
  const sx = mw / width
  const sy = mh / height
  const x0s = new Int32Array(width)
  const x1s = new Int32Array(width)
  const fxs = new Float32Array(width)
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), mw - 1)
    const x0 = Math.floor(fx)
    x0s[x] = x0
    x1s[x] = Math.min(x0 + 1, mw - 1)
    fxs[x] = fx - x0
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), mh - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, mh - 1)
    const wy = fy - y0
    const r0 = y0 * mw
    const r1 = y1 * mw
    const o = y * width
    for (let x = 0; x < width; x++) {
      const a = x0s[x]!
      const b = x1s[x]!
      const wx = fxs[x]!
      const top = data[r0 + a]! + (data[r0 + b]! - data[r0 + a]!) * wx
      const bottom = data[r1 + a]! + (data[r1 + b]! - data[r1 + a]!) * wx
      dst[o + x] = Math.floor(top + (bottom - top) * wy + 0.5)
    }
  }
  return dst
}
