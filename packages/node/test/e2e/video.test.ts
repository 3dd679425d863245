/**
 * Video files through ffmpeg (Debian's binary): every output kind, audio, frame count, exact mattes
 * (lossless FFV1), abort and missing ffmpeg.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blur, createStabilizer, defaultBlurRadius, reducedBlur, resizeBilinear, resizeMatte } from '@mattekit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMatter, type NodeMatter } from '../../src/index.js'
import { matteVideo } from '../../src/video.js'
import { FIXTURES, MODEL } from '../paths.js'

const W = 240
const H = 160
const FRAMES = 8
let dir: string
let clip: string
let matter: NodeMatter

const ffprobe = (file: string): { streams: Record<string, string | number | Record<string, string>>[] } =>
  JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,codec_tag_string,profile,width,height,nb_read_frames,pix_fmt:stream_tags', '-of', 'json', file], {
      encoding: 'utf8',
    }),
  )
const rawFrames = (file: string, pixFmt: string, bytesPerPixel: number, codec: string[] = [], width = W, height = H): Buffer[] => {
  const raw = execFileSync('ffmpeg', ['-v', 'error', ...codec, '-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1'], { maxBuffer: 1 << 28 })
  const size = width * height * bytesPerPixel
  return Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size))
}

/**
 * Every frame of a lossless matte video is matte() of the source clip's frame, stabilised at the
 * model size, resized.
 */
