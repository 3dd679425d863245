/**
 * @mattekit/react in a real browser: a small React app (test/browser/app), built with Vite and
 * @vitejs/plugin-react from MatteKit's sources, served from localhost with COOP/COEP (the web
 * tests' server), in Debian's Chromium with a fake camera.
 *
 * - The photo: `useMatte` + `matte()` of fixtures/astronaut.png with the stand-in model gives
 *   the matte `@mattekit/node` gives for the same file (within the web fidelity test's bound: at
 *   most 1 level on a handful of samples, onnxruntime-web's float noise), under StrictMode with
 *   one model download.
 * - The camera: `useMatteStream` on the fake camera (a .y4m made from the fixture with ffmpeg at
 *   test time) gives a running processed stream at the camera's size, and unmounting the view
 *   ends the processed track while the camera (the app's) stays live.
 * - The README's quick start, as written (its vite.config.ts and App.tsx, with the Vite
 *   template's index.html and main.tsx): it type-checks, builds, and runs (the official model
 *   cannot be downloaded here, so it must show the typed MODEL_FETCH error, not crash).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMatter as createNodeMatter } from '@mattekit/node'
import react from '@vitejs/plugin-react'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, defaultClientConditions } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, chromiumArgs } from '../../../web/test/browser/chromium.js'
import { startServer, type TestServer } from '../../../web/test/browser/server.js'
import type { AppReport } from './app/main.js'

const ROOT = join(import.meta.dirname, '..', '..', '..', '..')
// Under a `dist` folder, which ESLint and git ignore.
const APP_OUT = join(ROOT, '.tmp', 'react-test-app', 'dist')
const README_APP = join(ROOT, '.tmp', 'react-readme', 'dist', 'app')
const MODEL_PATH = join(ROOT, 'models', 'stand-in', 'model.onnx')
const FIXTURE = join(ROOT, 'fixtures', 'astronaut.png')

type Window = { report: AppReport }

let server: TestServer
let browser: Browser
let page: Page
let work: string

/** Builds the app with Vite in development mode (React's StrictMode double mount is on). */
async function buildApp(): Promise<void> {
  await build({
    configFile: false,
    root: join(import.meta.dirname, 'app'),
    mode: 'development',
    logLevel: 'warn',
    base: './',
    plugins: [react()],
    resolve: { conditions: ['@mattekit/source', ...defaultClientConditions] },
    build: { outDir: APP_OUT, emptyOutDir: true, minify: false, target: 'es2022', reportCompressedSize: false, sourcemap: false },
    worker: { format: 'es' },
  })
}

