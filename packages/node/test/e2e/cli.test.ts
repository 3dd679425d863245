/**
 * The `mattekit` binary, spawned as users run it (from sources through tsx, so no build step).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, FIXTURES, MODEL, ROOT } from '../paths.js'

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function start(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  })
}

function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = start(args)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d))
    child.stderr!.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const files = (d: string): string[] => readdirSync(d).sort()

describe('mattekit CLI', () => {
  it('--help explains the interface and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const word of ['-o', '--model', '--output', 'alpha', 'cutout', 'composite', '--background', '--json']) {
      expect(r.stdout).toContain(word)
    }
  })

  it('usage errors exit 2 with a hint', async () => {
    const r = await run([join(FIXTURES, 'astronaut.png')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no output given/)
    expect((await run(['x.png', '-o', 'y.png', '--model', MODEL, '--output', 'sepia'])).code).toBe(2)
  })

  it('one file -> one 8-bit single-channel alpha PNG of the input size', async () => {
    const out = join(dir, 'single', 'astronaut-alpha.png')
    const r = await run([join(FIXTURES, 'variants', 'rgb-300x200-444.jpg'), '-o', join(dir, 'single/'), '--model', MODEL])
    expect(r.code).toBe(0)
    const meta = await sharp(join(dir, 'single', 'rgb-300x200-444.png')).metadata()
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([300, 200, 1, 'uchar'])
    const r2 = await run([join(FIXTURES, 'astronaut.png'), '-o', out, '--model', MODEL])
    expect(r2.code).toBe(0)
    expect(existsSync(out)).toBe(true)
  })

  it('a directory -> <stem>.png per image; failures exit 1, are printed with their code, and leave no file', async () => {
    const input = join(dir, 'in')
    const out = join(dir, 'out')
    rmSync(input, { recursive: true, force: true })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(input)
    copyFileSync(join(FIXTURES, 'variants', 'grey-320x240.png'), join(input, 'grey.png'))
    copyFileSync(join(FIXTURES, 'variants', 'rgb-333x511-progressive.jpg'), join(input, 'tall.jpg'))
    copyFileSync(join(FIXTURES, 'bad', 'truncated.png'), join(input, 'broken.png'))
    writeFileSync(join(input, 'notes.txt'), 'not an image, and not picked up')
    const r = await run([input, '-o', out, '--model', MODEL, '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/broken\.png: CORRUPT_IMAGE: /)
    expect(files(out)).toEqual(['grey.png', 'tall.png']) // nothing for the broken one, no temp files
    const summary = JSON.parse(r.stdout)
    expect(summary.ok).toBe(2)
    expect(summary.failed).toBe(1)
    const tall = summary.results.find((x: { input: string }) => x.input.endsWith('tall.jpg'))
    expect(tall).toMatchObject({ ok: true, width: 333, height: 511, modelSize: { width: 512, height: 768 } })
    expect(Object.keys(tall.timings)).toEqual(['decode', 'preprocess', 'inference', 'postprocess', 'total'])
  })

  it('--output cutout writes RGBA; --output composite with a colour, an image or blur writes RGB', async () => {
    const src = join(FIXTURES, 'variants', 'rgb-300x200-444.jpg')
    const cases: [string[], number][] = [
      [['--output', 'cutout'], 4],
      [['--output', 'composite', '--background', '#00b140'], 3],
      [['--output', 'composite', '--background', join(FIXTURES, 'camera.png')], 3],
      [['--output', 'composite', '--background', 'blur'], 3],
      [['--output', 'composite'], 3],
    ]
    for (const [i, [flags, channels]] of cases.entries()) {
      const out = join(dir, `kind-${i}.png`)
      const r = await run([src, '-o', out, '--model', MODEL, ...flags])
      expect(r.code, r.stderr).toBe(0)
      const meta = await sharp(out).metadata()
      expect([meta.width, meta.height, meta.channels]).toEqual([300, 200, channels])
    }
  })

  it('never overwrites an input, even through another path', async () => {
    const input = join(dir, 'keep.png')
    copyFileSync(join(FIXTURES, 'variants', 'grey-320x240.png'), input)
    const before = readFileSync(input)
    const r = await run([input, '-o', join(dir, '.', 'keep.png'), '--model', MODEL])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/OUTPUT: refusing to overwrite the input/)
    expect(readFileSync(input)).toEqual(before)
  })

  it('a bad model fails with MODEL_LOAD and writes nothing', async () => {
    const out = join(dir, 'nomodel.png')
    const r = await run([join(FIXTURES, 'astronaut.png'), '-o', out, '--model', join(FIXTURES, 'camera.png')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/MODEL_LOAD/)
    expect(existsSync(out)).toBe(false)
  })

  it('SIGINT mid-run: exits non-zero, removes temp files, leaves only complete outputs', async () => {
    const input = join(dir, 'many')
    const out = join(dir, 'many-out')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(input, { recursive: true })
    for (let i = 0; i < 12; i++) copyFileSync(join(FIXTURES, 'astronaut.png'), join(input, `p${i}.png`))
    const child = start([input, '-o', out, '--model', MODEL])
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d))
    // Interrupt once the first output exists.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (existsSync(out) && files(out).some((f) => f.endsWith('.png') && !f.startsWith('.'))) {
          clearInterval(timer)
          resolve()
        }
      }, 20)
    })
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(code).not.toBe(0)
    const written = files(out)
    expect(written.filter((f) => f.includes('.tmp'))).toEqual([])
    expect(written.length).toBeLessThan(12)
    for (const f of written) {
      const meta = await sharp(join(out, f)).metadata() // complete, decodable PNGs only
      expect(meta.width).toBe(512)
      expect(statSync(join(out, f)).size).toBeGreaterThan(0)
    }
    expect(stderr).not.toMatch(/internal error/)
  })

  it('--skip-existing resumes an interrupted batch; --concurrency bounds the images in flight', async () => {
    const input = join(dir, 'resume-in')
    const out = join(dir, 'resume-out')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(input, { recursive: true })
    for (const [i, f] of ['grey-320x240.png', 'rgb-300x200-444.jpg', 'rgba-300x200.png'].entries()) {
      copyFileSync(join(FIXTURES, 'variants', f), join(input, `r${i}${f.slice(f.lastIndexOf('.'))}`))
    }
    const first = await run([input, '-o', out, '--model', MODEL, '--concurrency', '3', '--json'])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: 3, failed: 0, skipped: 0 })
    const before = statSync(join(out, 'r1.png')).mtimeMs
    rmSync(join(out, 'r2.png')) // as if the run had been interrupted before the last image
    const again = await run([input, '-o', out, '--model', MODEL, '--skip-existing', '--json'])
    expect(again.code).toBe(0)
    const summary = JSON.parse(again.stdout)
    expect(summary).toMatchObject({ ok: 1, skipped: 2, failed: 0 })
    expect(statSync(join(out, 'r1.png')).mtimeMs).toBe(before)
    expect(files(out)).toEqual(['r0.png', 'r1.png', 'r2.png'])
    expect((await run([input, '-o', out, '--model', MODEL, '--concurrency', '0'])).code).toBe(2)
  })

  it('--sessions: throughput (the batch default), latency and a number write the same files; bad values are usage errors', async () => {
    const input = join(dir, 'resume-in') // the three images of the test above
    const outputs: Buffer[][] = []
    for (const flags of [[], ['--sessions', 'latency'], ['--sessions', '2', '--concurrency', '1'], ['--sessions', 'throughput', '--threads', '1']]) {
      const out = join(dir, `sessions-${outputs.length}`)
      expect((await run([input, '-o', out, '--model', MODEL, ...flags])).code).toBe(0)
      outputs.push(files(out).map((f) => readFileSync(join(out, f))))
    }
    expect(outputs[0]).toHaveLength(3)
    for (const other of outputs.slice(1)) other.forEach((png, i) => expect(png.equals(outputs[0]![i]!)).toBe(true))
    for (const bad of ['0', '65', 'fast', '1.5']) {
      const r = await run([input, '-o', join(dir, 'sessions-bad'), '--model', MODEL, '--sessions', bad])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/--sessions needs/)
    }
  })

  it('--foreground estimate changes only soft-edge colours of a cut-out', async () => {
    const src = join(FIXTURES, 'variants', 'rgb-300x200-444.jpg')
    const plain = join(dir, 'fg-plain.png')
    const est = join(dir, 'fg-est.png')
    expect((await run([src, '-o', plain, '--model', MODEL, '--output', 'cutout'])).code).toBe(0)
    expect((await run([src, '-o', est, '--model', MODEL, '--output', 'cutout', '--foreground', 'estimate'])).code).toBe(0)
    const a = await sharp(plain).raw().toBuffer()
    const b = await sharp(est).raw().toBuffer()
    let changed = 0
    for (let i = 0; i < a.length; i += 4) {
      expect(b[i + 3]).toBe(a[i + 3]) // same alpha
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed++
    }
    expect(changed).toBeGreaterThan(0)
    expect((await run([src, '-o', est, '--model', MODEL, '--foreground', 'estimate'])).code).toBe(2) // alpha has no colours
  })

  it('mattekit video: --help, and a clip to a composite MP4 with --json', async () => {
    const help = await run(['video', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--stabilizer/)
    const clip = join(dir, 'cli-clip.mp4')
    const { execFileSync } = await import('node:child_process')
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'), '-vf', 'crop=160:120', '-r', '10', '-frames:v', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip])
    const out = join(dir, 'cli-clip-out.mp4')
    expect(help.stdout).toMatch(/--ffmpeg-threads/)
    const r = await run(['video', clip, '-o', out, '--model', MODEL, '--background', 'white', '--stabilizer', 'ofd', '--ffmpeg-threads', '2', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, frames: 4, width: 160, height: 120 })
    expect((await run(['video', clip, '-o', join(dir, 'x.mp4'), '--model', MODEL, '--stabilizer', 'magic'])).code).toBe(2)
    const threads = await run(['video', clip, '-o', join(dir, 'x.mp4'), '--model', MODEL, '--ffmpeg-threads', 'many'])
    expect(threads.code).toBe(2)
    expect(threads.stderr).toMatch(/--ffmpeg-threads needs a whole number/)
    const bad = await run(['video', join(FIXTURES, 'bad', 'text.png'), '-o', join(dir, 'y.mp4'), '--model', MODEL])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/INVALID_INPUT/)
  })
})