async function expectExactMattes(out: string, source = clip, frames = FRAMES, width = W, height = H, fps = 10): Promise<void> {
  const written = rawFrames(out, 'gray', 1, [], width, height)
  const decoded = rawFrames(source, 'rgb24', 3, [], width, height)
  expect(written).toHaveLength(frames)
  const stabilizer = createStabilizer()
  for (let i = 0; i < frames; i++) {
    const { matte } = await matter.matte({ data: decoded[i]!, width, height, channels: 3 }, { matteSize: 'model' })
    const stable = stabilizer.push(matte, (i * 1000) / fps)!.matte
    const expected = resizeMatte(stable.data, stable, { width, height })
    expect(Buffer.from(written[i]!).equals(Buffer.from(expected)), `frame ${i}`).toBe(true)
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-video-'))
  clip = join(dir, 'clip.mp4')
  // A short portrait clip: a crop moving across the fixture, 10 fps, with a sine tone as audio.
  execFileSync('ffmpeg', [
    '-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'),
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.8',
    '-vf', `crop=${W}:${H}:x='100+t*40':y=60`, '-r', '10', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '12', '-c:a', 'aac', '-shortest', clip,
  ])
  matter = await createMatter({ model: MODEL })
})
afterAll(async () => {
  await matter?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('matteVideo', () => {
  it('matte as lossless grey video: every frame is matte() of the decoded frame, stabilised at the model size, resized', async () => {
    const out = join(dir, 'matte.mkv')
    const progress: number[] = []
    const result = await matteVideo(clip, out, { matter, output: 'matte', onProgress: (p) => progress.push(p.frames) })
    expect(result).toMatchObject({ frames: FRAMES, width: W, height: H, fps: 10, audio: true })
    expect(progress).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1))
    await expectExactMattes(out)
  })

  it('frames queued in the pipe while the encoder starts late are each written as they were made', async () => {
    // The output frame and the full-size matte are written into buffers reused from frame to
    // frame: each must be in the pipe before the next frame is made. An encoder that starts two
    // seconds late leaves the frames waiting while the model goes on; at 800x600 a matte frame
    // (480 KB) is more than the pipe's socket buffers hold, so part of it stays queued in Node.
    const bin = join(dir, 'late-encoder')
    mkdirSync(bin)
    const real = (name: string): string => execFileSync('which', [name], { encoding: 'utf8' }).trim()
    writeFileSync(join(bin, 'ffmpeg'), `#!/bin/sh\ncase "$*" in *pipe:0*) sleep 2 ;; esac\nexec ${real('ffmpeg')} "$@"\n`)
    chmodSync(join(bin, 'ffmpeg'), 0o755)
    symlinkSync(real('ffprobe'), join(bin, 'ffprobe'))
    const big = join(dir, 'big.mp4')
    execFileSync('ffmpeg', [
      '-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'),
      '-vf', "scale=1200:1200,crop=800:600:x='40+t*40':y=200", '-r', '10', '-frames:v', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '12', big,
    ])
    const out = join(dir, 'late.mkv')
    const result = await matteVideo(big, out, { matter, output: 'matte', ffmpegPath: join(bin, 'ffmpeg') })
    expect(result.frames).toBe(6)
    await expectExactMattes(out, big, 6, 800, 600)
  }, 60_000)

  it('alpha as WebM VP9 with an alpha channel, audio carried over', async () => {
    const out = join(dir, 'alpha.webm')
    await matteVideo(clip, out, { matter, output: 'alpha', stabilizer: false })
    const info = ffprobe(out)
    const video = info.streams.find((s) => s.codec_type === 'video')!
    expect(video).toMatchObject({ codec_name: 'vp9', width: W, height: H, nb_read_frames: String(FRAMES) })
    expect((video.tags as Record<string, string>).alpha_mode ?? (video.tags as Record<string, string>).ALPHA_MODE).toBe('1')
    expect(info.streams.some((s) => s.codec_type === 'audio')).toBe(true)
    // The decoded alpha follows the matte (lossy codec: compare loosely).
    const rgba = rawFrames(out, 'rgba', 4, ['-c:v', 'libvpx-vp9'])
    const source = rawFrames(clip, 'rgb24', 3)
    const { matte } = await matter.matte({ data: source[0]!, width: W, height: H, channels: 3 })
    let diff = 0
    for (let i = 0; i < W * H; i++) diff += Math.abs(rgba[0]![i * 4 + 3]! - matte.data[i]!)
    expect(diff / (W * H)).toBeLessThan(6)
  })

  it('alpha as MOV ProRes 4444, and composite as MP4 H.264 with the audio copied', async () => {
    const mov = join(dir, 'alpha.mov')
    await matteVideo(clip, mov, { matter, output: 'alpha' })
    const movVideo = ffprobe(mov).streams.find((s) => s.codec_type === 'video')!
    expect(movVideo).toMatchObject({ codec_name: 'prores', nb_read_frames: String(FRAMES) })
    expect(String(movVideo.pix_fmt)).toMatch(/^yuva444p/)
    expect(movVideo).toMatchObject({ codec_tag_string: 'ap4h', profile: '4444' })
    // ProRes keeps 16-bit alpha: the decoded alpha is the matte, within rounding.
    const [alpha0] = rawFrames(mov, 'rgba', 4)
    const [source0] = rawFrames(clip, 'rgb24', 3)
    const { matte } = await matter.matte({ data: source0!, width: W, height: H, channels: 3 })
    let sum = 0
    let worst = 0
    for (let i = 0; i < W * H; i++) {
      const d = Math.abs(alpha0![i * 4 + 3]! - matte.data[i]!)
      sum += d
      worst = Math.max(worst, d)
    }
    expect(sum / (W * H)).toBeLessThan(0.5) // measured 0.31
    expect(worst).toBeLessThanOrEqual(1)
    // The colour is the source's (a cut-out keeps the observed colours), within ProRes' loss at
    // quantiser 3: PSNR measured 51.1 dB on this clip's first frame (54.0 at quantiser 2, 60.9 at 1,
    // 44.5 at 8).
    let squared = 0
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) squared += (alpha0![i * 4 + c]! - source0![i * 3 + c]!) ** 2
    expect(10 * Math.log10(255 ** 2 / (squared / (W * H * 3)))).toBeGreaterThan(50)
    const mp4 = join(dir, 'green.mp4')
    // ffmpeg choosing its own threads (the default on machines of more than 4 cores; 1 here).
    await matteVideo(clip, mp4, { matter, background: '#00b140', stabilizer: { mode: 'ofd' }, ffmpegThreads: 0 })
    const info = ffprobe(mp4)
    expect(info.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', nb_read_frames: String(FRAMES) })
    expect(info.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' })
  })

  it("the per-frame blur background (core's reducedBlur, enlarged) stays within a level of core's full-size blur", async () => {
    const [frame] = rawFrames(clip, 'rgb24', 3)
    const image = { data: new Uint8Array(frame!), width: W, height: H }
    // The largest step between neighbouring samples: a blur has small ones; an enlargement that
    // repeats pixels leaves blocks with large steps at their edges.
    const maxStep = (data: Uint8Array): number => {
      let m = 0
      for (let y = 1; y < H; y++) {
        for (let x = 1; x < W; x++) {
          for (let c = 0; c < 3; c++) {
            const i = (y * W + x) * 3 + c
            m = Math.max(m, Math.abs(data[i]! - data[i - 3]!), Math.abs(data[i]! - data[i - W * 3]!))
          }
        }
      }
      return m
    }
    for (const radius of [undefined, 3, 12, 18]) {
      const small = reducedBlur(image, radius)
      const fast = { data: resizeBilinear(small.data, small, image, 3), width: W, height: H }
      const exact = blur(image, radius ?? defaultBlurRadius(W, H))
      let sum = 0
      let worst = 0
      for (let i = 0; i < exact.data.length; i++) {
        const d = Math.abs(fast.data[i]! - exact.data[i]!)
        sum += d
        worst = Math.max(worst, d)
      }
      expect({ width: fast.width, height: fast.height }).toEqual({ width: W, height: H })
      // Measured: mean 0.70-0.80, max 4-9 (libvips' Gaussian at the reduced size, before: 1.9-4.2, 12-17).
      expect(sum / exact.data.length, `radius ${String(radius)}: mean`).toBeLessThan(1.5)
      expect(worst, `radius ${String(radius)}: max`).toBeLessThan(16)
      // Measured 14/14, 22/22, 6/6, 5/4; an INTER_AREA enlargement (repeated pixels) gave 33/14.
      expect(maxStep(fast.data), `radius ${String(radius)}: smooth`).toBeLessThanOrEqual(Math.ceil(maxStep(exact.data) * 1.5))
    }
  })

  it('abort mid-video: rejects with ABORTED and leaves no file behind', async () => {
    const out = join(dir, 'aborted.mp4')
    const controller = new AbortController()
    const job = matteVideo(clip, out, { matter, signal: controller.signal, onProgress: (p) => p.frames === 2 && controller.abort() })
    await expect(job).rejects.toMatchObject({ code: 'ABORTED' })
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([])
  })

  it('a clip decoded whole before the probe returns keeps all its frames', async () => {
    // The decoder starts beside ffprobe. With an ffprobe that takes a second, the real decoder
    // finishes this short clip and exits before any frame is read: every frame must still arrive.
    const bin = join(dir, 'slow-probe')
    mkdirSync(bin)
    const real = (name: string): string => execFileSync('which', [name], { encoding: 'utf8' }).trim()
    symlinkSync(real('ffmpeg'), join(bin, 'ffmpeg'))
    writeFileSync(join(bin, 'ffprobe'), `#!/bin/sh\nsleep 1\nexec ${real('ffprobe')} "$@"\n`)
    chmodSync(join(bin, 'ffprobe'), 0o755)
    // 4 frames of 64x48 RGB (37 KB): small enough for the pipe, so the decoder does not wait.
    const short = join(dir, 'short.mp4')
    execFileSync('ffmpeg', ['-v', 'error', '-i', clip, '-vf', 'scale=64:48', '-frames:v', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-an', short])
    const out = join(dir, 'short-out.mp4')
    const result = await matteVideo(short, out, { matter, output: 'matte', ffmpegPath: join(bin, 'ffmpeg') })
    expect(result.frames).toBe(4)
    expect(ffprobe(out).streams.find((s) => s.codec_type === 'video')).toMatchObject({ nb_read_frames: '4' })
  }, 30_000)

  it('typed errors: missing ffmpeg, not a video, alpha into MP4, output onto the input, bad ffmpegThreads', async () => {
    await expect(matteVideo(clip, join(dir, 'x.mp4'), { matter, ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ENVIRONMENT',
      message: expect.stringContaining('apt-get install ffmpeg'),
    })
    // ffprobe present, ffmpeg missing: the decoder, started beside the probe, cannot start.
    const probeOnly = join(dir, 'probe-only')
    mkdirSync(probeOnly)
    symlinkSync(execFileSync('which', ['ffprobe'], { encoding: 'utf8' }).trim(), join(probeOnly, 'ffprobe'))
    await expect(matteVideo(clip, join(dir, 'x.mp4'), { matter, ffmpegPath: join(probeOnly, 'ffmpeg') })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ENVIRONMENT',
    })
    // Cancelled while ffprobe runs: ABORTED, not a read error.
    await expect(matteVideo(clip, join(dir, 'x.mp4'), { matter, signal: AbortSignal.timeout(5) })).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(matteVideo(join(FIXTURES, 'bad', 'text.png'), join(dir, 'y.mp4'), { matter })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(matteVideo(clip, join(dir, 'z.mp4'), { matter, output: 'alpha' })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matteVideo(clip, clip, { matter })).rejects.toMatchObject({ code: 'OUTPUT' })
    await expect(matteVideo(clip, join(dir, 'z.mp4'), { matter, ffmpegThreads: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matteVideo(clip, join(dir, 'z.mp4'), { matter, ffmpegThreads: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    expect(existsSync(join(dir, 'x.mp4')) || existsSync(join(dir, 'y.mp4')) || existsSync(join(dir, 'z.mp4'))).toBe(false)
    // The decoder starts beside ffprobe: each failure above must have stopped it (no process whose
    // command line names this test's files is left).
    const left = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          return cmd.includes(dir) || cmd.includes(join(FIXTURES, 'bad', 'text.png'))
        } catch {
          return false // gone meanwhile
        }
      })
    expect(left).toEqual([])
  })
})
