/**
 * Live video (`WebMatter.processTrack`) in Chromium with a fake camera: a .y4m made with ffmpeg
 * from fixtures/astronaut.png (640x480, 30 fps, a moving crop, looped by Chromium). Checks that
 * frames flow at the input's size on both paths (MediaStreamTrackProcessor and the
 * requestVideoFrameCallback fallback) and both compositors, that the backgrounds give the pixels
 * of the compositing equation, that the WebGL2 and CPU compositors agree (foreground estimation
 * included, within the documented tolerance), that stop() releases the camera, and that a
 * 60-second run keeps the queue at 0 or 1 and the page's heap flat.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './chromium.js'
import { ROOT, type TestGlobals, origin, standIn } from './harness.js'

const WIDTH = 640
const HEIGHT = 480
let dir: string
let browser: Browser
let context: BrowserContext
let page: Page

/** Page-side helpers (plain JavaScript, evaluated once in the page). */
const HELPERS = String.raw`
globalThis.h = {
  async camera() {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } })
    return stream.getVideoTracks()[0]
  },
  /** A canvas track that repaints the same picture: left half 1-px black/white stripes, right half a flat colour. */
  staticTrack(width, height) {
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    const ctx = canvas.getContext('2d')
    const paint = () => {
      ctx.fillStyle = 'rgb(200, 60, 30)'
      ctx.fillRect(0, 0, width, height)
      ctx.fillStyle = 'rgb(255, 255, 255)'
      ctx.fillRect(0, 0, width / 2, height)
      ctx.fillStyle = 'rgb(0, 0, 0)'
      for (let x = 0; x < width / 2; x += 2) ctx.fillRect(x, 0, 1, height)
    }
    paint()
    const track = canvas.captureStream(30).getVideoTracks()[0]
    const timer = setInterval(paint, 33)
    track.addEventListener('ended', () => clearInterval(timer))
    const stop = track.stop.bind(track)
    track.stop = () => { clearInterval(timer); stop() }
    return track
  },
  /** Reads n frames of a track (from a clone); the last one's RGBA when asked. */
  async read(track, n, pixels = false) {
    const clone = track.clone()
    const reader = new MediaStreamTrackProcessor({ track: clone }).readable.getReader()
    const sizes = []
    let rgba
    const timeout = setTimeout(() => clone.stop(), 30000)
    try {
      for (let i = 0; i < n; i++) {
        const { value, done } = await reader.read()
        if (done) break
        sizes.push([value.displayWidth, value.displayHeight])
        if (pixels && i === n - 1) {
          const c = new OffscreenCanvas(value.displayWidth, value.displayHeight)
          const x = c.getContext('2d')
          x.drawImage(value, 0, 0)
          rgba = t.b64(new Uint8Array(x.getImageData(0, 0, c.width, c.height).data.buffer))
        }
        value.close()
      }
    } finally {
      clearTimeout(timeout)
      await reader.cancel().catch(() => {})
      clone.stop()
    }
    return { sizes, rgba }
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
}
`

