/**
 * The live compositor on the CPU (a 2D OffscreenCanvas): core's `composite`, `cutout`,
 * `reducedBlur` with `compositeScaled`, `fitCover` and `estimateForeground({ method: 'blur-fusion' })`
 * on the frame's pixels, with the matte upsampled bilinearly as the GPU does. The fallback where
 * WebGL2 is missing or lost. Its per-frame arrays are reused from frame to frame.
 */
import { MatteError, composite, compositeScaled, cutout, fitCover, reducedBlur, type ComposeOptions, type Matte, type RgbImage } from '@mattekit/core'
import { opaqueRgba, toImageData } from '../ops.js'
import { rgbaToRgb } from '../pixels.js'
import { type CompositorOptions, type LiveBackground, type LiveCompositor, type LiveSource, upsampleMatte } from './compositor.js'

/**
 * Creates the CPU compositor.
 *
 * @param options - foreground mode
 * @returns the compositor
 * @throws {@link MatteError} `UNSUPPORTED_ENVIRONMENT` when no 2D canvas is available
 */
export function createCpuCompositor(options: CompositorOptions): LiveCompositor {
  if (typeof OffscreenCanvas === 'undefined') {
    throw new MatteError('UNSUPPORTED_ENVIRONMENT', 'OffscreenCanvas is not available: live compositing needs it.')
  }
  const canvas = new OffscreenCanvas(1, 1)
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  const scratch = new OffscreenCanvas(1, 1)
  const read = scratch.getContext('2d', { willReadFrequently: true })
  if (!ctx || !read) throw new MatteError('UNSUPPORTED_ENVIRONMENT', 'No 2D canvas context is available for live compositing.')
  const compose: ComposeOptions =
    options.foreground === 'estimate' ? { foreground: { method: 'blur-fusion', radius: options.fusionRadius ?? 90 } } : {}
  let matte: Matte | undefined
  let upsampled: { readonly key: string; readonly matte: Matte } | undefined
  let background: LiveBackground = { kind: 'blur' }
  let bgImage: { readonly key: string; readonly image: RgbImage } | undefined
  let disposed = false

  // The frame's RGB, the composite's RGB and the output's RGBA, reused while the size stays: each
  // is read within the render that writes it (putImageData copies).
  let work: { readonly key: string; readonly rgb: Uint8Array; readonly mixed: Uint8Array; readonly rgba: Uint8Array } | undefined
  const buffers = (width: number, height: number): NonNullable<typeof work> => {
    const key = `${width}x${height}`
    if (work?.key !== key) {
      const n = width * height
      work = { key, rgb: new Uint8Array(n * 3), mixed: new Uint8Array(n * 3), rgba: new Uint8Array(n * 4) }
    }
    return work
  }

  /** A source's pixels as RGB; into `into` when given (the frame's), else a new array (kept by the caller). */
  const pixels = (source: CanvasImageSource, width: number, height: number, into?: Uint8Array): RgbImage => {
    if (scratch.width !== width || scratch.height !== height) {
      scratch.width = width
      scratch.height = height
    }
    read.globalCompositeOperation = 'copy'
    read.drawImage(source, 0, 0, width, height)
    const rgba = read.getImageData(0, 0, width, height).data
    return { data: rgbaToRgb(rgba, width * height, false, into), width, height }
  }

  const matteAt = (width: number, height: number): Matte => {
    const key = `${width}x${height}`
    if (!matte) return { data: new Uint8Array(width * height), width, height }
    if (upsampled?.key !== key) upsampled = { key, matte: { data: upsampleMatte(matte, width, height), width, height } }
    return upsampled.matte
  }

  return {
    kind: 'cpu',
    canvas,
    get lost() {
      return disposed
    },
    setMatte(next) {
      matte = next
      upsampled = undefined
    },
    setBackground(next) {
      background = next
      bgImage = undefined
    },
    render(source: LiveSource, width: number, height: number) {
      if (disposed) return
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width
        canvas.height = height
      }
      const buf = buffers(width, height)
      const image = pixels(source as CanvasImageSource, width, height, buf.rgb)
      const alpha = matteAt(width, height)
      let rgba: Uint8Array
      if (background.kind === 'transparent') {
        rgba = cutout(image, alpha, compose, buf.rgba).data
      } else if (background.kind === 'color') {
        rgba = opaqueRgba(composite(image, alpha, { type: 'color', color: background.color }, compose, buf.mixed), buf.rgba)
      } else if (background.kind === 'blur') {
        // Blurred at a reduced size and enlarged inside the blend, as video files are (core's
        // reducedBlur, within a level of the full-size blur on average): the full-size blur
        // took most of a frame's time here.
        rgba = opaqueRgba(compositeScaled(image, alpha, reducedBlur(image, background.radius), compose, buf.mixed), buf.rgba)
      } else {
        const key = `${width}x${height}`
        if (bgImage?.key !== key) {
          const { bitmap } = background
          bgImage = { key, image: fitCover(pixels(bitmap, bitmap.width, bitmap.height), { width, height }) }
        }
        rgba = opaqueRgba(composite(image, alpha, { type: 'image', image: bgImage.image }, compose, buf.mixed), buf.rgba)
      }
      ctx.putImageData(toImageData(rgba, width, height), 0, 0)
    },
    dispose() {
      disposed = true
      matte = undefined
      upsampled = undefined
      bgImage = undefined
      work = undefined
      canvas.width = 1
      canvas.height = 1
      scratch.width = 1
      scratch.height = 1
    },
  }
}
