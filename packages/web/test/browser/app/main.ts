/**
 * The test page: exposes `@mattekit/web` (built from source) as `window.mk`, and small helpers
 * as `window.t`, for the tests to drive with `page.evaluate`.
 */
import * as mk from '@mattekit/web'
// Internals of the live-track pipeline, for track.test.ts's compositor checks.
import { upsampleMatte } from '../../../src/track/compositor.js'
import { createCpuCompositor } from '../../../src/track/cpu-compositor.js'
import { createGlCompositor } from '../../../src/track/gl-compositor.js'

/** The live compositors, for direct checks. */
const live = { upsampleMatte, createCpuCompositor, createGlCompositor }

/** Helpers the tests call in the page. */
const t = {
  /** Base64 of bytes (tests compare pixels in Node). */
  b64(bytes: Uint8Array | Uint8ClampedArray): string {
    let text = ''
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    return btoa(text)
  },
  /** Fetches a file as a Blob. */
  async blob(url: string): Promise<Blob> {
    const response = await fetch(url)
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`)
    return response.blob()
  },
  /** Loads an <img>. */
  async img(url: string): Promise<HTMLImageElement> {
    const image = new Image()
    image.src = url
    await image.decode()
    return image
  },
  /** A plain summary of a result, pixels in base64. */
  summary(result: mk.WebMatteResult) {
    return {
      matte: t.b64(result.matte.data),
      image: t.b64(result.image.data),
      width: result.matte.width,
      height: result.matte.height,
      modelSize: result.modelSize,
      timings: result.timings,
    }
  },
  /** A caught error as plain data. */
  error(error: unknown) {
    const e = error as { name?: string; code?: string; message?: string }
    return { name: e?.name, code: e?.code, message: e?.message, isMatteError: mk.isMatteError(error) }
  },
}

Object.assign(globalThis, { mk, t, live })
document.title = 'ready'

/** What the page exposes, for the tests' `page.evaluate` callbacks. */
export type TestGlobals = { mk: typeof mk; t: typeof t; live: typeof live }
