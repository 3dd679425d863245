/**
 * createMatter's model delivery: no model option means the official fp32 MODNet through the
 * delivery path; `{ url, sha256 }` and `{ variant }` are delivered and cached. Against a local
 * HTTP server serving the stand-in model; never the internet.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MODNET_MODELS } from '@mattekit/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURES, MODEL } from '../test/paths.js'
import { createMatter } from './create-matter.js'
import { type ModelServer, readStandIn, startModelServer } from './testing/model-server.js'

const standIn = readStandIn()
let server: ModelServer
let dir: string
const dirs: string[] = []
beforeAll(async () => {
  server = await startModelServer({ files: { '/model.onnx': standIn.data, '/onnx/model.onnx': standIn.data } })
})
afterAll(async () => {
  await server?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-cm-'))
  dirs.push(dir)
  server.requests.length = 0
})

/** Runs `fn` with environment variables set, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

const custom = () => ({ url: `${server.url}/model.onnx`, sha256: standIn.sha256, bytes: standIn.bytes })
const photo = join(FIXTURES, 'variants', 'rgb-300x200-444.jpg')

describe('createMatter model delivery', () => {
  it('createMatter() with no options resolves to the official fp32 model through delivery', async () => {
    const fp32 = MODNET_MODELS.fp32
    // Offline with an empty cache: the error names the pinned fp32 file and the pre-fetch command.
    const offline = await withEnv({ MATTEKIT_CACHE_DIR: dir, MATTEKIT_OFFLINE: '1' }, () => createMatter()).catch((e: unknown) => e)
    expect(offline).toMatchObject({ code: 'MODEL_NOT_CACHED' })
    expect((offline as Error).message).toContain(join(dir, `${fp32.sha256}.onnx`))
    expect((offline as Error).message).toMatch(/MODNet fp32 .*mattekit models fetch --variant fp32.*unset MATTEKIT_OFFLINE/)
    expect(server.requests).toHaveLength(0)
    // Online through a mirror: it asks for the official fp32 path and holds the bytes to the
    // pinned size and hash (the stand-in is not the official file, so it is refused and not cached).
    const online = await withEnv({ MATTEKIT_CACHE_DIR: dir, MATTEKIT_MODEL_MIRROR: server.url }, () => createMatter()).catch(
      (e: unknown) => e,
    )
    expect(server.requests.map((r) => r.path)).toEqual(['/onnx/model.onnx'])
    expect(online).toMatchObject({ code: 'MODEL_INTEGRITY' })
    expect((online as Error).message).toContain(`expected ${fp32.bytes}`)
    expect(readdirSync(dir)).toEqual([])
  })

  it('{ url, sha256 } is downloaded once, verified, cached, and mattes; later runs work offline', async () => {
    const events: string[] = []
    const matter = await createMatter({ model: custom(), cacheDir: dir, onProgress: (e) => events.push(e.status) })
    const { matte } = await matter.matte(photo)
    expect([matte.width, matte.height]).toEqual([300, 200])
    await matter.dispose()
    expect(events.at(-1)).toBe('ready')
    expect(events).toContain('download')
    const reference = await createMatter({ model: MODEL })
    const expected = (await reference.matte(photo)).matte.data
    await reference.dispose()
    expect(Buffer.from(matte.data).equals(Buffer.from(expected))).toBe(true)

    const again = await createMatter({ model: custom(), cacheDir: dir, offline: true })
    await again.dispose()
    expect(server.requests).toHaveLength(1)
  })

  it('a cached file that passes the size check but does not load is re-hashed, re-fetched and loaded', async () => {
    await (await createMatter({ model: custom(), cacheDir: dir })).dispose()
    const path = join(dir, `${standIn.sha256}.onnx`)
    const bytes = readFileSync(path)
    bytes.fill(0xff, 0, 64) // same size, broken protobuf header
    writeFileSync(path, bytes)
    const matter = await createMatter({ model: custom(), cacheDir: dir })
    await matter.dispose()
    expect(server.requests).toHaveLength(2)
    expect(readFileSync(path).equals(standIn.data)).toBe(true)
  })

  it('refuses a URL string (no hash to verify it by) and bad model options before any request', async () => {
    for (const model of [`${server.url}/model.onnx`, 'https://example.com/modnet.onnx']) {
      await expect(createMatter({ model, cacheDir: dir })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringMatching(/\{ url, sha256 \}/),
      })
    }
    await expect(createMatter({ model: { variant: 'int4' as never }, cacheDir: dir })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: { url: `${server.url}/model.onnx` } as never, cacheDir: dir })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    await expect(createMatter({ model: custom(), cacheDir: dir, session: { intraOpNumThreads: -1 } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    expect(server.requests).toHaveLength(0)
  })

  it('an AbortSignal stops the download and leaves no file', async () => {
    server.throttle(5)
    const controller = new AbortController()
    const p = createMatter({
      model: custom(),
      cacheDir: dir,
      signal: controller.signal,
      onProgress: (e) => e.status === 'download' && e.loaded > 1_000_000 && controller.abort(),
    })
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' })
    server.throttle(0)
    expect(readdirSync(dir)).toEqual([])
  })
})
