/**
 * Launching Debian's Chromium (/usr/bin/chromium) with playwright-core: never a downloaded
 * browser. Playwright gives every launch a fresh temporary profile (--user-data-dir).
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserServer } from 'playwright-core'

/** The system Chromium; override with MATTEKIT_CHROMIUM. */
export const CHROMIUM = process.env.MATTEKIT_CHROMIUM ?? '/usr/bin/chromium'

const COMMON = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
  // Keep timers and workers running at full speed in a headless, "hidden" page.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
]

/**
 * Chromium flags: CPU-only by default (WebGL2 still works, in software); `webgpu` keeps the GPU
 * process and enables WebGPU on the SwiftShader (software Vulkan) adapter.
 */
export function chromiumArgs(options: { readonly webgpu?: boolean } = {}): string[] {
  return options.webgpu
    ? [...COMMON, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan']
    : [...COMMON, '--disable-gpu']
}

function check(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set MATTEKIT_CHROMIUM).`)
  }
}

/**
 * Flags for a fake camera that plays `y4m` (looped) to getUserMedia, with no permission prompt.
 *
 * @param y4m - a .y4m file (e.g. made with ffmpeg)
 */
export function fakeCameraArgs(y4m: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`]
}

/** Launches Chromium in this process; `fakeCamera` (a .y4m file) replaces the camera. */
export async function launchChromium(options: { readonly webgpu?: boolean; readonly fakeCamera?: string } = {}): Promise<Browser> {
  check()
  const args = [...chromiumArgs(options), ...(options.fakeCamera === undefined ? [] : fakeCameraArgs(options.fakeCamera))]
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args })
}

/** Launches Chromium as a server that test files connect to (one browser for every file). */
export async function launchChromiumServer(): Promise<BrowserServer> {
  check()
  return chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: chromiumArgs() })
}
