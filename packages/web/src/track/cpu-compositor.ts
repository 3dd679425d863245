/**
 * The live compositor on the CPU (a 2D OffscreenCanvas): core's `composite`, `cutout`, `blur`,
 * `fitCover` and `estimateForeground({ method: 'blur-fusion' })` on the frame's pixels, with the
 * matte upsampled bilinearly as the GPU does. The fallback where WebGL2 is missing or lost.
 */
import { MatteError, composite, cutout, fitCover, type ComposeOptions, type Matte, type RgbImage } from '@mattekit/core'
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

  const pixels = (source: CanvasImageSource, width: number, height: number): RgbImage => {
    if (scratch.width !== width || scratch.height !== height) {
      scratch.width = width
      scratch.height = height
    }
    read.globalCompositeOperation = 'copy'
    read.drawImage(source, 0, 0, width, height)
    const rgba = read.getImageData(0, 0, width, height).data
    return { data: rgbaToRgb(rgba, width * height), width, height }
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
      const image = pixels(source as CanvasImageSource, width, height)
      const alpha = matteAt(width, height)
      let rgba: Uint8Array
      if (background.kind === 'transparent') {
        rgba = cutout(image, alpha, compose).data
      } else if (background.kind === 'color') {
        rgba = opaqueRgba(composite(image, alpha, { type: 'color', color: background.color }, compose))
      } else if (background.kind === 'blur') {
        rgba = opaqueRgba(composite(image, alpha, { type: 'blur', ...(background.radius === undefined ? {} : { radius: background.radius }) }, compose))
      } else {
        const key = `${width}x${height}`
        if (bgImage?.key !== key) {
          const { bitmap } = background
          bgImage = { key, image: fitCover(pixels(bitmap, bitmap.width, bitmap.height), { width, height }) }
        }
        rgba = opaqueRgba(composite(image, alpha, { type: 'image', image: bgImage.image }, compose))
      }
      ctx.putImageData(toImageData(rgba, width, height), 0, 0)
    },
    dispose() {
      disposed = true
      matte = undefined
      upsampled = undefined
      bgImage = undefined
      canvas.width = 1
      canvas.height = 1
      scratch.width = 1
      scratch.height = 1
    },
  }
}
