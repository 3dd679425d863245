/**
 * `mattekit models ...` and the main command's model flags, spawned as users run them, against a
 * local HTTP server (127.0.0.1, started here) serving the stand-in model. Never the internet,
 * never the user's real cache (every run gets MATTEKIT_CACHE_DIR or --cache-dir).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MODNET_LICENSE_NOTICE, MODNET_MODELS } from '@mattekit/core'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type ModelServer, readStandIn, startModelServer } from '../../src/testing/model-server.js'
import { CLI, FIXTURES, ROOT } from '../paths.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const standIn = readStandIn()
const KEY = `${standIn.sha256}.onnx`
let server: ModelServer
let dir: string
const dirs: string[] = []

/** A child's environment: no inherited MatteKit settings, so the user's cache is never touched. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const k of Object.keys(env)) if (k.startsWith('MATTEKIT_')) delete env[k]
  return { ...env, MATTEKIT_CACHE_DIR: join(dir, 'default-cache'), ...extra }
}

function start(args: readonly string[], env: Record<string, string> = {}, options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    ...options,
  })
}

function finish(child: ChildProcess): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d))
    child.stderr!.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const run = (args: readonly string[], env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<Run> =>
  finish(start(args, env, options))

const modelFlags = (): string[] => ['--model-url', `${server.url}/model.onnx`, '--model-sha256', standIn.sha256]

beforeAll(async () => {
  server = await startModelServer({ files: { '/model.onnx': standIn.data, '/onnx/model.onnx': standIn.data } })
})
afterAll(async () => {
  await server?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-models-cli-'))
  dirs.push(dir)
  server.requests.length = 0
  server.throttle(0)
})

describe('mattekit models', () => {
  it('list: variants, sizes, cached or not, the cache path and the licence notice (also shipped as MODEL-LICENSE.md)', async () => {
    const cache = join(dir, 'c')
    const r = await run(['models', 'list', '--cache-dir', cache])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`Model cache: ${cache}`)
    expect(r.stdout).toMatch(/fp32\s+24\.7 MiB\s+no\s+07c308cf0fc7e6e8\s+onnx\/model\.onnx/)
    expect(r.stdout).toMatch(/fp16\s+12\.4 MiB\s+no/)
    expect(r.stdout).toMatch(/uint8\s+6\.3 MiB\s+no/)
    expect(r.stdout).toContain(MODNET_LICENSE_NOTICE)
    const json = JSON.parse((await run(['models', 'list', '--json', '--cache-dir', cache])).stdout)
    expect(json.official.map((m: { variant: string; bytes: number }) => [m.variant, m.bytes])).toEqual(
      Object.values(MODNET_MODELS).map((m) => [m.variant, m.bytes]),
    )
    // The notice ships with the package.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/node/package.json'), 'utf8')) as { files: string[] }
    expect(pkg.files).toContain('MODEL-LICENSE.md')
    expect(readFileSync(join(ROOT, 'packages/node/MODEL-LICENSE.md'), 'utf8')).toContain(MODNET_LICENSE_NOTICE)
    expect(server.requests).toHaveLength(0)
  })

  it('fetch, list, verify (a corrupted file is found and removed), clear', async () => {
    const cache = join(dir, 'c')
    const fetched = await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache])
    expect(fetched.code, fetched.stderr).toBe(0)
    expect(fetched.stdout).toContain(`downloaded: ${join(cache, KEY)}`)
    expect(fetched.stderr).toMatch(/downloading .*model\.onnx .*\(24\.7 MiB\)/)
    expect(fetched.stderr).toMatch(/verified \(SHA-256\) and cached at/)
    expect(readFileSync(join(cache, KEY)).equals(standIn.data)).toBe(true)
    const again = await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache])
    expect(again.stdout).toContain('already cached')
    expect(again.stderr).toBe('')
    expect(server.requests).toHaveLength(1)

    expect((await run(['models', 'list', '--cache-dir', cache])).stdout).toContain(`${standIn.sha256}  24.7 MiB`)
    const ok = await run(['models', 'verify', '--cache-dir', cache])
    expect([ok.code, ok.stdout]).toEqual([0, `ok       ${standIn.sha256}  ${join(cache, KEY)}\n`])

    const bytes = readFileSync(join(cache, KEY))
    bytes[1000]! ^= 1
    writeFileSync(join(cache, KEY), bytes)
    const bad = await run(['models', 'verify', '--cache-dir', cache])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/CORRUPT .*SHA-256 is .*removed/)
    expect(existsSync(join(cache, KEY))).toBe(false)

    await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache])
    const cleared = await run(['models', 'clear', '--cache-dir', cache])
    expect([cleared.code, cleared.stdout]).toEqual([0, `removed ${join(cache, KEY)}\n`])
    expect(readdirSync(cache)).toEqual([])
  })

  it('usage errors exit 2: a URL without its hash, plain http off loopback, an unknown variant', async () => {
    const cases: [string[], RegExp][] = [
      [['models', 'fetch', '--model-url', `${server.url}/model.onnx`], /needs --model-sha256/],
      [['models', 'fetch', '--model-url', 'http://example.com/m.onnx', '--model-sha256', standIn.sha256], /must use https/],
      [['models', 'fetch', '--variant', 'int4'], /--variant must be one of fp32, fp16, uint8/],
      [['models', 'fetch', '--variant', 'fp16', ...modelFlags()], /exclusive/],
      [['models', 'frobnicate'], /for the model cache: mattekit models fetch\|list\|verify\|clear/],
      [[join(FIXTURES, 'astronaut.png'), '-o', join(dir, 'x.png'), '--model', 'm.onnx', '--variant', 'fp16'], /--model \(a local file\) goes without/],
      [[join(FIXTURES, 'astronaut.png'), '-o', join(dir, 'x.png'), '--model-sha256', standIn.sha256], /goes with --model-url/],
      [[join(FIXTURES, 'astronaut.png'), '-o', join(dir, 'x.png'), '--model', `${server.url}/model.onnx`], /for a URL use --model-url/],
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    expect(server.requests).toHaveLength(0)
  })

  it('fetch of an official variant through a mirror is held to the pinned hash', async () => {
    const r = await run(['models', 'fetch', '--variant', 'fp32', '--cache-dir', join(dir, 'c')], { MATTEKIT_MODEL_MIRROR: server.url })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/MODEL_INTEGRITY: .*announces 25897553 bytes, expected 25888640/)
    expect(server.requests.map((q) => q.path)).toEqual(['/onnx/model.onnx'])
  })

  it('four processes at once: one download, all succeed with the verified file', async () => {
    const cache = join(dir, 'shared')
    let release!: () => void
    server.fault({ gate: new Promise<void>((resolve) => (release = resolve)) })
    const children = [0, 1, 2, 3].map(() => start(['models', 'fetch', ...modelFlags(), '--cache-dir', cache]))
    let waiting = 0
    for (const child of children) {
      child.stderr!.on('data', (d: Buffer) => {
        if (/another process is downloading/.test(String(d))) waiting++
      })
    }
    const results = Promise.all(children.map(finish))
    // Hold the one download until the three others are waiting on its lock (or 60 s passed).
    const deadline = Date.now() + 60_000
    while ((server.requests.length < 1 || waiting < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    release()
    const runs = await results
    for (const r of runs) expect(r.code, r.stderr).toBe(0)
    expect(server.requests).toHaveLength(1)
    expect(waiting).toBe(3)
    expect(runs.filter((r) => r.stdout.startsWith('downloaded:'))).toHaveLength(1)
    expect(runs.filter((r) => r.stdout.startsWith('already cached:'))).toHaveLength(3)
    expect(readdirSync(cache)).toEqual([KEY])
    expect(readFileSync(join(cache, KEY)).equals(standIn.data)).toBe(true)
  })

  it('a read-only cache directory: a clear error; a model already in it is still used', async () => {
    // Root ignores permission bits, so when these tests run as root the child runs as `nobody`
    // (uid/gid 65534) against a root-owned 0755 directory: a genuinely unwritable directory.
    // As an ordinary user, the directory is chmod'ed 0555 instead.
    const cache = join(dir, 'ro')
    mkdirSync(cache)
    const asRoot = process.getuid?.() === 0
    const options: SpawnOptions = asRoot ? { uid: 65534, gid: 65534 } : {}
    chmodSync(dir, 0o755)
    chmodSync(cache, asRoot ? 0o755 : 0o555)
    try {
      const r = await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache], {}, options)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/MODEL_FETCH: The model cache directory .*ro is not writable \((EACCES|EPERM|EROFS) while trying to/)
      expect(r.stderr).toMatch(/MATTEKIT_CACHE_DIR/)
      expect(readdirSync(cache)).toEqual([])
      // Pre-fetched by someone who can write, then used read-only.
      chmodSync(cache, 0o755)
      expect((await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache])).code).toBe(0)
      if (!asRoot) chmodSync(cache, 0o555)
      const ok = await run(['models', 'fetch', ...modelFlags(), '--cache-dir', cache, '--json'], { MATTEKIT_OFFLINE: '1' }, options)
      expect(ok.code, ok.stderr).toBe(0)
      expect(JSON.parse(ok.stdout)).toMatchObject({ cached: true, path: join(cache, KEY) })
    } finally {
      chmodSync(cache, 0o755)
    }
  })

  it('SIGINT during a download: exits 130 and leaves no file in the cache', async () => {
    const cache = join(dir, 'c')
    server.throttle(10)
    const child = start(['models', 'fetch', ...modelFlags(), '--cache-dir', cache])
    const result = finish(child)
    await server.sendsMore(2_000_000)
    child.kill('SIGINT')
    const r = await result
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/interrupted/)
    expect(readdirSync(cache)).toEqual([])
  })
})

describe('mattekit without --model', () => {
  it('downloads a custom model by URL and hash into --cache-dir, then runs offline; offline without it fails clearly', async () => {
    const cache = join(dir, 'c')
    const out = join(dir, 'alpha.png')
    const photo = join(FIXTURES, 'variants', 'rgb-300x200-444.jpg')
    const r = await run([photo, '-o', out, ...modelFlags(), '--cache-dir', cache])
    expect(r.code, r.stderr).toBe(0)
    const meta = await sharp(out).metadata()
    expect([meta.width, meta.height, meta.channels]).toEqual([300, 200, 1])
    expect(r.stderr).toMatch(/verified \(SHA-256\) and cached/)

    const offline = await run([photo, '-o', join(dir, 'again.png'), ...modelFlags(), '--cache-dir', cache], { MATTEKIT_OFFLINE: '1' })
    expect(offline.code, offline.stderr).toBe(0)
    expect(offline.stderr).toBe('')
    expect(server.requests).toHaveLength(1)

    const missing = await run([photo, '-o', join(dir, 'none.png'), '--cache-dir', join(dir, 'empty'), '--offline'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/MODEL_NOT_CACHED: MODNet fp32 is not in the model cache .*mattekit models fetch --variant fp32/)
    expect(existsSync(join(dir, 'none.png'))).toBe(false)
    expect(server.requests).toHaveLength(1)
  })
})
