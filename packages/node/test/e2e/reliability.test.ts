/**
 * Reliability: hostile inputs, faults and load on the Node entry points. Each case asserts a
 * typed error (or a correct result), no output file left behind, and a Matter that still works.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMatter, isMatteError, matteVideo, type NodeMatter } from '../../src/index.js'
import { CLI, FIXTURES, MODEL, ROOT } from '../paths.js'

let dir: string
let matter: NodeMatter
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-reliability-'))
  matter = await createMatter({ model: MODEL })
})
afterAll(async () => {
  await matter?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const variant = (name: string): string => join(FIXTURES, 'variants', name)
const works = async (m: NodeMatter = matter): Promise<void> => {
  const r = await m.matte(variant('grey-320x240.png'))
  expect(r.matte.width).toBe(320)
}

describe('degenerate and hostile inputs (API)', () => {
  it.each([
    ['0-width raw pixels', { data: new Uint8Array(0), width: 0, height: 10, channels: 3 }, 'INVALID_INPUT'],
    ['NaN size', { data: new Uint8Array(3), width: Number.NaN, height: 1, channels: 3 }, 'INVALID_INPUT'],
    ['negative size', { data: new Uint8Array(3), width: -1, height: -1, channels: 3 }, 'INVALID_INPUT'],
    ['5 channels', { data: new Uint8Array(5), width: 1, height: 1, channels: 5 }, 'INVALID_INPUT'],
    ['short data', { data: new Uint8Array(10), width: 4, height: 4, channels: 3 }, 'INVALID_INPUT'],
    ['a string of bytes', 'not-a-file-\u0000', 'INVALID_INPUT'],
    ['an empty buffer', new Uint8Array(0), 'INVALID_INPUT'],
    ['20x600 (keep branch rounds to 0)', { data: new Uint8Array(20 * 600 * 3), width: 20, height: 600, channels: 3 }, 'IMAGE_TOO_SMALL'],
  ])('%s -> %s, Matter still usable', async (_name, input, code) => {
    const error = await matter.matte(input as never).catch((e: unknown) => e)
    expect(isMatteError(error, code as never), String(error)).toBe(true)
    await works()
  })

  it('a detached buffer -> INVALID_INPUT', async () => {
    const data = new Uint8Array(8 * 8 * 3)
    structuredClone(data.buffer, { transfer: [data.buffer] })
    await expect(matter.matte({ data, width: 8, height: 8, channels: 3 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('1x1 and 33x4000 work (model inputs 512x512 and 32x4000)', async () => {
    const one = await matter.matte({ data: new Uint8Array([10, 200, 30]), width: 1, height: 1, channels: 3 })
    expect([one.matte.width, one.matte.height, one.modelSize.width, one.modelSize.height]).toEqual([1, 1, 512, 512])
    const tall = await matter.matte({ data: new Uint8Array(33 * 4000 * 3).fill(128), width: 33, height: 4000, channels: 3 })
    expect([tall.matte.width, tall.matte.height]).toEqual([33, 4000])
    expect(tall.modelSize).toEqual({ width: 32, height: 4000 })
  })

  it('NaN, negative and wrong-type options -> INVALID_OPTION', async () => {
    await expect(createMatter({ model: MODEL, maxPixels: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: MODEL, session: { intraOpNumThreads: -2 } })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matter.matte(variant('grey-320x240.png'), { signal: 42 as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })

  it('an abort mid-call rejects with ABORTED and the next call works', async () => {
    const controller = new AbortController()
    const pending = matter.matte(variant('rgb-600x400-baseline.jpg'), { signal: controller.signal })
    setTimeout(() => controller.abort(), 5)
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', name: 'AbortError' })
    await works()
  })
})

describe('hostile inputs (CLI)', () => {
  const cli = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', CLI, ...args, '--model', MODEL], { cwd: ROOT, encoding: 'utf8' })
    return { status: r.status, stderr: r.stderr }
  }

  it('a decompression-bomb header and --max-pixels: IMAGE_TOO_LARGE, exit 1, no output; a bad --max-pixels is a usage error', () => {
    const out = join(dir, 'cli-bomb')
    mkdirSync(out)
    const bomb = cli([join(FIXTURES, 'bad', 'huge-100000x100000.png'), '-o', out])
    expect(bomb.status).toBe(1)
    expect(bomb.stderr).toContain('IMAGE_TOO_LARGE')
    const limited = cli([join(FIXTURES, 'astronaut.png'), '-o', out, '--max-pixels', '1000'])
    expect(limited.status).toBe(1)
    expect(limited.stderr).toContain('IMAGE_TOO_LARGE')
    expect(readdirSync(out)).toEqual([])
    const usage = cli([join(FIXTURES, 'astronaut.png'), '-o', out, '--max-pixels', '-5'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toContain('--max-pixels')
    expect(cli([join(FIXTURES, 'variants', 'grey-320x240.png'), '-o', out, '--max-pixels', '76800']).status).toBe(0)
    expect(readdirSync(out)).toEqual(['grey-320x240.png'])
  })
})

describe('load', () => {
  it('64 concurrent matte() calls on one Matter are all correct', async () => {
    const files = ['grey-320x240.png', 'rgb-300x200-444.jpg', 'rgba-300x200.png', 'rgb-200x120-exif6.jpg']
    const expected: Buffer[] = []
    for (const f of files) expected.push(Buffer.from((await matter.matte(variant(f))).matte.data))
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => matter.matte(variant(files[i % 4]!))))
    results.forEach((r, i) => expect(Buffer.from(r.matte.data).equals(expected[i % 4]!), `call ${i}`).toBe(true))
  }, 240_000)

  it('dispose while calls are in flight rejects them with DISPOSED, cleanly', async () => {
    const m = await createMatter({ model: MODEL })
    const calls = Array.from({ length: 4 }, () => m.matte(variant('grey-320x240.png')).then(() => 'ok', (e: unknown) => e))
    await new Promise((r) => setTimeout(r, 20))
    await m.dispose()
    const outcomes = await Promise.all(calls)
    for (const o of outcomes) if (o !== 'ok') expect(isMatteError(o, 'DISPOSED'), String(o)).toBe(true)
    expect(outcomes.some((o) => o !== 'ok')).toBe(true)
    await expect(m.matte(variant('grey-320x240.png'))).rejects.toMatchObject({ code: 'DISPOSED' })
  })
})

describe('faults', () => {
  it('the model file deleted after load: the Matter keeps working', async () => {
    const copy = join(dir, 'model-copy.onnx')
    copyFileSync(MODEL, copy)
    const m = await createMatter({ model: copy })
    try {
      rmSync(copy)
      await works(m)
    } finally {
      await m.dispose()
    }
  })

  it('the model file corrupted after load: the Matter keeps working; a new one fails with MODEL_LOAD', async () => {
    const copy = join(dir, 'model-overwritten.onnx')
    copyFileSync(MODEL, copy)
    const m = await createMatter({ model: copy })
    try {
      writeFileSync(copy, Buffer.alloc(4096, 0x5a)) // same path, garbage bytes
      await works(m)
      await expect(createMatter({ model: copy })).rejects.toMatchObject({ code: 'MODEL_LOAD' })
      await works(m)
    } finally {
      await m.dispose()
    }
  })

  it('a corrupted model file fails with MODEL_LOAD', async () => {
    const bad = join(dir, 'corrupt.onnx')
    const bytes = execFileSync('head', ['-c', '200000', MODEL])
    writeFileSync(bad, bytes)
    await expect(createMatter({ model: bad })).rejects.toMatchObject({ code: 'MODEL_LOAD' })
  })

  it('hostile video files and options: typed errors, no output file, and the next video works', async () => {
    const vdir = join(dir, 'hostile-video')
    mkdirSync(vdir)
    const clip = join(vdir, 'ok.mp4')
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'), '-vf', 'crop=96:64', '-r', '10', '-frames:v', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip])
    const bytes = execFileSync('cat', [clip])
    writeFileSync(join(vdir, 'empty.mp4'), new Uint8Array(0))
    writeFileSync(join(vdir, 'truncated.mp4'), bytes.subarray(0, Math.floor(bytes.length / 2)))
    writeFileSync(join(vdir, 'text.mp4'), 'this is not a video\n')
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['empty file', () => matteVideo(join(vdir, 'empty.mp4'), join(vdir, 'out-empty.mp4'), { matter }), 'INVALID_INPUT'],
      ['truncated file', () => matteVideo(join(vdir, 'truncated.mp4'), join(vdir, 'out-trunc.mp4'), { matter }), 'INVALID_INPUT'],
      ['text file', () => matteVideo(join(vdir, 'text.mp4'), join(vdir, 'out-text.mp4'), { matter }), 'INVALID_INPUT'],
      ['missing file', () => matteVideo(join(vdir, 'missing.mp4'), join(vdir, 'out-missing.mp4'), { matter }), 'INVALID_INPUT'],
      ['a directory', () => matteVideo(vdir, join(vdir, 'out-dir.mp4'), { matter }), 'INVALID_INPUT'],
      ['NaN stabiliser threshold', () => matteVideo(clip, join(vdir, 'out-nan.mp4'), { matter, stabilizer: { mode: 'ofd', threshold: Number.NaN } }), 'INVALID_OPTION'],
      ['unknown output kind', () => matteVideo(clip, join(vdir, 'out-kind.mp4'), { matter, output: 'rainbow' as never }), 'INVALID_OPTION'],
      ['a missing background image', () => matteVideo(clip, join(vdir, 'out-bg.mp4'), { matter, background: 'no-such-background.png' }), 'INVALID_INPUT'],
      ['no matter', () => matteVideo(clip, join(vdir, 'out-none.mp4'), {} as never), 'INVALID_OPTION'],
    ]
    for (const [name, run, code] of cases) {
      const error = await run().catch((e: unknown) => e)
      expect(isMatteError(error, code as never), `${name}: ${String(error)}`).toBe(true)
    }
    expect(readdirSync(vdir).filter((f) => f.startsWith('out-') || f.includes('.tmp'))).toEqual([])
    const ok = await matteVideo(clip, join(vdir, 'good.mp4'), { matter })
    expect(ok.frames).toBe(6)
    await works()
  })

  it('ffmpeg dying mid-video: OUTPUT error, both processes gone, no output or temp file', async () => {
    const clip = join(dir, 'clip.mp4')
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'), '-vf', 'crop=160:120', '-r', '10', '-frames:v', '12', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip])
    // A fake ffmpeg whose encoder (the process reading frames from stdin) dies after ~3 frames.
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const real = execFileSync('which', ['ffmpeg'], { encoding: 'utf8' }).trim()
    writeFileSync(
      join(bin, 'ffmpeg'),
      `#!/bin/sh\ncase "$*" in *pipe:0*) head -c 150000 >/dev/null; echo "encoder crashed" >&2; exit 1;; esac\nexec ${real} "$@"\n`,
    )
    chmodSync(join(bin, 'ffmpeg'), 0o755)
    symlinkSync(execFileSync('which', ['ffprobe'], { encoding: 'utf8' }).trim(), join(bin, 'ffprobe'))
    const out = join(dir, 'video-out')
    mkdirSync(out)
    const error = await matteVideo(clip, join(out, 'x.mp4'), { matter, ffmpegPath: join(bin, 'ffmpeg') }).catch((e: unknown) => e)
    expect(isMatteError(error, 'OUTPUT'), String(error)).toBe(true)
    expect(readdirSync(out)).toEqual([])
    await works()
  })

  it.skipIf(process.getuid?.() !== 0)('the output disk full (a 64 KiB tmpfs): per-image OUTPUT errors, no partial files, exit 1', async () => {
    const mnt = join(dir, 'full')
    mkdirSync(mnt)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt])
    } catch {
      console.warn('skipped: tmpfs cannot be mounted here')
      return
    }
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', CLI, join(FIXTURES, 'astronaut.png'), join(FIXTURES, 'camera.png'), '-o', mnt, '--model', MODEL, '--output', 'cutout'], { cwd: ROOT })
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => (stderr += d))
        child.on('close', (code) => resolve({ code, stderr }))
      })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/OUTPUT: Could not write/)
      // Whatever made it is complete; nothing half-written, no temp files.
      for (const f of readdirSync(mnt)) expect(f.startsWith('.')).toBe(false)
    } finally {
      execFileSync('umount', [mnt])
    }
  })

  it('SIGTERM during the CLI: non-zero exit, temp files removed', async () => {
    const input = join(dir, 'term-in')
    const out = join(dir, 'term-out')
    mkdirSync(input)
    for (let i = 0; i < 8; i++) copyFileSync(join(FIXTURES, 'astronaut.png'), join(input, `p${i}.png`))
    const child = spawn(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', CLI, input, '-o', out, '--model', MODEL], { cwd: ROOT })
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(out) && readdirSync(out).some((f) => !f.startsWith('.'))) {
          clearInterval(t)
          resolve()
        }
      }, 20)
    })
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(code).not.toBe(0)
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([])
  })
})
