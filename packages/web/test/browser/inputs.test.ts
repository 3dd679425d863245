/**
 * Every input kind a page can hold goes through the worker and gives the pixels and the matte it
 * should: exact for encoded files, ImageBitmaps, ImageData, canvases and RGB VideoFrames; the
 * browser's own decode for <img>, and its YUV conversion for video.
 */
import { join } from 'node:path'
import { composite, createMatter as createNodeMatter, cutout, decodeImage as decodeNode, fitCover, type RgbImage } from '@mattekit/node'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestGlobals, type WithMatter, ROOT, bytes, diff, disconnect, MODEL_PATH, openPage, standIn } from './harness.js'

type Summary = ReturnType<TestGlobals['t']['summary']>
const OPAQUE = 'packages/web/test/fixtures/portrait-64x512.png'
const RGBA = 'packages/web/test/fixtures/portrait-64x512-rgba.png'

let page: Page
let reference: { image: RgbImage; matte: Uint8Array }
let rgbaReference: RgbImage

beforeAll(async () => {
  ;({ page } = await openPage('coi'))
  await page.evaluate(async (model) => {
    const { mk } = globalThis as unknown as TestGlobals
    ;(globalThis as unknown as { matter: unknown }).matter = await mk.createMatter({ model })
  }, standIn('coi'))
  const node = await createNodeMatter({ model: MODEL_PATH })
  const result = await node.matte(join(ROOT, OPAQUE))
  reference = { image: result.image, matte: result.matte.data }
  rgbaReference = await decodeNode(join(ROOT, RGBA))
  await node.dispose()
})

afterAll(async () => {
  await page?.evaluate(() => (globalThis as unknown as { matter: { dispose(): Promise<void> } }).matter.dispose())
  await disconnect()
})

/** Runs `make` in the page to build an input, mattes it in the worker, returns the summary. */
async function matteIn(make: string): Promise<Summary> {
  return page.evaluate(async (code) => {
    const { t } = globalThis as unknown as TestGlobals
    const matter = (globalThis as unknown as WithMatter).matter
    const input = await (new Function('t', `return (async () => (${code}))()`) as (t: unknown) => Promise<unknown>)(t)
    return t.summary(await matter.matte(input as Parameters<typeof matter.matte>[0]))
  }, make)
}

const url = (file: string): string => `/coi/testdata/${file.split('/').pop()}`

