/**
 * WebGPU on Chromium's software adapter (SwiftShader): slow, so one small input and a check of
 * correctness only. This file starts its own Chromium, since WebGPU needs the GPU process that
 * the shared (CPU-only) browser disables.
 */
import { join } from 'node:path'
import { createMatter as createNodeMatter, decodeImage } from '@mattekit/node'
import type { Browser } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { launchChromium } from './chromium.js'
import { type TestGlobals, ROOT, bytes, diff, MODEL_PATH, origin, standIn } from './harness.js'

let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
})

it("device: 'webgpu' runs on the software adapter and gives the wasm/Node matte", async () => {
  browser = await launchChromium({ webgpu: true })
  const page = await browser.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(`${origin()}/coi/app/index.html`)
  await page.waitForFunction(() => document.title === 'ready')
  const got = await page.evaluate(async (model) => {
    const { mk, t } = globalThis as unknown as TestGlobals
    const matter = await mk.createMatter({ model, device: 'webgpu' })
    // The left 32 columns of the test portrait: model input 32x512, the cheapest MODNet run.
    const full = await mk.decodeImage('/coi/testdata/portrait-64x512.png')
    const input = new ImageData(32, 512)
    for (let y = 0; y < 512; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) input.data[(y * 32 + x) * 4 + c] = full.data[(y * 64 + x) * 3 + c]!
        input.data[(y * 32 + x) * 4 + 3] = 255
      }
    }
    const started = performance.now()
    const result = await matter.matte(input)
    const ms = performance.now() - started
    await matter.dispose()
    return { backend: matter.backend, matte: t.b64(result.matte.data), ms, timings: result.timings }
  }, standIn('coi'))
  const node = await createNodeMatter({ model: MODEL_PATH })
  const full = await decodeImage(join(ROOT, 'packages', 'web', 'test', 'fixtures', 'portrait-64x512.png'))
  const crop = new Uint8Array(32 * 512 * 3)
  for (let y = 0; y < 512; y++) crop.set(full.data.subarray(y * 64 * 3, y * 64 * 3 + 32 * 3), y * 32 * 3)
  const reference = (await node.matte({ data: crop, width: 32, height: 512, channels: 3 })).matte.data
  await node.dispose()
  const d = diff(bytes(got.matte), reference)
  console.info(
    `WebGPU (SwiftShader) 32x512: ${got.ms.toFixed(0)} ms (inference ${got.timings.inference.toFixed(0)} ms); ` +
      `vs Node: max ${d.max}, ${d.percent.toFixed(2)}% differ, MAE ${d.mae.toFixed(4)}`,
  )
  expect(got.backend).toMatchObject({ device: 'webgpu', mode: 'worker' })
  expect(got.backend.fallbackReason).toBeUndefined()
  // The same matte up to float noise (a level on a few pixels at most).
  expect(d.max).toBeLessThanOrEqual(1)
})
