/**
 * `npm run soak:video -- [--minutes M] [--max-growth-mb B] [--warmup-clips W]`: processes video
 * files with `matteVideo` on one Matter for M minutes of wall time (a 2-second 256x192 clip with
 * audio, over and over, alternating composite MP4, alpha WebM and grey matte outputs, stabiliser
 * on), then reports the RSS growth after warm-up and how much video went through. Every output is
 * checked (frame count). Exits 1 when the growth exceeds the budget (default 20 MB).
 *
 * The full run is 10 minutes (by hand); CI runs a shortened form.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createMatter, matteVideo } from '../packages/node/src/index.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'max-growth-mb': { type: 'string', default: '20' },
    'warmup-clips': { type: 'string', default: '3' },
  },
})
const minutes = Number(values.minutes)
const budget = Number(values['max-growth-mb'])
const warmupClips = Number(values['warmup-clips'])
if (!(minutes > 0) || !(budget > 0) || !(Number.isInteger(warmupClips) && warmupClips >= 1)) {
  console.error('usage: soak-video [--minutes M>0] [--max-growth-mb B>0] [--warmup-clips W>=1]')
  process.exit(2)
}

const root = join(import.meta.dirname, '..')
const tmp = mkdtempSync(join(tmpdir(), 'mattekit-soak-video-'))
const FRAMES = 50
const clip = join(tmp, 'clip.mp4')
execFileSync('ffmpeg', [
  '-v', 'error', '-loop', '1', '-i', join(root, 'fixtures', 'astronaut.png'),
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
  '-vf', "scale=384:384,crop=256:192:x='40+t*20':y=96", '-r', '25', '-frames:v', String(FRAMES),
  '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip,
])

const gc = (globalThis as { gc?: () => void }).gc
const rssMB = (): number => {
  gc?.()
  return process.memoryUsage.rss() / 2 ** 20
}

const kinds = [
  { output: 'composite', file: 'out.mp4' },
  { output: 'alpha', file: 'out.webm' },
  { output: 'matte', file: 'out.mkv' },
] as const

const matter = await createMatter({ model: join(root, 'models', 'stand-in', 'model.onnx') })
const t0 = Date.now()
const deadline = t0 + minutes * 60_000
let clips = 0
let frames = 0
let baseline = 0
const samples: { clips: number; seconds: number; rssMB: number }[] = []
try {
  while (clips < warmupClips || Date.now() < deadline) {
    const kind = kinds[clips % kinds.length]!
    const out = join(tmp, kind.file)
    const result = await matteVideo(clip, out, { matter, output: kind.output, background: 'blur' })
    if (result.frames !== FRAMES || statSync(out).size === 0) throw new Error(`clip ${clips}: ${result.frames} frames written, expected ${FRAMES}`)
    rmSync(out)
    clips++
    frames += result.frames
    if (clips === warmupClips) baseline = rssMB()
    if (clips >= warmupClips && (clips - warmupClips) % 3 === 0) {
      samples.push({ clips, seconds: Math.round((Date.now() - t0) / 1000), rssMB: Number(rssMB().toFixed(1)) })
      process.stderr.write(`soak:video: ${clips} clips, ${frames} frames, RSS ${samples.at(-1)!.rssMB} MB\n`)
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
const end = rssMB()
await matter.dispose()
const growth = end - baseline
const report = {
  minutes,
  clips,
  frames,
  videoSecondsProcessed: frames / 25,
  wallSeconds: Math.round((Date.now() - t0) / 1000),
  rssAfterWarmupMB: Number(baseline.toFixed(1)),
  rssEndMB: Number(end.toFixed(1)),
  growthMB: Number(growth.toFixed(1)),
  budgetMB: budget,
  gcExposed: Boolean(gc),
  samples,
}
console.log(JSON.stringify(report, null, 2))
console.log(
  `soak:video: ${minutes} min, ${clips} clips (${frames} frames), RSS growth after warm-up ${growth.toFixed(1)} MB ` +
    `(budget ${budget} MB): ${growth <= budget ? 'OK' : 'TOO MUCH'}`,
)
process.exitCode = growth <= budget ? 0 : 1