describe('every input kind', () => {
  const exact: Array<[string, string]> = [
    ['URL string (relative)', `'${url(OPAQUE)}'`],
    ['URL object', `new URL('${url(OPAQUE)}', location.href)`],
    ['Blob', `t.blob('${url(OPAQUE)}')`],
    ['File', `t.blob('${url(OPAQUE)}').then((b) => new File([b], 'portrait.png', { type: 'image/png' }))`],
    ['Uint8Array', `t.blob('${url(OPAQUE)}').then(async (b) => new Uint8Array(await b.arrayBuffer()))`],
    ['ArrayBuffer', `t.blob('${url(OPAQUE)}').then((b) => b.arrayBuffer())`],
    ['ImageBitmap', `t.blob('${url(OPAQUE)}').then((b) => createImageBitmap(b))`],
    ['HTMLImageElement', `t.img('${url(OPAQUE)}')`],
    ['ImageData', `mk.decodeImage('${url(OPAQUE)}').then((i) => { const d = new ImageData(i.width, i.height); for (let p = 0; p < i.width * i.height; p++) { d.data[4*p] = i.data[3*p]; d.data[4*p+1] = i.data[3*p+1]; d.data[4*p+2] = i.data[3*p+2]; d.data[4*p+3] = 255 } return d })`],
    ['HTMLCanvasElement', `t.img('${url(OPAQUE)}').then((img) => { const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight; c.getContext('2d').drawImage(img, 0, 0); return c })`],
    ['OffscreenCanvas', `t.img('${url(OPAQUE)}').then((img) => { const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight); c.getContext('2d').drawImage(img, 0, 0); return c })`],
    ['VideoFrame (RGBA)', `mk.decodeImage('${url(OPAQUE)}').then((i) => { const d = new Uint8Array(i.width * i.height * 4); for (let p = 0; p < i.width * i.height; p++) { d[4*p] = i.data[3*p]; d[4*p+1] = i.data[3*p+1]; d[4*p+2] = i.data[3*p+2]; d[4*p+3] = 255 } return new VideoFrame(d, { format: 'RGBA', codedWidth: i.width, codedHeight: i.height, timestamp: 0 }) })`],
    ['VideoFrame (from a bitmap)', `t.blob('${url(OPAQUE)}').then((b) => createImageBitmap(b)).then((bm) => new VideoFrame(bm, { timestamp: 0 }))`],
  ]
  it.each(exact)('%s: exact pixels, the same matte as @mattekit/node (<= 1 level)', async (_name, make) => {
    const got = await matteIn(make.replaceAll('mk.', '(globalThis.mk).'))
    expect([got.width, got.height]).toEqual([64, 512])
    expect(got.modelSize).toEqual({ width: 64, height: 512 })
    expect(diff(bytes(got.image), reference.image.data).max).toBe(0)
    expect(diff(bytes(got.matte), reference.matte).max).toBeLessThanOrEqual(1)
  })

  it('HTMLVideoElement (current frame): the browser converts YUV, the matte follows', async () => {
    const got = await matteIn(`(async () => {
      const v = document.createElement('video'); v.muted = true; v.src = '${url('portrait-64x512.webm')}'
      document.body.append(v)
      await new Promise((ok, fail) => { v.onloadeddata = ok; v.onerror = () => fail(new Error('video failed')) })
      // A frame must have been presented before a video can be read (as for drawImage).
      await new Promise((ok) => { v.requestVideoFrameCallback(ok); v.currentTime = 0.05 })
      return v })()`)
    expect([got.width, got.height]).toEqual([64, 512])
    // Lossy VP9 + YUV 4:2:0: close to the PNG it was made from, not equal.
    expect(diff(bytes(got.image), reference.image.data).mae).toBeLessThan(3)
    expect(diff(bytes(got.matte), reference.matte).mae).toBeLessThan(3)
  })

  it('keeps the colour under transparent pixels for files, and reports what elements lose', async () => {
    const got = await page.evaluate(async (u) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const file = await mk.decodeImage(u)
      const img = await mk.decodeImage(await t.img(u))
      const bitmap = await mk.decodeImage(await createImageBitmap(await t.blob(u), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' }))
      return { file: t.b64(file.data), img: t.b64(img.data), bitmap: t.b64(bitmap.data) }
    }, url(RGBA))
    expect(diff(bytes(got.file), rgbaReference.data).max).toBe(0)
    expect(diff(bytes(got.bitmap), rgbaReference.data).max).toBe(0)
    const img = diff(bytes(got.img), rgbaReference.data)
    console.info(`<img> of an RGBA PNG vs cv2.imread: max ${img.max}, ${img.percent.toFixed(2)}% of samples differ`)
  })

  it('images larger than a GPU texture are read back in tiles, exactly', async () => {
    const got = await page.evaluate(async ({ model, u }) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      // A test hook: 30x30 upload tiles (real devices tile above MAX_TEXTURE_SIZE, e.g. 8192).
      const matter = await mk.createMatter({ model, __maxTile: 30 } as Parameters<typeof mk.createMatter>[0])
      const r = await matter.matte(await (await fetch(u)).blob())
      await matter.dispose()
      return t.b64(r.image.data)
    }, { model: standIn('coi'), u: url(OPAQUE) })
    expect(diff(bytes(got), reference.image.data).max).toBe(0)
  })

  it('transfer: true hands the ImageBitmap and ImageData over (zero-copy)', async () => {
    const got = await page.evaluate(async (u) => {
      const { mk } = globalThis as unknown as TestGlobals
      const matter = (globalThis as unknown as WithMatter).matter
      const bitmap = await createImageBitmap(await (await fetch(u)).blob())
      const image = await mk.decodeImage(u)
      const data = new ImageData(image.width, image.height)
      await matter.matte(bitmap, { transfer: true })
      await matter.matte(data, { transfer: true })
      const kept = await createImageBitmap(await (await fetch(u)).blob())
      await matter.matte(kept)
      return { bitmapWidth: bitmap.width, dataLength: data.data.length, keptWidth: kept.width }
    }, url(OPAQUE))
    expect(got).toEqual({ bitmapWidth: 0, dataLength: 0, keptWidth: 64 })
  })
})

