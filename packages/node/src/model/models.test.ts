/**
 * Model delivery in Node against a local HTTP server (127.0.0.1, started here) serving the
 * stand-in model, with fault injection. Never reaches the internet.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ModelProgressEvent, isMatteError } from '@mattekit/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type ModelServer, readStandIn, startModelServer } from '../testing/model-server.js'
import { resolveCacheDir } from './cache-dir.js'
import { clearModels, ensureModel, listModels, verifyModels } from './models.js'

const standIn = readStandIn()
const KEY = `${standIn.sha256}.onnx`
let server: ModelServer
let noRange: ModelServer
let dir: string
const dirs: string[] = []

beforeAll(async () => {
  expect(createHash('sha256').update(standIn.data).digest('hex')).toBe(standIn.sha256)
  const files = { '/model.onnx': standIn.data, '/onnx/model.onnx': standIn.data }
  server = await startModelServer({ files })
  noRange = await startModelServer({ files, range: false })
})
afterAll(async () => {
  await server?.close()
  await noRange?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-models-'))
  dirs.push(dir)
  server.requests.length = 0
  noRange.requests.length = 0
  server.throttle(0)
})

const source = (base = server.url) => ({ url: `${base}/model.onnx`, sha256: standIn.sha256, bytes: standIn.bytes })
const files = (): string[] => readdirSync(dir).sort()
const sameAsStandIn = (path: string): boolean => readFileSync(path).equals(standIn.data)
const fail = async (p: Promise<unknown>): Promise<Error & { code: string }> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isMatteError(error), String(error)).toBe(true)
  return error as Error & { code: string }
}

describe('ensureModel (Node file cache, local HTTP server)', () => {
  it('downloads, verifies and caches; the next call is a cache hit with no request', async () => {
    const events: ModelProgressEvent[] = []
    const got = await ensureModel(source(), { cacheDir: dir, onProgress: (e) => events.push(e) })
    expect(got).toMatchObject({ path: join(dir, KEY), sha256: standIn.sha256, bytes: standIn.bytes, cached: false, cacheDir: dir })
    expect(sameAsStandIn(got.path)).toBe(true)
    expect(files()).toEqual([KEY]) // no temp file, partial or lock left
    expect(events.at(-1)).toEqual({ status: 'ready', location: got.path, cached: false })
    expect(events.filter((e) => e.status === 'download').at(-1)).toMatchObject({ loaded: standIn.bytes, total: standIn.bytes })

    const again = await ensureModel(source(), { cacheDir: dir })
    expect(again.cached).toBe(true)
    expect(server.requests).toHaveLength(1)
  })

  it('404: MODEL_FETCH, no retry, nothing cached', async () => {
    const e = await fail(ensureModel({ ...source(), url: `${server.url}/nope.onnx` }, { cacheDir: dir }))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/HTTP 404.*nope\.onnx/)
    expect(server.requests).toHaveLength(1)
    expect(files()).toEqual([])
  })

  it('500 then success: retried after a backoff', async () => {
    server.fault({ status: 500 }, { status: 503, retryAfter: '0' })
    const events: ModelProgressEvent[] = []
    const got = await ensureModel(source(), { cacheDir: dir, retryDelayMs: 10, onProgress: (e) => events.push(e) })
    expect(got.cached).toBe(false)
    expect(server.requests.map((r) => r.status)).toEqual([500, 503, 200])
    expect(events.filter((e) => e.status === 'retry').map((e) => (e as { reason: string }).reason)).toEqual([
      'HTTP 500 Internal Server Error',
      'HTTP 503 Service Unavailable',
    ])
    expect(files()).toEqual([KEY])
  })

  it('body cut mid-way: nothing cached, the bytes kept; the next run resumes with Range', async () => {
    server.fault({ cutAt: 10_000_000 })
    const e = await fail(ensureModel(source(), { cacheDir: dir, retries: 0 }))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/after 1 attempt: /)
    expect(files()).toEqual([`.${KEY}.partial`])
    const kept = statSync(join(dir, `.${KEY}.partial`)).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThanOrEqual(10_000_000)

    const got = await ensureModel(source(), { cacheDir: dir })
    expect(got.cached).toBe(false)
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([
      [200, undefined],
      [206, `bytes=${kept}-`],
    ])
    expect(server.requests[1]!.sent).toBe(standIn.bytes - kept)
    expect(sameAsStandIn(got.path)).toBe(true)
    expect(files()).toEqual([KEY])
  })

  it('body cut mid-way within one call: resumed by the retry', async () => {
    server.fault({ cutAt: 8_000_000 })
    const got = await ensureModel(source(), { cacheDir: dir, retryDelayMs: 1 })
    expect(server.requests.map((r) => r.status)).toEqual([200, 206])
    expect(sameAsStandIn(got.path)).toBe(true)
  })

  it('a server without Range support: the retry starts again from byte 0', async () => {
    noRange.fault({ cutAt: 6_000_000 })
    const got = await ensureModel(source(noRange.url), { cacheDir: dir, retryDelayMs: 1 })
    expect(noRange.requests.map((r) => [r.status, r.range !== undefined])).toEqual([
      [200, false],
      [200, true],
    ])
    expect(sameAsStandIn(got.path)).toBe(true)
    expect(files()).toEqual([KEY])
  })

  it('wrong bytes: MODEL_INTEGRITY (typed), nothing cached or kept', async () => {
    server.fault({ wrongBytes: true })
    const e = await fail(ensureModel(source(), { cacheDir: dir }))
    expect(e.code).toBe('MODEL_INTEGRITY')
    expect(e.message).toMatch(/SHA-256 is [0-9a-f]{64}, expected 94856028/)
    expect(server.requests).toHaveLength(1)
    expect(files()).toEqual([])
  })

  it('stalled server: abandoned after the stall timeout, with the bytes kept', async () => {
    server.fault({ stallAt: 5_000_000 })
    const t0 = Date.now()
    const e = await fail(ensureModel(source(), { cacheDir: dir, retries: 0, stallTimeoutMs: 300 }))
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/no data for 300 ms after .* \(stalled connection\)/)
    expect(files()).toEqual([`.${KEY}.partial`])
    // With a retry, the stall is survived by resuming.
    server.fault({ stallAt: 12_000_000 })
    const got = await ensureModel(source(), { cacheDir: dir, stallTimeoutMs: 300, retryDelayMs: 1 })
    expect(sameAsStandIn(got.path)).toBe(true)
  })

  it('abort mid-way: rejects promptly with ABORTED and leaves no file behind', async () => {
    server.throttle(5)
    const controller = new AbortController()
    let abortedAt = 0
    const p = ensureModel(source(), {
      cacheDir: dir,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'download' && e.loaded > 2_000_000 && !abortedAt) {
          abortedAt = Date.now()
          controller.abort(new Error('user cancelled'))
        }
      },
    })
    const e = await fail(p)
    const latency = Date.now() - abortedAt
    expect(e.code).toBe('ABORTED')
    expect(e.name).toBe('AbortError')
    expect(latency).toBeLessThan(500)
    expect(files()).toEqual([])
  })

  it('a corrupted cached file is detected (size on load, hash on request), removed and fetched again', async () => {
    const { path } = await ensureModel(source(), { cacheDir: dir })
    truncateSync(path, 1000)
    const refetched = await ensureModel(source(), { cacheDir: dir })
    expect(refetched.cached).toBe(false)
    expect(sameAsStandIn(path)).toBe(true)

    const bytes = readFileSync(path)
    bytes[123_456]! ^= 0xff
    writeFileSync(path, bytes) // same size: only a full check sees it
    expect((await ensureModel(source(), { cacheDir: dir })).cached).toBe(true)
    expect(await verifyModels({ cacheDir: dir })).toEqual([
      { path, sha256: standIn.sha256, state: 'corrupt', reason: expect.stringMatching(/SHA-256 is/) },
    ])
    expect(existsSync(path)).toBe(false)
    await ensureModel(source(), { cacheDir: dir })
    bytes[0]! ^= 0xff
    writeFileSync(path, bytes)
    expect((await ensureModel(source(), { cacheDir: dir, verify: 'full' })).cached).toBe(false)
    expect(sameAsStandIn(path)).toBe(true)
    expect(await verifyModels({ cacheDir: dir })).toEqual([{ path, sha256: standIn.sha256, state: 'ok' }])
    expect(server.requests).toHaveLength(4)
  })

  it('offline: uses the cached file, or fails with MODEL_NOT_CACHED naming the pre-fetch command; never a request', async () => {
    const e = await fail(ensureModel(source(), { cacheDir: dir, offline: true }))
    expect(e.code).toBe('MODEL_NOT_CACHED')
    expect(e.message).toContain(`mattekit models fetch --model-url ${server.url}/model.onnx --model-sha256 ${standIn.sha256}`)
    expect(e.message).toContain(`--cache-dir "${dir}"`)
    expect(server.requests).toHaveLength(0)
    expect(files()).toEqual([])
    await ensureModel(source(), { cacheDir: dir })
    const got = await ensureModel(source(), { cacheDir: dir, offline: true })
    expect(got.cached).toBe(true)
    expect(server.requests).toHaveLength(1)
  })

  it('concurrent calls in one process download once (the lock), and all get the verified file', async () => {
    server.throttle(2)
    const waits: number[] = []
    const all = await Promise.all(
      [0, 1, 2].map((i) => ensureModel(source(), { cacheDir: dir, onProgress: (e) => e.status === 'wait' && waits.push(i) })),
    )
    expect(server.requests).toHaveLength(1)
    expect(new Set(all.map((g) => g.path)).size).toBe(1)
    expect(all.filter((g) => !g.cached)).toHaveLength(1)
    expect(waits).toHaveLength(2)
    expect(files()).toEqual([KEY])
  })

  it('a stale lock (dead holder, or not refreshed for too long) is recovered; a live one is waited for', async () => {
    const lock = join(dir, `.${KEY}.lock`)
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), createdAt: Date.now(), nonce: 'dead' }))
    await ensureModel(source(), { cacheDir: dir })
    expect(files()).toEqual([KEY])
    await clearModels({ cacheDir: dir })

    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: 'elsewhere', createdAt: 0, nonce: 'old' }))
    const old = new Date(Date.now() - 120_000)
    utimesSync(lock, old, old)
    await ensureModel(source(), { cacheDir: dir })
    expect(files()).toEqual([KEY])
    await clearModels({ cacheDir: dir })

    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), createdAt: Date.now(), nonce: 'live' }))
    let waited = false
    let done = false
    const p = ensureModel(source(), { cacheDir: dir, onProgress: (e) => void (e.status === 'wait' && (waited = true)) }).then((g) => {
      done = true
      return g
    })
    await new Promise((r) => setTimeout(r, 400))
    expect([waited, done]).toEqual([true, false])
    rmSync(lock)
    expect((await p).cached).toBe(false)
  })

  it('adopts the temp file of a process killed mid-download and resumes it', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(join(dir, `.${KEY}.${dead}.0badc0de.tmp`), standIn.data.subarray(0, 4_000_000))
    const got = await ensureModel(source(), { cacheDir: dir })
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=4000000-'])
    expect(sameAsStandIn(got.path)).toBe(true)
    expect(files()).toEqual([KEY])
  })

  it('an unusable cache directory is a clear MODEL_FETCH error (here: its parent is a file)', async () => {
    // The real read-only case (EACCES) runs in test/e2e/models-cli.test.ts as an unprivileged user.
    writeFileSync(join(dir, 'file'), 'x')
    const e = await fail(ensureModel(source(), { cacheDir: join(dir, 'file', 'cache') }))
    expect(e.code).toBe('MODEL_FETCH')
    expect(e.message).toMatch(/cannot be created or used: part of its path is a file \(E(NOTDIR|EXIST)\).*MATTEKIT_CACHE_DIR/)
  })

  it('a mirror serves the official files under their paths; the pinned hash still decides', async () => {
    const e = await fail(ensureModel({ variant: 'fp32' }, { cacheDir: dir, mirror: server.url }))
    expect(server.requests.map((r) => r.path)).toEqual(['/onnx/model.onnx'])
    expect(e.code).toBe('MODEL_INTEGRITY') // the stand-in is not the official file
    expect(e.message).toMatch(/announces 25897553 bytes, expected 25888640/)
    expect(files()).toEqual([])
    await expect(ensureModel({ variant: 'fp32' }, { cacheDir: dir, mirror: 'http://mirror.example.com' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
  })

  it('model URLs must be https (plain http on loopback only)', async () => {
    await expect(ensureModel({ ...source(), url: 'http://example.com/model.onnx' }, { cacheDir: dir })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/must use https/),
    })
    await expect(ensureModel({ url: `${server.url}/model.onnx`, sha256: 'x' } as never, { cacheDir: dir })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
  })

  it('listModels and clearModels see only MatteKit files', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    await ensureModel(source(), { cacheDir: dir })
    const listing = await listModels({ cacheDir: dir })
    expect(listing.cacheDir).toBe(dir)
    expect(listing.official.map((o) => [o.variant, o.state])).toEqual([
      ['fp32', 'missing'],
      ['fp16', 'missing'],
      ['uint8', 'missing'],
    ])
    expect(listing.custom).toEqual([{ sha256: standIn.sha256, path: join(dir, KEY), bytes: standIn.bytes }])
    expect(await clearModels({ cacheDir: dir })).toEqual([join(dir, KEY)])
    expect(files()).toEqual(['notes.txt'])
  })
})

describe('resolveCacheDir', () => {
  it('option > MATTEKIT_CACHE_DIR > the OS user cache (never node_modules)', () => {
    const env = { MATTEKIT_CACHE_DIR: '/env/cache', XDG_CACHE_HOME: '/xdg', LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }
    expect(resolveCacheDir({ cacheDir: '/opt/models', env })).toBe('/opt/models')
    expect(resolveCacheDir({ env })).toBe('/env/cache')
    expect(resolveCacheDir({ env: { XDG_CACHE_HOME: '/xdg' }, platform: 'linux', homedir: '/home/me' })).toBe('/xdg/mattekit/models')
    expect(resolveCacheDir({ env: { XDG_CACHE_HOME: 'relative' }, platform: 'linux', homedir: '/home/me' })).toBe(
      '/home/me/.cache/mattekit/models',
    )
    expect(resolveCacheDir({ env: {}, platform: 'darwin', homedir: '/Users/me' })).toBe('/Users/me/Library/Caches/mattekit/models')
    expect(resolveCacheDir({ env: { LOCALAPPDATA: env.LOCALAPPDATA }, platform: 'win32', homedir: 'C:\\Users\\me' })).toBe(
      'C:\\Users\\me\\AppData\\Local\\mattekit\\Cache\\models',
    )
    expect(resolveCacheDir({ env: {}, platform: 'win32', homedir: 'C:\\Users\\me' })).toBe('C:\\Users\\me\\AppData\\Local\\mattekit\\Cache\\models')
    expect(() => resolveCacheDir({ env: {}, platform: 'linux', homedir: '' })).toThrow(/MATTEKIT_CACHE_DIR/)
    expect(resolveCacheDir()).not.toMatch(/node_modules/)
  })
})
