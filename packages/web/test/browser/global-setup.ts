/**
 * Once per browser test run: build the test page, start the test server and one Chromium, and
 * hand their addresses to the test files (which connect to the same browser).
 */
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { APP_OUT, ROOT, buildTestApp } from './build-app.js'
import { launchChromiumServer } from './chromium.js'
import { startServer } from './server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://localhost:<port> of the test server. */
    origin: string
    /** Where test files connect to the shared Chromium. */
    wsEndpoint: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now()
  await buildTestApp()
  const server = await startServer({
    app: APP_OUT,
    fixtures: join(ROOT, 'fixtures'),
    models: join(ROOT, 'models', 'stand-in'),
    ort: join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
    testdata: join(ROOT, 'packages', 'web', 'test', 'fixtures'),
  })
  const browser = await launchChromiumServer()
  project.provide('origin', server.origin)
  project.provide('wsEndpoint', browser.wsEndpoint())
  console.info(`browser tests: page built, server at ${server.origin}, Chromium up in ${Math.round(performance.now() - t0)} ms`)
  return async () => {
    await browser.close()
    await server.close()
  }
}
