/**
 * `tsx scripts/test-examples.ts [--no-build] [--only <name>...] [--no-browser]`: builds the four
 * packages once (the examples import them by name, through their `dist`, as users do), then
 * exercises every example in examples/:
 *
 * - node-script, node-server: typecheck (`tsc` on the JSDoc-typed sources) and their `npm test`
 *   (run with the stand-in model);
 * - web-vite, react-vite: `tsc` + `vite build`, then a check that the bundled MatteKit worker
 *   has no unresolved imports; web-vite is also loaded in Chromium with a fake camera, built
 *   against the stand-in model, and must draw processed frames (skip with `--no-browser`);
 * - next-app: `next build --webpack` (the App Router page is prerendered on the server, so SSR is
 *   exercised), then checks of the prerendered HTML and of the bundled worker.
 *
 * Prints the time each one took; exits 1 if any failed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT, buildPackages, run } from './check-packages.js'

const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
const EXAMPLES = join(ROOT, 'examples')

const env: NodeJS.ProcessEnv = { ...process.env, MATTEKIT_MODEL: MODEL, NEXT_TELEMETRY_DISABLED: '1' }

/** Runs an npm script of one example. */
const npmRun = (example: string, script: string, extraEnv: NodeJS.ProcessEnv = {}): boolean =>
  run('npm', ['run', script, '--silent', '-w', `@mattekit-examples/${example}`], ROOT, { ...env, ...extraEnv })

/** Every .js file under `dir`, recursively. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(dir, f))
}

/**
 * The bundled MatteKit worker must be self-contained: no bare `@mattekit/*` import and no import
 * of `./chunk-*.js` (signs that a bundler copied `dist/worker.js` as a plain asset instead of
 * bundling it as a worker entry).
 */
