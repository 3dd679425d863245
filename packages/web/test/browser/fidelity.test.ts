/**
 * The browser gives the mattes `@mattekit/node` gives, on the same fixture files with the
 * stand-in model: decoding is bit-identical (CMYK JPEG aside: Chromium converts CMYK its own
 * way, within 2 levels), and the mattes differ only by onnxruntime-web's float noise against
 * onnxruntime-node (at most 1 level on PNG inputs).
 *
 * Decoding is compared on every fixture (cheap). Mattes are compared on a representative subset
 * by default (each takes about a second of WebAssembly); MATTEKIT_FIDELITY=all runs every fixture
 * and prints the full table.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createMatter as createNodeMatter, decodeImage as decodeNode, type NodeMatter } from '@mattekit/node'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestGlobals, type WithMatter, ROOT, bytes, diff, disconnect, MODEL_PATH, openPage, standIn } from './harness.js'

const variants = readdirSync(join(ROOT, 'fixtures', 'variants'))
  .filter((f) => /\.(png|jpg|webp)$/.test(f))
  .map((f) => `variants/${f}`)
const all = ['astronaut.png', 'camera.png', ...variants]
// Square, RGBA (colour under alpha 0), grey+alpha, JPEG, WebP; the cheaper model sizes.
const subset = [
  'astronaut.png',
  'variants/rgba-300x200.png',
  'variants/grey-alpha-300x200.png',
  'variants/rgb-600x400-baseline.jpg',
  'variants/rgb-600x400-lossy.webp',
]
const matteCases = process.env.MATTEKIT_FIDELITY === 'all' ? all : subset

let page: Page
let nodeMatter: NodeMatter
const table: string[] = []

beforeAll(async () => {
  ;({ page } = await openPage('coi'))
  nodeMatter = await createNodeMatter({ model: MODEL_PATH })
  await page.evaluate(async (model) => {
    const { mk } = globalThis as unknown as TestGlobals
    ;(globalThis as unknown as { matter: unknown }).matter = await mk.createMatter({ model })
  }, standIn('coi'))
})

afterAll(async () => {
  await page?.evaluate(() => (globalThis as unknown as { matter: { dispose(): Promise<void> } }).matter.dispose())
  await nodeMatter?.dispose()
  await disconnect()
  if (table.length) {
    console.info(
      `Node vs browser (stand-in model; wasm, 2 threads):\n| fixture | size | model input | decode | matte max diff | matte % differing | MAE |\n|---|---|---|---|---|---|---|\n${table.join('\n')}`,
    )
  }
})

describe('decoding matches @mattekit/node (cv2.imread semantics)', () => {
  it('is bit-identical on every fixture but CMYK JPEG (within 2 levels there)', async () => {
    const decoded = await page.evaluate(async (files) => {
      const { mk, t } = globalThis as unknown as TestGlobals
      const out: Record<string, { data: string; width: number; height: number }> = {}
      for (const f of files) {
        const image = await mk.decodeImage(`/coi/fixtures/${f}`)
        out[f] = { data: t.b64(image.data), width: image.width, height: image.height }
      }
      return out
    }, all)
    for (const f of all) {
      const ref = await decodeNode(join(ROOT, 'fixtures', f))
      const got = decoded[f]!
      expect([got.width, got.height], f).toEqual([ref.width, ref.height])
      const d = diff(bytes(got.data), ref.data)
      if (f.includes('cmyk')) expect(d.max, f).toBeLessThanOrEqual(2)
      else expect(d.max, f).toBe(0)
    }
  })
})

describe('mattes match @mattekit/node', () => {
  it.each(matteCases)('%s', async (f) => {
    const [browser, node] = await Promise.all([
      page.evaluate(async (url) => {
        const { t } = globalThis as unknown as TestGlobals
        const matter = (globalThis as unknown as WithMatter).matter
        return t.summary(await matter.matte(url))
      }, `/coi/fixtures/${f}`),
      nodeMatter.matte(join(ROOT, 'fixtures', f)),
    ])
    expect([browser.width, browser.height]).toEqual([node.matte.width, node.matte.height])
    expect(browser.modelSize).toEqual(node.modelSize)
    const image = diff(bytes(browser.image), node.image.data)
    const matte = diff(bytes(browser.matte), node.matte.data)
    table.push(
      `| ${f} | ${node.matte.width}x${node.matte.height} | ${node.modelSize.width}x${node.modelSize.height} | ` +
        `${image.max === 0 ? 'exact' : `max ${image.max}, ${image.percent.toFixed(1)}%`} | ${matte.max} | ${matte.percent.toFixed(3)}% | ${matte.mae.toFixed(4)} |`,
    )
    if (f.endsWith('.png')) expect(matte.max).toBeLessThanOrEqual(1)
    else expect(matte.max).toBeLessThanOrEqual(2) // reported; JPEG/WebP decode is exact too
  })
})