describe('results', () => {
  it('give the matte as ImageData, the cut-out (ImageData, bitmap, exact PNG) and composites equal to Node', async () => {
    const got = await page.evaluate(async (u) => {
      const { t } = globalThis as unknown as TestGlobals
      const matter = (globalThis as unknown as WithMatter).matter
      const r = await matter.matte(u)
      const grey = r.toImageData()
      const cut = r.toCutoutImageData()
      const bitmap = await r.toCutoutBitmap()
      const png = new Uint8Array(await (await r.toCutoutBlob()).arrayBuffer())
      const webp = await r.toCutoutBlob({ type: 'image/webp', quality: 0.9 })
      const composites: Record<string, string> = {}
      const canvas = document.createElement('canvas')
      for (const [name, bg] of Object.entries({
        color: { type: 'color', color: '#00b140' },
        blur: { type: 'blur', radius: 6 },
        image: { type: 'image', image: '/coi/fixtures/camera.png' },
      } as const)) {
        await r.drawComposite(canvas, bg)
        composites[name] = t.b64(new Uint8Array(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.buffer))
      }
      return {
        matte: t.b64(r.matte.data),
        image: t.b64(r.image.data),
        grey: t.b64(new Uint8Array(grey.data.buffer)),
        cut: t.b64(new Uint8Array(cut.data.buffer)),
        bitmap: [bitmap.width, bitmap.height],
        png: t.b64(png),
        webp: webp.type,
        composites,
        canvas: [canvas.width, canvas.height],
      }
    }, url(OPAQUE))
    const matte = { data: bytes(got.matte), width: 64, height: 512 }
    const image = { data: bytes(got.image), width: 64, height: 512 }
    const grey = bytes(got.grey)
    for (let i = 0; i < 64 * 512; i++) {
      expect(grey[4 * i]).toBe(matte.data[i])
      if (grey[4 * i + 3] !== 255) throw new Error('grey matte ImageData must be opaque')
    }
    const cut = cutout(image, matte)
    expect(diff(bytes(got.cut), cut.data).max).toBe(0)
    expect(got.bitmap).toEqual([64, 512])
    const png = await sharp(Buffer.from(got.png, 'base64')).raw().toBuffer({ resolveWithObject: true })
    expect(png.info.channels).toBe(4)
    expect(diff(new Uint8Array(png.data), cut.data).max).toBe(0)
    expect(got.webp).toBe('image/webp')
    expect(got.canvas).toEqual([64, 512])
    const camera = fitCover(await decodeNode(join(ROOT, 'fixtures', 'camera.png')), image)
    const expected = {
      color: composite(image, matte, { type: 'color', color: [0, 177, 64] }),
      blur: composite(image, matte, { type: 'blur', radius: 6 }),
      image: composite(image, matte, { type: 'image', image: camera }),
    }
    for (const [name, rgb] of Object.entries(expected)) {
      const rgba = bytes(got.composites[name]!)
      const asRgb = new Uint8Array(64 * 512 * 3)
      for (let i = 0; i < 64 * 512; i++) asRgb.set(rgba.subarray(4 * i, 4 * i + 3), 3 * i)
      expect(diff(asRgb, rgb.data).max, name).toBe(0)
    }
  })
})

