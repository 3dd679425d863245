/**
 * Browser conveniences on top of core's {@link MatteResult}. The sync ones (ImageData) run on the
 * calling thread; the heavy ones (composites, cut-out bitmaps and files) run where the pipeline
 * runs (the worker, by default), with core's pixel code, so the browser and Node give the same
 * pixels and the page stays responsive.
 */
import {
  MatteError,
  cutout,
  parseColor,
  type MatteResult,
  type RgbImage,
} from '@mattekit/core'
import { prepareInput } from './input.js'
import { type OpRequest, type OpResult, type WireBackground, toImageData } from './ops.js'
import type { WebBackground, WebImageInput, WebMatteResult, WebMatteTimings } from './types.js'

/** Runs an op where the pipeline lives; `transfer` lists objects to hand over (not the pixels). */
export type OpRunner = (request: OpRequest, transfer: Transferable[]) => Promise<OpResult>

function isRgbImage(value: unknown): value is RgbImage {
  const v = value as RgbImage | null
  return (
    typeof v === 'object' &&
    v !== null &&
    v.data instanceof Uint8Array &&
    Number.isInteger(v.width) &&
    Number.isInteger(v.height) &&
    v.data.length === v.width * v.height * 3
  )
}

/**
 * Turns a {@link WebBackground} into what the op runner takes: colours parsed, image inputs
 * prepared (not decoded) on the calling thread.
 *
 * @param background - colour (also as text), image (any input, or core RGB), or blur
 * @param forWorker - whether the op runs in a worker
 * @returns the background and what to transfer with it
 * @throws {@link MatteError} `INVALID_OPTION` for an unknown colour or kind; `INVALID_INPUT` for
 *   an unusable image input
 */
export async function wireBackground(
  background: WebBackground,
  forWorker: boolean,
): Promise<{ background: WireBackground; transfer: Transferable[] }> {
  if (typeof background !== 'object' || background === null) {
    throw new MatteError('INVALID_OPTION', "The background must be { type: 'color' | 'image' | 'blur', ... }.")
  }
  switch (background.type) {
    case 'color': {
      const color = typeof background.color === 'string' ? parseColor(background.color) : background.color
      if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new MatteError(
          'INVALID_OPTION',
          `Unknown colour ${JSON.stringify(background.color)}; use [r, g, b] (0-255), '#rrggbb', 'rgb(r, g, b)' or a name.`,
        )
      }
      return { background: { type: 'color', color }, transfer: [] }
    }
    case 'image': {
      if (isRgbImage(background.image)) return { background: { type: 'rgb', image: background.image }, transfer: [] }
      const prepared = await prepareInput(background.image as WebImageInput, false, forWorker)
      return { background: { type: 'image', image: prepared.payload }, transfer: prepared.transfer }
    }
    case 'blur': {
      const { radius } = background
      if (radius !== undefined && !(typeof radius === 'number' && Number.isFinite(radius) && radius >= 0)) {
        throw new MatteError('INVALID_OPTION', `The blur radius must be a non-negative number, got ${String(radius)}.`)
      }
      return { background: radius === undefined ? { type: 'blur' } : { type: 'blur', radius }, transfer: [] }
    }
    default:
      throw new MatteError('INVALID_OPTION', `Unknown background type ${JSON.stringify((background as { type?: unknown }).type)}.`)
  }
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * Wraps a pipeline result with the browser conveniences.
 *
 * @param result - core's result (its buffers now belong to the caller)
 * @param roundTrip - the call's duration as the caller saw it, in ms
 * @param run - runs the heavy conveniences where the pipeline runs
 * @param forWorker - whether `run` posts to a worker
 * @returns the {@link WebMatteResult}
 */
export function createWebResult(result: MatteResult, roundTrip: number, run: OpRunner, forWorker: boolean): WebMatteResult {
  const { matte, image, modelSize } = result
  const timings: WebMatteTimings = { ...result.timings, roundTrip }

  return {
    matte,
    image,
    modelSize,
    timings,

    toImageData() {
      const n = matte.width * matte.height
      const out = new Uint8Array(n * 4)
      const a = matte.data
      if (littleEndian) {
        const words = new Uint32Array(out.buffer)
        for (let i = 0; i < n; i++) words[i] = (0xff000000 | (a[i]! * 0x010101)) >>> 0
      } else {
        for (let i = 0, k = 0; i < n; i++, k += 4) {
          out[k] = out[k + 1] = out[k + 2] = a[i]!
          out[k + 3] = 255
        }
      }
      return toImageData(out, matte.width, matte.height)
    },

    toCutoutImageData() {
      const cut = cutout(image, matte)
      return toImageData(cut.data, cut.width, cut.height)
    },

    async toCutoutBitmap() {
      return (await run({ op: 'cutout-bitmap', image, matte }, [])) as ImageBitmap
    },

    async toCutoutBlob(options = {}) {
      const type = options.type ?? 'image/png'
      if (type !== 'image/png' && type !== 'image/webp') {
        throw new MatteError('INVALID_OPTION', `toCutoutBlob: type must be 'image/png' or 'image/webp', got ${String(type)}.`)
      }
      const request: OpRequest = { op: 'cutout-blob', image, matte, type, ...(options.quality === undefined ? {} : { quality: options.quality }) }
      return (await run(request, [])) as Blob
    },

    async drawComposite(canvas, background, options = {}) {
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null
      if (!ctx) {
        throw new MatteError('INVALID_INPUT', 'drawComposite needs a canvas that can give a 2D context (this one already has another context).')
      }
      const wire = await wireBackground(background, forWorker)
      const foreground = options.foreground ?? 'observed'
      if (foreground !== 'observed' && foreground !== 'estimate') {
        throw new MatteError('INVALID_OPTION', `options.foreground must be 'observed' or 'estimate', got ${String(foreground)}.`)
      }
      const bitmap = (await run({ op: 'composite', image, matte, background: wire.background, foreground }, wire.transfer)) as ImageBitmap
      try {
        if (canvas.width !== image.width) canvas.width = image.width
        if (canvas.height !== image.height) canvas.height = image.height
        ctx.globalCompositeOperation = 'copy'
        ctx.drawImage(bitmap, 0, 0)
        ctx.globalCompositeOperation = 'source-over'
      } finally {
        bitmap.close()
      }
    },
  }
}
