/**
 * What every browser test file shares: the connection to the one Chromium, pages on the test
 * server, the stand-in model's URL and hash, and pixel comparisons.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { inject } from 'vitest'
import { ROOT } from './build-app.js'

import type { WebMatter } from '@mattekit/web'

export type { TestGlobals } from './app/main.js'

/** The page's globals once a test stored its Matter there. */
export type WithMatter = { matter: WebMatter }
export { ROOT }

/** The stand-in model's SHA-256 (from `npm run models`). */
export const MODEL_SHA256 = (JSON.parse(readFileSync(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { sha256: string }).sha256
/** The stand-in model's size in bytes. */
export const MODEL_BYTES = (JSON.parse(readFileSync(join(ROOT, 'models', 'stand-in', 'model.json'), 'utf8')) as { bytes: number }).bytes
/** The stand-in model on disk, for the Node reference. */
export const MODEL_PATH = join(ROOT, 'models', 'stand-in', 'model.onnx')

/** Cross-origin isolated (threads) or plain (single-threaded) pages. */
export type Prefix = 'coi' | 'plain'

let browser: Promise<Browser> | undefined

/** The shared Chromium (launched by global-setup.ts). */
export function connect(): Promise<Browser> {
  browser ??= chromium.connect(inject('wsEndpoint'))
  return browser
}

/** Closes this file's connection (the browser itself stays up for the other files). */
export async function disconnect(): Promise<void> {
  const b = browser
  browser = undefined
  await (await b)?.close()
}

/** The test server's origin. */
export const origin = (): string => inject('origin')

/**
 * Opens the test page in a fresh context (its own storage, so Cache API state never leaks
 * between tests), and forwards page errors to the test output.
 *
 * @param prefix - `coi` (cross-origin isolated) or `plain`
 */
export async function openPage(prefix: Prefix = 'coi'): Promise<{ page: Page; context: BrowserContext }> {
  const context = await (await connect()).newContext()
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[console] ${message.text()}`)
  })
  await page.goto(`${origin()}/${prefix}/app/index.html`)
  await page.waitForFunction(() => document.title === 'ready')
  return { page, context }
}

/** The model option for the stand-in served by the test server (relative URL). */
export const standIn = (prefix: Prefix = 'coi'): { url: string; sha256: string } => ({
  url: `/${prefix}/models/model.onnx`,
  sha256: MODEL_SHA256,
})

/** Per-pixel comparison of two 8-bit planes. */
export interface Diff {
  /** Largest absolute difference. */
  readonly max: number
  /** Share of differing samples, in percent. */
  readonly percent: number
  /** Mean absolute difference. */
  readonly mae: number
}

/**
 * Compares two byte arrays of the same length.
 *
 * @param a - first
 * @param b - second
 */
export function diff(a: Uint8Array, b: Uint8Array): Diff {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let max = 0
  let count = 0
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    if (d) {
      count++
      sum += d
      if (d > max) max = d
    }
  }
  return { max, percent: (100 * count) / Math.max(1, a.length), mae: sum / Math.max(1, a.length) }
}

/** Bytes from the page's base64. */
export const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'))