describe('bad inputs are rejected with typed errors', () => {
  const files: Array<[string, string]> = [
    ['empty.png', 'INVALID_INPUT'],
    ['text.png', 'INVALID_INPUT'],
    ['random.bin', 'INVALID_INPUT'],
    ['truncated.png', 'CORRUPT_IMAGE'],
    ['missing-iend.png', 'CORRUPT_IMAGE'],
    ['short-idat.png', 'CORRUPT_IMAGE'],
    ['bad-crc.png', 'CORRUPT_IMAGE'],
    ['bad-data.png', 'CORRUPT_IMAGE'],
    ['truncated.jpg', 'CORRUPT_IMAGE'],
    ['missing-eoi.jpg', 'CORRUPT_IMAGE'],
    ['truncated.webp', 'CORRUPT_IMAGE'],
    ['huge-100000x100000.png', 'IMAGE_TOO_LARGE'],
    ['thin-20x600.png', 'IMAGE_TOO_SMALL'],
    ['animated.gif', 'UNSUPPORTED_FORMAT'],
    ['animated.webp', 'UNSUPPORTED_FORMAT'],
    ['image.bmp', 'UNSUPPORTED_FORMAT'],
    ['image.tiff', 'UNSUPPORTED_FORMAT'],
  ]
  it('fixtures/bad: the codes @mattekit/node gives, as MatteErrors, through the worker', async () => {
    const got = await page.evaluate(async (names) => {
      const { t } = globalThis as unknown as TestGlobals
      const matter = (globalThis as unknown as WithMatter).matter
      const out: Record<string, ReturnType<typeof t.error> | 'ok'> = {}
      for (const name of names) {
        try {
          await matter.matte(await t.blob(`/coi/fixtures/bad/${name}`))
          out[name] = 'ok'
        } catch (error) {
          out[name] = t.error(error)
        }
      }
      return out
    }, files.map(([name]) => name))
    for (const [name, code] of files) {
      expect(got[name], name).toMatchObject({ code, name: 'MatteError', isMatteError: true })
    }
  })

  it('degenerate sizes (1x1, 33x4000, 20x600, 0x0) and detached buffers; the Matter keeps working after each', async () => {
    const got = await page.evaluate(async () => {
      const { t } = globalThis as unknown as TestGlobals
      const matter = (globalThis as unknown as WithMatter).matter
      const grey = (w: number, h: number): ImageData => {
        const data = new Uint8ClampedArray(w * h * 4).fill(128)
        return new ImageData(data, w, h)
      }
      const detached = new Uint8Array(await (await fetch('/coi/fixtures/astronaut.png')).arrayBuffer())
      structuredClone(detached.buffer, { transfer: [detached.buffer] })
      const detachedPixels = grey(8, 8)
      structuredClone(detachedPixels.data.buffer, { transfer: [detachedPixels.data.buffer] })
      const cases: Record<string, () => Promise<unknown>> = {
        one: () => matter.matte(grey(1, 1)),
        tall: () => matter.matte(grey(33, 4000)),
        thin: () => matter.matte(grey(20, 600)),
        zeroBitmap: () => matter.matte(new OffscreenCanvas(0, 0)),
        detachedBytes: () => matter.matte(detached),
        detachedImageData: () => matter.matte(detachedPixels),
        detachedArrayBuffer: () => matter.matte(detached.buffer),
      }
      const out: Record<string, unknown> = {}
      for (const [name, run] of Object.entries(cases)) {
        try {
          const r = (await run()) as { matte: { width: number; height: number }; modelSize: unknown }
          out[name] = { ok: true, width: r.matte.width, height: r.matte.height, modelSize: r.modelSize }
        } catch (error) {
          out[name] = t.error(error)
        }
        // After every case, good or bad, the same Matter still mattes.
        out[`${name}:after`] = (await matter.matte(grey(40, 30))).matte.width
      }
      return out
    })
    expect(got.one).toEqual({ ok: true, width: 1, height: 1, modelSize: { width: 512, height: 512 } })
    expect(got.tall).toEqual({ ok: true, width: 33, height: 4000, modelSize: { width: 32, height: 4000 } })
    expect(got.thin).toMatchObject({ code: 'IMAGE_TOO_SMALL', isMatteError: true })
    for (const name of ['zeroBitmap', 'detachedBytes', 'detachedImageData', 'detachedArrayBuffer']) {
      expect(got[name], name).toMatchObject({ code: 'INVALID_INPUT', isMatteError: true })
    }
    for (const [key, value] of Object.entries(got)) if (key.endsWith(':after')) expect(value, key).toBe(40)
  })

  it('wrong types, closed objects, unloaded elements, HTTP errors and pixel limits', async () => {
    const got = await page.evaluate(async () => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const matter = (globalThis as unknown as WithMatter).matter
      const closed = await createImageBitmap(new ImageData(4, 4))
      closed.close()
      const broken = new Image()
      broken.src = '/coi/fixtures/missing.png'
      const video = document.createElement('video')
      const cases: Record<string, () => Promise<unknown>> = {
        number: () => matter.matte(42 as never),
        object: () => matter.matte({} as never),
        null: () => matter.matte(null as never),
        emptyString: () => matter.matte(''),
        emptyBytes: () => matter.matte(new Uint8Array(0)),
        closedBitmap: () => matter.matte(closed),
        brokenImg: () => matter.matte(broken),
        videoWithoutData: () => matter.matte(video),
        emptyCanvas: () => matter.matte(Object.assign(document.createElement('canvas'), { width: 0 })),
        http404: () => matter.matte('/coi/fixtures/missing.png'),
        decodeMaxPixels: () => mk.decodeImage('/coi/fixtures/astronaut.png', { maxPixels: 1000 }),
        badMaxPixels: () => mk.decodeImage('/coi/fixtures/astronaut.png', { maxPixels: -1 }),
      }
      const out: Record<string, ReturnType<typeof t.error>> = {}
      for (const [name, run] of Object.entries(cases)) {
        try {
          await run()
        } catch (error) {
          out[name] = t.error(error)
        }
      }
      return out
    })
    for (const name of ['number', 'object', 'null', 'emptyString', 'emptyBytes', 'closedBitmap', 'brokenImg', 'videoWithoutData', 'emptyCanvas', 'http404']) {
      expect(got[name], name).toMatchObject({ code: 'INVALID_INPUT', isMatteError: true })
    }
    expect(got.decodeMaxPixels).toMatchObject({ code: 'IMAGE_TOO_LARGE' })
    expect(got.badMaxPixels).toMatchObject({ code: 'INVALID_OPTION' })
  })
})