/** A 640x480, 15 fps, 3 s .y4m of the fixture panning, for Chromium's fake camera. */
function makeY4m(dir: string): string {
  const out = join(dir, 'camera.y4m')
  execFileSync(
    'ffmpeg',
    ['-v', 'error', '-loop', '1', '-i', FIXTURE, '-vf', "scale=800:-2,crop=640:480:'mod(n*4,160)':0,format=yuv420p", '-r', '15', '-t', '3', '-y', out],
    { stdio: 'pipe' },
  )
  return out
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mattekit-react-'))
  const y4m = makeY4m(work)
  await buildApp()
  server = await startServer({
    app: APP_OUT,
    readme: join(README_APP, 'dist'),
    fixtures: join(ROOT, 'fixtures'),
    models: join(ROOT, 'models', 'stand-in'),
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...chromiumArgs(), '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
  })
  const context = await browser.newContext()
  page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[console] ${message.text()}`)
  })
  await fetch(`${server.origin}/__reset`, { method: 'POST' })
  const sha256 = (JSON.parse(await readFile(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { sha256: string }).sha256
  const query = new URLSearchParams({ model: '/coi/models/model.onnx', sha256, image: '/coi/fixtures/astronaut.png' })
  await page.goto(`${server.origin}/coi/app/index.html?${query}`)
  await page.waitForFunction(() => document.title === 'ready')
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('a React app using @mattekit/react in Chromium', () => {
  it('useMatte mattes the fixture as @mattekit/node does, loading the model once under StrictMode', async () => {
    await page.waitForFunction(() => (window as unknown as Window).report.photoResults >= 2 || 'error' in ((window as unknown as Window).report.photo ?? {}), null, {
      timeout: 90_000,
    })
    const photo = await page.evaluate(() => (window as unknown as Window).report.photo)
    if (photo && 'error' in photo) throw new Error(`the app failed: ${photo.error.code}: ${photo.error.message}`)
    const status = await page.evaluate(() => (window as unknown as Window).report.status)
    expect(status).toBe('ready')
    // StrictMode ran the photo effect twice (both calls resolved), yet the model was fetched once.
    expect(await page.evaluate(() => (window as unknown as Window).report.photoResults)).toBe(2)
    const stats = (await (await fetch(`${server.origin}/__stats`)).json()) as Record<string, number>
    expect(stats['/models/model.onnx']).toBe(1)
    expect(await page.locator('h2', { hasText: 'Photo (done)' }).count()).toBe(1)

    const nodeMatter = await createNodeMatter({ model: MODEL_PATH })
    try {
      const node = await nodeMatter.matte(FIXTURE)
      expect([photo!.width, photo!.height]).toEqual([node.matte.width, node.matte.height])
      expect(photo!.modelSize).toEqual(node.modelSize)
      const browserMatte = new Uint8Array(Buffer.from(photo!.matte, 'base64'))
      let differing = 0
      let max = 0
      for (let i = 0; i < browserMatte.length; i++) {
        const d = Math.abs(browserMatte[i]! - node.matte.data[i]!)
        if (d) differing++
        if (d > max) max = d
      }
      console.info(`react app vs @mattekit/node on astronaut.png: ${differing} of ${browserMatte.length} samples differ (max ${max})`)
      // The same bound as @mattekit/web's fidelity test: decoding and pre/post-processing are
      // exact, and onnxruntime-web's float noise against onnxruntime-node moves a handful of
      // samples by 1 level at most on PNG inputs.
      expect(max).toBeLessThanOrEqual(1)
      expect(differing / browserMatte.length).toBeLessThan(0.001)
    } finally {
      await nodeMatter.dispose()
    }
  })

  it('useMatteStream processes the fake camera, and unmounting ends the processed track (the camera stays live)', async () => {
    await page.evaluate(() => (window as unknown as Window).report.startCamera())
    await page.waitForFunction(
      () => {
        const camera = (window as unknown as Window).report.camera
        return camera !== null && (camera.status === 'error' || (camera.status === 'running' && (camera.stats?.framesOut ?? 0) > 5))
      },
      null,
      { timeout: 60_000 },
    )
    const camera = (await page.evaluate(() => (window as unknown as Window).report.camera))!
    expect(camera.error).toBeNull()
    expect(camera.status).toBe('running')
    expect(camera.stats!.framesOut).toBeGreaterThan(5)
    expect(camera.stats!.queued).toBeLessThanOrEqual(1)
    // The <video> shows the processed stream at the camera's size.
    await page.waitForFunction(() => (document.querySelector('video')?.videoWidth ?? 0) > 0)
    const size = await page.evaluate(() => [document.querySelector('video')!.videoWidth, document.querySelector('video')!.videoHeight])
    expect(size).toEqual([640, 480])

    // The background is the colour option: green where the matte says background. A new colour
    // is applied to the running track (no restart: the same processed track keeps going). Frames
    // are grabbed from the processed track itself.
    const report = (): Promise<AppReport> => page.evaluate(() => (window as unknown as Window).report)
    const dominant = (channel: number): Promise<number> => page.evaluate((c) => (window as unknown as Window).report.dominant(c), channel)
    const waitForDominant = async (channel: number): Promise<number> => {
      const deadline = Date.now() + 15_000
      for (;;) {
        const count = await dominant(channel)
        if (count > 1000 || Date.now() > deadline) return count
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    const green = await waitForDominant(1)
    expect(green).toBeGreaterThan(1000)
    const beforeId = await page.evaluate(() => (window as unknown as Window).report.processedTrack?.id)
    expect(beforeId).toBeTruthy()
    await page.evaluate(() => (window as unknown as Window).report.setColor('#ff0000'))
    const red = await waitForDominant(0)
    console.info(`fake camera, 640x480: ${green} green background pixels, then ${red} red after the background option changed`)
    expect(red).toBeGreaterThan(1000)
    expect(await dominant(1)).toBeLessThan(green / 10)
    expect(await page.evaluate(() => (window as unknown as Window).report.processedTrack?.id)).toBe(beforeId)
    expect((await report()).camera!.status).toBe('running')

    await page.evaluate(() => (window as unknown as Window).report.hideCamera())
    await page.waitForFunction(() => (window as unknown as Window).report.processedTrack?.readyState === 'ended', null, { timeout: 10_000 })
    expect(await page.evaluate(() => (window as unknown as Window).report.cameraTrack?.readyState)).toBe('live')
  })
})

describe("the README's quick start", () => {
  it('type-checks, builds with its vite.config.ts, and runs: the hook reports a typed error when the model cannot be fetched', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    const block = (file: string): string => {
      const match = new RegExp('```tsx?\\n// ' + file.replace('.', '\\.') + '\\n([^]*?)```').exec(readme)
      if (!match) throw new Error(`README.md has no code block starting with // ${file}`)
      return match[1]!
    }
    rmSync(README_APP, { recursive: true, force: true })
    mkdirSync(join(README_APP, 'src'), { recursive: true })
    writeFileSync(join(README_APP, 'vite.config.ts'), block('vite.config.ts'))
    writeFileSync(join(README_APP, 'src', 'App.tsx'), block('src/App.tsx'))
    // What `npm create vite@latest -- --template react-ts` gives.
    writeFileSync(
      join(README_APP, 'index.html'),
      '<!doctype html><html><head><meta charset="UTF-8" /><link rel="icon" href="data:," /><title>Vite + React + TS</title></head>' +
        '<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
    )
    writeFileSync(
      join(README_APP, 'src', 'main.tsx'),
      "import { StrictMode } from 'react'\nimport { createRoot } from 'react-dom/client'\nimport App from './App.tsx'\n\n" +
        "createRoot(document.getElementById('root')!).render(\n  <StrictMode>\n    <App />\n  </StrictMode>,\n)\n",
    )
    writeFileSync(
      join(README_APP, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'packages', 'react', 'tsconfig.json'),
        compilerOptions: { allowImportingTsExtensions: true, types: [] },
        include: ['src'],
      }),
    )
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', README_APP], { stdio: 'pipe' })

    await build({
      configFile: join(README_APP, 'vite.config.ts'),
      root: README_APP,
      logLevel: 'warn',
      base: './',
      // The workspace packages from source (an installed @mattekit/react resolves to its dist).
      resolve: { conditions: ['@mattekit/source', ...defaultClientConditions] },
      build: { outDir: join(README_APP, 'dist'), emptyOutDir: true, minify: false, reportCompressedSize: false },
    })

    const context = await browser.newContext()
    try {
      const readmePage = await context.newPage()
      const errors: string[] = []
      readmePage.on('pageerror', (error) => errors.push(error.message))
      // No network here: the official model's host answers 404 at once.
      await context.route(/huggingface\.co/, (route) => route.fulfill({ status: 404, body: 'offline test' }))
      await readmePage.goto(`${server.origin}/coi/readme/index.html`)
      await readmePage.waitForFunction(() => /Model: error/.test(document.querySelector('main p')?.textContent ?? ''), null, { timeout: 60_000 })
      const text = await readmePage.locator('main p').first().textContent()
      expect(text).toMatch(/^Model: error .*404/)
      expect(await readmePage.locator('input[type=file]').count()).toBe(1)
      expect(await readmePage.locator('button', { hasText: 'Blur my background' }).count()).toBe(1)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })
})