function checkWorker(files: string[], label: string): string[] {
  const workers = files.filter((f) => {
    const text = readFileSync(f, 'utf8')
    return text.includes('em-pthread') && /mattekit/i.test(text)
  })
  if (workers.length === 0) return [`${label}: no bundled MatteKit worker found`]
  const problems: string[] = []
  for (const f of workers) {
    const text = readFileSync(f, 'utf8')
    if (/from\s*["']@mattekit\//.test(text) || /import\s*["']@mattekit\//.test(text)) problems.push(`${label}: ${f} imports @mattekit/* unbundled`)
    if (/from\s*["']\.\/chunk-[\w-]+\.js["']/.test(text)) problems.push(`${label}: ${f} imports tsup chunks: the worker was copied, not bundled`)
  }
  return problems
}

type Check = () => Promise<string[]> | string[]

const checks: Record<string, Check> = {
  'node-script': () => {
    const problems: string[] = []
    if (!npmRun('node-script', 'typecheck')) problems.push('node-script: typecheck')
    if (!npmRun('node-script', 'test')) problems.push('node-script: test')
    return problems
  },
  'node-server': () => {
    const problems: string[] = []
    if (!npmRun('node-server', 'typecheck')) problems.push('node-server: typecheck')
    if (!npmRun('node-server', 'test')) problems.push('node-server: test')
    return problems
  },
  'web-vite': async () => {
    if (!npmRun('web-vite', 'build')) return ['web-vite: build']
    const problems = checkWorker(jsFiles(join(EXAMPLES, 'web-vite', 'dist')), 'web-vite')
    if (!values['no-browser']) problems.push(...(await browserCheck()))
    return problems
  },
  'react-vite': () => {
    if (!npmRun('react-vite', 'build')) return ['react-vite: build']
    return checkWorker(jsFiles(join(EXAMPLES, 'react-vite', 'dist')), 'react-vite')
  },
  'next-app': () => {
    if (!npmRun('next-app', 'build')) return ['next-app: next build']
    const next = join(EXAMPLES, 'next-app', '.next')
    const problems = checkWorker(jsFiles(join(next, 'static')), 'next-app')
    // The page was prerendered on the server: the client component rendered there too, idle.
    const html = join(next, 'server', 'app', 'index.html')
    if (!existsSync(html)) return [...problems, 'next-app: no prerendered index.html']
    const text = readFileSync(html, 'utf8')
    if (!text.includes('MatteKit with Next.js')) problems.push('next-app: the prerendered page lacks its heading')
    if (!/Model: (<!-- -->)?idle/.test(text)) problems.push('next-app: the client component did not render on the server as idle')
    return problems
  },
}

/**
 * Builds web-vite against the stand-in model, serves it, opens it in Chromium with a fake camera,
 * presses "Start camera" and checks that processed frames arrive and are drawn.
 */
async function browserCheck(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mattekit-web-vite-'))
  const { startServer } = await import('../packages/web/test/browser/server.js')
  const { launchChromium } = await import('../packages/web/test/browser/chromium.js')
  const sha256 = (JSON.parse(readFileSync(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { sha256: string }).sha256
  const out = join(dir, 'dist')
  const built = run('npx', ['--no-install', 'vite', 'build', '--base', './', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], join(EXAMPLES, 'web-vite'), {
    ...env,
    VITE_MATTEKIT_MODEL_URL: '/plain/models/model.onnx',
    VITE_MATTEKIT_MODEL_SHA256: sha256,
  })
  if (!built) return ['web-vite: build against the stand-in model']
  const y4m = join(dir, 'camera.y4m')
  // prettier-ignore
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-i', join(ROOT, 'fixtures', 'astronaut.png'),
    '-vf', 'scale=800:800,crop=640:480:80:160,format=yuv420p', '-r', '15', '-t', '2', '-f', 'yuv4mpegpipe', y4m,
  ])
  const server = await startServer({ app: out, models: join(ROOT, 'models', 'stand-in') })
  const browser = await launchChromium({ fakeCamera: y4m })
  const errors: string[] = []
  try {
    const page = await browser.newPage()
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${server.origin}/plain/app/index.html`)
    await page.click('#start')
    // The status shows live figures once frames flow through the model.
    await page.waitForFunction(() => /model [1-9]|model 0\.[1-9]/.test(document.getElementById('status')?.textContent ?? ''), undefined, {
      timeout: 90_000,
    })
    // The <video> shows the processed track. Read frames back: with a green-screen background,
    // then with background "Off" (the camera as it is); they must differ where the background was
    // replaced, and the green one must be a real picture.
    const grab = async (choice: string): Promise<{ width: number; height: number; rgb: number[]; std: number; data: number[] }> => {
      await page.check(`input[name="background"][value="${choice}"]`)
      await page.waitForTimeout(1500) // a few model results with the new background
      return page.evaluate(async () => {
        const video = document.getElementById('video') as HTMLVideoElement
        await new Promise((r) => (video.readyState >= 2 ? r(undefined) : video.addEventListener('loadeddata', r, { once: true })))
        const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight)
        const ctx = canvas.getContext('2d')!
        ctx.drawImage(video, 0, 0)
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
        const rgb = [0, 0, 0]
        let sumSq = 0
        const grey: number[] = []
        for (let i = 0; i < data.length; i += 4) {
          for (let c = 0; c < 3; c++) rgb[c]! += data[i + c]!
          const v = (data[i]! + data[i + 1]! + data[i + 2]!) / 3
          sumSq += v * v
          if ((i / 4) % 97 === 0) grey.push(v)
        }
        const n = data.length / 4
        const mean = (rgb[0]! + rgb[1]! + rgb[2]!) / 3 / n
        return { width: canvas.width, height: canvas.height, rgb: rgb.map((v) => v / n), std: Math.sqrt(sumSq / n - mean * mean), data: grey }
      })
    }
    const green = await grab('color')
    const raw = await grab('off')
    const diff = green.data.reduce((s, v, i) => s + Math.abs(v - (raw.data[i] ?? v)), 0) / green.data.length
    const status = await page.textContent('#status')
    const fmt = (rgb: number[]): string => rgb.map((v) => v.toFixed(0)).join('/')
    console.log(
      `web-vite in Chromium: ${green.width}x${green.height}; mean RGB with green screen ${fmt(green.rgb)}, camera ${fmt(raw.rgb)}, ` +
        `mean difference ${diff.toFixed(1)}; ${status}`,
    )
    const problems: string[] = errors.map((e) => `web-vite page error: ${e}`)
    if (green.width !== 640 || green.height !== 480) problems.push(`web-vite: the processed frame is ${green.width}x${green.height}, expected 640x480`)
    if (!(green.std > 5)) problems.push('web-vite: the processed frame is flat (nothing drawn)')
    if (!(diff > 3)) problems.push(`web-vite: the green-screen frame hardly differs from the camera (${diff.toFixed(1)})`)
    if (!(green.rgb[1]! - green.rgb[0]! > raw.rgb[1]! - raw.rgb[0]! + 3)) problems.push('web-vite: the green-screen frame is not greener than the camera')
    return problems
  } catch (error) {
    return [`web-vite in Chromium: ${(error as Error).message.split('\n')[0]}`, ...errors.map((e) => `web-vite page error: ${e}`)]
  } finally {
    await browser.close()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const { values } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    'no-browser': { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
  },
})

async function main(): Promise<number> {
  const started = Date.now()
  if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing: run \`npm run models\` first`)
  const present = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'package.json')))
  const missing = present.filter((d) => !(d in checks))
  if (missing.length > 0) throw new Error(`examples without a check in scripts/test-examples.ts: ${missing.join(', ')}`)
  if (!values['no-build']) buildPackages()
  const times: string[] = []
  const failures: string[] = []
  for (const name of values.only ?? Object.keys(checks)) {
    const check = checks[name]
    if (!check) throw new Error(`no example called ${name}`)
    const t0 = Date.now()
    console.log(`\n=== ${name}`)
    const problems = await check()
    failures.push(...problems)
    times.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)} s${problems.length ? ' (FAILED)' : ''}`)
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  console.log(`\nexamples: ${times.join(', ')}`)
  if (failures.length > 0) {
    console.error(`test-examples: ${failures.length} failed (${seconds} s):\n  ${failures.join('\n  ')}`)
    return 1
  }
  console.log(`test-examples: every example passes (${seconds} s)`)
  return 0
}

process.exitCode = await main()