type Helpers = {
  camera(): Promise<MediaStreamTrack>
  staticTrack(width: number, height: number): MediaStreamTrack
  read(track: MediaStreamTrack, n: number, pixels?: boolean): Promise<{ sizes: [number, number][]; rgba?: string }>
  sleep(ms: number): Promise<void>
}
type G = TestGlobals & { h: Helpers; matter: TestGlobals['mk'] extends { createMatter(...a: never[]): Promise<infer M> } ? M : never }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-track-'))
  const y4m = join(dir, 'camera.y4m')
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-i', join(ROOT, 'fixtures', 'astronaut.png'),
    '-vf', "scale=800:800,crop=640:480:x='80+80*sin(2*PI*t/3)':y='160+60*cos(2*PI*t/3)',format=yuv420p",
    '-r', '30', '-t', '3', '-f', 'yuv4mpegpipe', y4m,
  ])
  browser = await launchChromium({ fakeCamera: y4m })
  context = await browser.newContext()
  page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[console] ${message.text()}`)
  })
  await page.goto(`${origin()}/coi/app/index.html`)
  await page.waitForFunction(() => document.title === 'ready')
  await page.evaluate(HELPERS)
  await page.evaluate(async (model) => {
    const g = globalThis as unknown as G
    ;(g as { matter: unknown }).matter = await g.mk.createMatter({ model })
  }, standIn('coi'))
})

afterAll(async () => {
  await browser?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs processTrack on the camera, reads frames, samples stats, stops; returns what it saw. */
async function cameraRun(options: Record<string, unknown>, frames = 30) {
  return page.evaluate(
    async ({ options: o, frames: n }) => {
      const g = globalThis as unknown as G
      const camera = await g.h.camera()
      const settings = camera.getSettings()
      const compositors: { kind: string; lost: boolean; canvas: OffscreenCanvas }[] = []
      const processed = g.matter.processTrack(camera, { ...o, __onCompositor: (c: (typeof compositors)[0]) => compositors.push(c) } as never)
      const queued: number[] = []
      const sampler = setInterval(() => queued.push(processed.stats.queued), 20)
      // The first model result (the stand-in's first run includes its warm-up).
      for (let i = 0; i < 600 && processed.stats.medians.model === 0; i++) await g.h.sleep(50)
      const t0 = performance.now()
      const { sizes } = await g.h.read(processed.track, n)
      const seconds = (performance.now() - t0) / 1000
      clearInterval(sampler)
      const stats = processed.stats
      const lostBeforeStop = compositors.map((c) => c.lost)
      processed.stop()
      await processed.ended
      return {
        // The compositor is released: a WebGL2 context is lost on purpose, the canvas shrunk.
        released: compositors.map((c, i) => ({ kind: c.kind, lostBeforeStop: lostBeforeStop[i], lost: c.lost, size: [c.canvas.width, c.canvas.height] })),
        sizes,
        seconds,
        stats,
        maxQueued: Math.max(...queued),
        outputState: processed.track.readyState,
        cameraState: camera.readyState,
        settings,
      }
    },
    { options, frames },
  )
}

describe('processTrack with a fake camera', () => {
  it('track-processor path: frames flow at the input size, the model keeps up as it can, queued <= 1; stop() ends both tracks', async () => {
    const got = await cameraRun({})
    // 'auto' composites with WebGL2 on a hardware GPU, and on the CPU where WebGL2 is
    // software-rendered (SwiftShader here, without a GPU); compositor: 'webgl2' is tested below.
    const renderer = await page.evaluate(() => {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2')!
      const info = gl.getExtension('WEBGL_debug_renderer_info')
      return String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
    })
    const hardware = await page.evaluate(() => {
      const g = globalThis as unknown as G
      const c = g.live.createGlCompositor({ foreground: 'observed', hardwareOnly: true })
      c?.dispose()
      return c !== undefined
    })
    const kind = hardware ? 'webgl2' : 'cpu'
    console.info(`compositor 'auto' with ${renderer}: ${got.stats.compositor}`)
    if (/SwiftShader/.test(renderer)) expect(kind).toBe('cpu')
    expect(got.settings.width).toBe(WIDTH)
    expect(got.sizes.length).toBe(30)
    for (const s of got.sizes) expect(s).toEqual([WIDTH, HEIGHT])
    expect(got.stats.path).toBe('track-processor')
    expect(got.stats.compositor).toBe(kind)
    expect(got.stats.framesOut).toBeGreaterThanOrEqual(30)
    expect(got.stats.framesIn).toBeGreaterThanOrEqual(got.stats.framesOut)
    expect(got.stats.fpsModel).toBeGreaterThan(0)
    expect(got.stats.medians.model).toBeGreaterThan(0)
    expect(got.maxQueued).toBeLessThanOrEqual(1)
    expect(got.stats.queued).toBeLessThanOrEqual(1)
    expect(got.outputState).toBe('ended')
    expect(got.cameraState).toBe('ended')
    expect(got.released).toEqual([{ kind, lostBeforeStop: false, lost: true, size: [1, 1] }])
    console.info(`track-processor: ${JSON.stringify(got.stats)}`)
  })

  it('video-frame-callback fallback (forced): frames flow at the input size', async () => {
    const got = await cameraRun({ __path: 'video-frame-callback' }, 20)
    expect(got.sizes.length).toBe(20)
    for (const s of got.sizes) expect(s).toEqual([WIDTH, HEIGHT])
    expect(got.stats.path).toBe('video-frame-callback')
    expect(got.stats.framesOut).toBeGreaterThanOrEqual(20)
    expect(got.maxQueued).toBeLessThanOrEqual(1)
    expect(got.outputState).toBe('ended')
    expect(got.cameraState).toBe('ended')
    console.info(`video-frame-callback: ${JSON.stringify(got.stats)}`)
  })

  it("CPU compositor (compositor: 'cpu'): frames flow at the input size", async () => {
    const got = await cameraRun({ compositor: 'cpu', background: { type: 'color', color: '#00b140' } }, 15)
    expect(got.sizes.length).toBe(15)
    for (const s of got.sizes) expect(s).toEqual([WIDTH, HEIGHT])
    expect(got.stats.compositor).toBe('cpu')
    expect(got.maxQueued).toBeLessThanOrEqual(1)
    console.info(`cpu: ${JSON.stringify(got.stats)}`)
  })
})

/** Page-side comparison of two RGBA buffers over RGB (and alpha) samples, optionally masked. */
const METRICS = String.raw`
globalThis.metrics = (a, b, mask, channels = 3) => {
  const diffs = []
  let max = 0
  for (let i = 0, p = 0; p < a.length; i++, p += 4) {
    if (mask && !mask(i)) continue
    for (let c = 0; c < channels; c++) {
      const d = Math.abs(a[p + c] - b[p + c])
      diffs.push(d)
      if (d > max) max = d
    }
  }
  diffs.sort((x, y) => x - y)
  const mean = diffs.reduce((s, d) => s + d, 0) / Math.max(1, diffs.length)
  return { mean, p99: diffs[Math.floor(0.99 * (diffs.length - 1))] ?? 0, max, n: diffs.length }
}
globalThis.readCanvas = (canvas) => {
  const c = new OffscreenCanvas(canvas.width, canvas.height)
  const x = c.getContext('2d')
  x.drawImage(canvas, 0, 0)
  return x.getImageData(0, 0, c.width, c.height).data
}
`
type Metrics = { mean: number; p99: number; max: number; n: number }

describe('the live compositors (WebGL2 and CPU) on the same frame and matte', () => {
  it('agree on every background; exact subject where alpha = 1 and exact background where alpha = 0; blur-fusion within the stated tolerance', async () => {
    await page.evaluate(METRICS)
    const got = await page.evaluate(async () => {
      const g = globalThis as unknown as G & {
        metrics: (a: Uint8ClampedArray, b: Uint8ClampedArray, mask?: (i: number) => boolean, channels?: number) => Metrics
        readCanvas: (c: OffscreenCanvas) => Uint8ClampedArray
      }
      const W = 640
      const H = 480
      const img = await g.t.img('/coi/fixtures/astronaut.png')
      const frame = await createImageBitmap(img, { resizeWidth: W, resizeHeight: H })
      const fc = new OffscreenCanvas(W, H)
      fc.getContext('2d')!.drawImage(frame, 0, 0)
      const original = fc.getContext('2d')!.getImageData(0, 0, W, H).data
      // A soft disc: alpha 1 inside r < 30, 0 outside r > 50 (model-size units), a ramp between.
      const mw = 160
      const mh = 120
      const data = new Uint8Array(mw * mh)
      for (let y = 0; y < mh; y++)
        for (let x = 0; x < mw; x++) {
          const r = Math.hypot(x + 0.5 - 80, y + 0.5 - 60)
          data[y * mw + x] = Math.round(255 * Math.min(1, Math.max(0, (50 - r) / 20)))
        }
      const matte = { data, width: mw, height: mh }
      const up = g.live.upsampleMatte(matte, W, H)
      const bgCanvas = new OffscreenCanvas(100, 50)
      const bgx = bgCanvas.getContext('2d')!
      bgx.fillStyle = 'rgb(10, 200, 30)'
      bgx.fillRect(0, 0, 100, 50)
      const bgBitmap = await createImageBitmap(bgCanvas)
      const backgrounds = {
        color: { kind: 'color', color: [0, 177, 64] },
        image: { kind: 'image', bitmap: bgBitmap },
        transparent: { kind: 'transparent' },
        blur: { kind: 'blur' },
      } as const
      const out: Record<string, unknown> = {}
      for (const foreground of ['observed', 'estimate'] as const) {
        for (const [name, bg] of Object.entries(backgrounds)) {
          const pixels: Record<string, Uint8ClampedArray> = {}
          const ms: Record<string, number> = {}
          for (const kind of ['webgl2', 'cpu'] as const) {
            const c = kind === 'webgl2' ? g.live.createGlCompositor({ foreground })! : g.live.createCpuCompositor({ foreground })
            c.setMatte(matte)
            c.setBackground(bg)
            c.render(frame, W, H) // warm-up (shader compilation, allocations)
            const t0 = performance.now()
            c.render(frame, W, H)
            pixels[kind] = g.readCanvas(c.canvas)
            ms[kind] = performance.now() - t0
            c.dispose()
          }
          const gl = pixels.webgl2!
          const cpu = pixels.cpu!
          const channels = name === 'transparent' ? 4 : 3
          const expectedBg = name === 'color' ? [0, 177, 64] : name === 'image' ? [10, 200, 30] : undefined
          const subject = (i: number): boolean => up[i] === 255
          const clear = (i: number): boolean => up[i] === 0
          // Where alpha is 0: the background itself (transparent: alpha 0).
          let bgErr = 0
          for (let i = 0; i < W * H; i++) {
            if (!clear(i)) continue
            if (expectedBg) for (let c = 0; c < 3; c++) bgErr = Math.max(bgErr, Math.abs(gl[i * 4 + c]! - expectedBg[c]!), Math.abs(cpu[i * 4 + c]! - expectedBg[c]!))
            if (name === 'transparent') bgErr = Math.max(bgErr, gl[i * 4 + 3]!, cpu[i * 4 + 3]!)
          }
          out[`${foreground}/${name}`] = {
            // Transparent: colours compared where alpha >= 1/4 (below, straight colour is ill-defined).
            all: g.metrics(gl, cpu, name === 'transparent' ? (i) => up[i]! >= 64 : undefined, channels),
            subjectGl: g.metrics(gl, original, subject),
            subjectCpu: g.metrics(cpu, original, subject),
            bgErr,
            blurVsSharp: name === 'blur' ? g.metrics(gl, original, clear) : undefined,
            ms,
          }
        }
      }
      frame.close()
      bgBitmap.close()
      return out
    })
    console.info(`compositors: ${JSON.stringify(got)}`)
    type Row = { all: Metrics; subjectGl: Metrics; subjectCpu: Metrics; bgErr: number; blurVsSharp?: Metrics; ms: Record<string, number> }
    const rows = got as Record<string, Row>
    for (const [key, row] of Object.entries(rows)) {
      // Alpha = 1: the frame's own pixels, exactly (both compositors, both foreground modes).
      expect(row.subjectGl.max, key).toBeLessThanOrEqual(1)
      expect(row.subjectCpu.max, key).toBe(0)
      // Alpha = 0: the background colour or image exactly; transparent pixels.
      expect(row.bgErr, key).toBeLessThanOrEqual(1)
      if (key.endsWith('blur')) {
        // Gaussian on the GPU vs core's three box passes on the CPU: close, not identical.
        expect(row.all.mean, key).toBeLessThan(2.5)
        expect(row.all.p99, key).toBeLessThanOrEqual(16)
        // And the background really is blurred (differs from the sharp frame).
        expect(row.blurVsSharp!.mean, key).toBeGreaterThan(3)
      } else if (key.endsWith('transparent')) {
        // The WebGL canvas stores premultiplied colour: unpremultiplying at alpha >= 1/4 costs a few levels.
        expect(row.all.p99, key).toBeLessThanOrEqual(3)
        expect(row.all.max, key).toBeLessThanOrEqual(8)
      } else if (key.startsWith('observed')) {
        expect(row.all.max, key).toBeLessThanOrEqual(2)
      } else {
        // Blur-fusion: GPU (half-float targets, float alpha) vs core's estimateForeground on the
        // CPU (float32, 8-bit alpha): the documented tolerance.
        expect(row.all.mean, key).toBeLessThanOrEqual(0.5)
        expect(row.all.p99, key).toBeLessThanOrEqual(3)
      }
    }
  })
})

describe('backgrounds end to end (a static canvas track, the stand-in model)', () => {
  // Left half: 1-px black/white stripes; right half: rgb(200, 60, 30). Every output pixel must be
  // F * a + B * (1 - a) with a = the stabilised matte the compositor received (upsampled), F the
  // frame and B the background (blur: the stripes average 127.5, the flat half stays flat).
  for (const compositor of ['webgl2', 'cpu'] as const) {
    it(`${compositor}: colour, image, blur and transparent follow the compositing equation`, async () => {
      await page.evaluate(METRICS)
      const got = await page.evaluate(async (kind) => {
        const g = globalThis as unknown as G
        const W = 640
        const H = 480
        const source = g.h.staticTrack(W, H)
        let last: { data: Uint8Array; width: number; height: number } | undefined
        let count = 0
        const processed = g.matter.processTrack(source, {
          compositor: kind,
          background: { type: 'color', color: [0, 177, 64] },
          __onMatte: (m: typeof last) => {
            last = m
            count++
          },
        } as never)
        for (let i = 0; i < 600 && count < 2; i++) await g.h.sleep(50)
        const solid = new OffscreenCanvas(100, 50)
        const sx = solid.getContext('2d')!
        sx.fillStyle = 'rgb(10, 200, 30)'
        sx.fillRect(0, 0, 100, 50)
        const backgrounds: [string, unknown][] = [
          ['color', { type: 'color', color: [0, 177, 64] }],
          ['image', { type: 'image', image: solid }],
          ['blur', { type: 'blur' }],
          ['transparent', { type: 'transparent' }],
        ]
        const out: Record<string, { rgb: Metrics; alpha: Metrics; premultiplied: Metrics }> = {}
        for (const [name, bg] of backgrounds) {
          processed.setBackground(bg as never)
          await g.h.sleep(300)
          const { rgba } = await g.h.read(processed.track, 3, true)
          const px = Uint8Array.from(atob(rgba!), (c) => c.charCodeAt(0))
          const up = g.live.upsampleMatte(last!, W, H)
          const rgb: number[] = []
          const alpha: number[] = []
          const premultiplied: number[] = []
          for (let y = 20; y < H - 20; y++)
            for (let x = 60; x < W - 60; x++) {
              if (x >= 260 && x < 380) continue
              const i = y * W + x
              const a = up[i]! / 255
              const F = x < 320 ? (x % 2 === 0 ? [0, 0, 0] : [255, 255, 255]) : [200, 60, 30]
              const B =
                name === 'color' ? [0, 177, 64] : name === 'image' ? [10, 200, 30] : name === 'blur' ? (x < 320 ? [127.5, 127.5, 127.5] : [200, 60, 30]) : undefined
              if (B) for (let c = 0; c < 3; c++) rgb.push(Math.abs(px[i * 4 + c]! - (F[c]! * a + B[c]! * (1 - a))))
              else {
                alpha.push(Math.abs(px[i * 4 + 3]! - up[i]!))
                if (x >= 320) for (let c = 0; c < 3; c++) premultiplied.push(Math.abs(px[i * 4 + c]! - F[c]! * a))
              }
            }
          const summary = (d: number[]): Metrics => {
            d.sort((p, q) => p - q)
            return { mean: d.reduce((s, v) => s + v, 0) / Math.max(1, d.length), p99: d[Math.floor(0.99 * (d.length - 1))] ?? 0, max: d[d.length - 1] ?? 0, n: d.length }
          }
          out[name] = { rgb: summary(rgb), alpha: summary(alpha), premultiplied: summary(premultiplied) }
        }
        const stats = processed.stats
        processed.stop()
        return { out, stats, mattes: count, matteSize: [last!.width, last!.height] }
      }, compositor)
      console.info(`backgrounds ${compositor}: ${JSON.stringify(got)}`)
      expect(got.stats.compositor).toBe(compositor)
      expect(got.matteSize).toEqual([256, 192])
      const { color, image, blur, transparent } = got.out
      for (const [name, m] of [['color', color], ['image', image]] as const) {
        expect(m!.rgb.mean, name).toBeLessThanOrEqual(1.5)
        expect(m!.rgb.p99, name).toBeLessThanOrEqual(6)
      }
      expect(blur!.rgb.mean).toBeLessThanOrEqual(3)
      expect(blur!.rgb.p99).toBeLessThanOrEqual(10)
      expect(transparent!.alpha.mean).toBeLessThanOrEqual(1.5)
      expect(transparent!.alpha.p99).toBeLessThanOrEqual(4)
      // Read back through the track and drawn to a canvas, Chromium gives the colour premultiplied
      // by alpha (F * a) on the flat half (docs/live-video.md, "Transparent output").
      expect(transparent!.premultiplied.mean).toBeLessThanOrEqual(2)
      expect(transparent!.premultiplied.p99).toBeLessThanOrEqual(4)
    })
  }
})

describe('errors, options and release', () => {
  it('rejects bad input and options with typed errors', async () => {
    const got = await page.evaluate(async () => {
      const g = globalThis as unknown as G
      const code = (fn: () => unknown): string | undefined => {
        try {
          fn()
          return undefined
        } catch (error) {
          return (error as { code?: string }).code
        }
      }
      const audio = (await navigator.mediaDevices.getUserMedia({ audio: true })).getAudioTracks()[0]!
      const camera = await g.h.camera()
      const ended = await g.h.camera()
      ended.stop()
      const result = {
        notTrack: code(() => g.matter.processTrack('camera' as never)),
        audio: code(() => g.matter.processTrack(audio)),
        ended: code(() => g.matter.processTrack(ended)),
        modelSize: code(() => g.matter.processTrack(camera, { modelSize: 20 })),
        modelSizeText: code(() => g.matter.processTrack(camera, { modelSize: '256' as never })),
        background: code(() => g.matter.processTrack(camera, { background: { type: 'nope' } as never })),
        color: code(() => g.matter.processTrack(camera, { background: { type: 'color', color: '#zzz' } })),
        compositor: code(() => g.matter.processTrack(camera, { compositor: 'metal' as never })),
        foreground: code(() => g.matter.processTrack(camera, { foreground: 'guess' as never })),
        stabilizer: code(() => g.matter.processTrack(camera, { stabilizer: { mode: 'nope' as never } })),
        cameraStillLive: camera.readyState,
      }
      audio.stop()
      camera.stop()
      return result
    })
    expect(got).toEqual({
      notTrack: 'INVALID_INPUT',
      audio: 'INVALID_INPUT',
      ended: 'INVALID_INPUT',
      modelSize: 'INVALID_OPTION',
      modelSizeText: 'INVALID_OPTION',
      background: 'INVALID_OPTION',
      color: 'INVALID_OPTION',
      compositor: 'INVALID_OPTION',
      foreground: 'INVALID_OPTION',
      stabilizer: 'INVALID_OPTION',
      cameraStillLive: 'live',
    })
  })

  it("stop({ stopInput: false }) keeps the camera; the input ending, an abort signal and dispose() stop processing; 'ofd' and no stabiliser run", async () => {
    const got = await page.evaluate(async (model) => {
      const g = globalThis as unknown as G
      const waitModel = async (p: { stats: { medians: { model: number } } }): Promise<void> => {
        for (let i = 0; i < 600 && p.stats.medians.model === 0; i++) await g.h.sleep(50)
      }
      // stopInput: false, with OFD (one result of latency) and modelSize 'official'.
      const camera = await g.h.camera()
      let mattes = 0
      const ofd = g.matter.processTrack(camera, { stabilizer: { mode: 'ofd' }, modelSize: 320, __onMatte: () => mattes++ } as never)
      for (let i = 0; i < 600 && ofd.stats.fpsModel === 0; i++) await g.h.sleep(50)
      const ofdStats = ofd.stats
      ofd.stop({ stopInput: false })
      await ofd.ended
      const afterStop = { output: ofd.track.readyState, camera: camera.readyState }
      const mattesAtStop = mattes
      // The input ending stops processing (stabiliser off).
      const plain = g.matter.processTrack(camera, { stabilizer: false })
      await waitModel(plain)
      camera.stop()
      camera.dispatchEvent(new Event('ended')) // a local stop() fires no 'ended' event; the browser fires it when the device goes
      await plain.ended
      const afterInputEnd = plain.track.readyState
      // The consumer stopping the output track ends processing normally, on both paths.
      const outputStopped: string[] = []
      for (const path of ['track-processor', 'video-frame-callback']) {
        const cam = await g.h.camera()
        const p = g.matter.processTrack(cam, { __path: path } as never)
        await g.h.read(p.track, 2)
        p.track.stop()
        await p.ended
        outputStopped.push(cam.readyState)
      }
      // An abort signal.
      const controller = new AbortController()
      const camera2 = await g.h.camera()
      const aborted = g.matter.processTrack(camera2, { signal: controller.signal })
      controller.abort()
      await aborted.ended
      const afterAbort = { output: aborted.track.readyState, camera: camera2.readyState }
      // dispose() stops live tracks; processTrack afterwards is DISPOSED.
      const other = await g.mk.createMatter({ model })
      const camera3 = await g.h.camera()
      const live = other.processTrack(camera3)
      await other.dispose()
      await live.ended
      const afterDispose = { output: live.track.readyState, camera: camera3.readyState }
      // With stopInput: false in the options, ending by dispose() (or an error) leaves the camera live.
      const third = await g.mk.createMatter({ model })
      const camera4 = await g.h.camera()
      const kept = third.processTrack(camera4, { stopInput: false })
      await third.dispose()
      await kept.ended
      const keptAfterDispose = { output: kept.track.readyState, camera: camera4.readyState }
      camera4.stop()
      let disposedCode: string | undefined
      try {
        other.processTrack(await g.h.camera())
      } catch (error) {
        disposedCode = (error as { code?: string }).code
      }
      await g.h.sleep(1500)
      return { ofdStats, mattesAtStop, mattesLater: mattes, afterStop, afterInputEnd, outputStopped, afterAbort, afterDispose, keptAfterDispose, disposedCode }
    }, standIn('coi'))
    expect(got.ofdStats.fpsModel).toBeGreaterThan(0)
    expect(got.afterStop).toEqual({ output: 'ended', camera: 'live' })
    // Nothing arrives after stop().
    expect(got.mattesLater).toBe(got.mattesAtStop)
    // OFD: the first matte comes out with the second result.
    expect(got.mattesAtStop).toBeGreaterThanOrEqual(1)
    expect(got.afterInputEnd).toBe('ended')
    expect(got.outputStopped).toEqual(['ended', 'ended'])
    expect(got.afterAbort).toEqual({ output: 'ended', camera: 'ended' })
    expect(got.afterDispose).toEqual({ output: 'ended', camera: 'ended' })
    expect(got.keptAfterDispose).toEqual({ output: 'ended', camera: 'live' })
    expect(got.disposedCode).toBe('DISPOSED')
  })
})

describe('a 60-second run', () => {
  // Budget: the page's JS heap (after a forced GC) may grow by at most 3 MB between 10 s and 60 s.
  const HEAP_BUDGET = 3 * 1024 * 1024

  it('never queues more than one frame (drops instead), keeps the output flowing, and keeps the heap flat', async () => {
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const heap = async (): Promise<number> => {
      await cdp.send('HeapProfiler.collectGarbage')
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
      return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value
    }
    await page.evaluate(async () => {
      const g = globalThis as unknown as G & { soak: unknown }
      const camera = await g.h.camera()
      const processed = g.matter.processTrack(camera)
      const samples: { t: number; queued: number; dropped: number; framesOut: number; framesIn: number }[] = []
      const sampler = setInterval(() => {
        const s = processed.stats
        samples.push({ t: performance.now(), queued: s.queued, dropped: s.dropped, framesOut: s.framesOut, framesIn: s.framesIn })
      }, 100)
      // A consumer, as a <video> or a call would be.
      type Processor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> }
      const Ctor = (globalThis as unknown as { MediaStreamTrackProcessor: Processor }).MediaStreamTrackProcessor
      const reader = new Ctor({ track: processed.track }).readable.getReader()
      let consumed = 0
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          consumed++
          value.close()
        }
      })()
      g.soak = { processed, samples, sampler, consumed: () => consumed }
    })
    const start = Date.now()
    await new Promise((r) => setTimeout(r, 10_000))
    const heap10 = await heap()
    await new Promise((r) => setTimeout(r, 60_000 - (Date.now() - start)))
    const heap60 = await heap()
    const got = await page.evaluate(async () => {
      const g = globalThis as unknown as G & {
        soak: { processed: ReturnType<G['matter']['processTrack']>; samples: { queued: number; dropped: number; framesOut: number; framesIn: number }[]; sampler: number; consumed: () => number }
      }
      const { processed, samples, sampler, consumed } = g.soak
      clearInterval(sampler)
      const stats = processed.stats
      processed.stop()
      await processed.ended
      const at = (i: number) => samples[Math.min(samples.length - 1, i)]!
      return {
        stats,
        consumed: consumed(),
        maxQueued: Math.max(...samples.map((s) => s.queued)),
        n: samples.length,
        at10: at(100),
        at60: samples[samples.length - 1]!,
      }
    })
    await cdp.detach()
    console.info(`soak: ${JSON.stringify({ ...got, heap10, heap60, growth: heap60 - heap10 })}`)
    expect(got.n).toBeGreaterThan(300) // a stats sample every 100 ms (timers run late on a busy machine)
    expect(got.maxQueued).toBeLessThanOrEqual(1)
    // The model is slower than the camera here: the excess is dropped, not queued.
    expect(got.at60.dropped).toBeGreaterThan(got.at10.dropped)
    expect(got.at60.framesOut).toBeGreaterThan(got.at10.framesOut)
    // Every input frame is composited and written (the output keeps the input's rate).
    expect(got.stats.framesOut).toBeGreaterThanOrEqual(got.stats.framesIn - 2)
    expect(got.consumed).toBeGreaterThan(100)
    expect(heap60 - heap10).toBeLessThanOrEqual(HEAP_BUDGET)
  }, 120_000)
})

describe("drawComposite with { foreground: 'estimate' }", () => {
  it("draws core's estimated-foreground composite (identical pixels), unlike 'observed'", async () => {
    const got = await page.evaluate(async () => {
      const g = globalThis as unknown as G
      const result = await g.matter.matte('/coi/testdata/portrait-64x512.png')
      const draw = async (options?: { foreground: 'observed' | 'estimate' }) => {
        const canvas = new OffscreenCanvas(1, 1)
        await result.drawComposite(canvas, { type: 'color', color: [0, 177, 64] }, options)
        return canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      }
      const estimate = await draw({ foreground: 'estimate' })
      const observed = await draw()
      const expected = g.mk.composite(result.image, result.matte, { type: 'color', color: [0, 177, 64] }, { foreground: 'estimate' })
      let maxVsCore = 0
      let differsFromObserved = 0
      for (let i = 0, j = 0; j < expected.data.length; i += 4, j += 3) {
        for (let c = 0; c < 3; c++) {
          maxVsCore = Math.max(maxVsCore, Math.abs(estimate[i + c]! - expected.data[j + c]!))
          if (estimate[i + c] !== observed[i + c]) differsFromObserved++
        }
      }
      let badOption: string | undefined
      try {
        await result.drawComposite(new OffscreenCanvas(1, 1), { type: 'blur' }, { foreground: 'nope' as never })
      } catch (error) {
        badOption = (error as { code?: string }).code
      }
      return { maxVsCore, differsFromObserved, badOption }
    })
    expect(got.maxVsCore).toBe(0)
    expect(got.differsFromObserved).toBeGreaterThan(0)
    expect(got.badOption).toBe('INVALID_OPTION')
  })
})
