/**
 * What both live compositors (WebGL2 and CPU) share: the frame sources they draw, the resolved
 * background, and their interface.
 */
import { resizeBilinear, type Matte, type Rgb } from '@mattekit/core'

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
  /**
   * WebGL2 only on a hardware GPU (the context's `failIfMajorPerformanceCaveat`, and the renderer's
   * name where the browser gives it): where the GPU is emulated on the CPU (SwiftShader, llvmpipe),
   * the CPU compositor does the same work faster.
   */
  readonly hardwareOnly?: boolean
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
  return resizeBilinear(matte.data, matte, { width, height }, 1, out)
}
