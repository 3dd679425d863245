/**
 * Video benchmark (Node): MatteKit's matteVideo frames/s on a 1280x720 clip vs the bare model's
 * frames/s at the same model input (896x512), in one run, for each output kind (bare runs
 * measured right before and after each MatteKit run). Writes bench/results/video.json
 * (merged with the browser figures when the web suite adds them).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { createMatter, matteVideo } from '../packages/node/src/index.js'
import { median, round } from './stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
// 100 frames (4 s at 25 fps): filling and draining the pipeline weighs as in a real clip.
const FRAMES = Number(process.env.BENCH_VIDEO_FRAMES ?? 100)
const tmp = mkdtempSync(join(tmpdir(), 'mattekit-bench-video-'))
try {
  const clip = join(tmp, 'clip-720p.mp4')
  execFileSync('ffmpeg', [
    '-v', 'error', '-loop', '1', '-i', join(ROOT, 'fixtures', 'astronaut.png'),
    '-vf', "scale=1600:1600,crop=1280:720:x='100+t*60':y=300", '-r', '25', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', clip,
  ])

  // Bare model fps at the same input (896x512): back-to-back runs on a ready tensor, measured
  // before and after every MatteKit run so that load from other processes hits both alike.
  const bare = await ort.InferenceSession.create(MODEL, { graphOptimizationLevel: 'all', logSeverityLevel: 3 })
  const tensor = new ort.Tensor('float32', new Float32Array(3 * 896 * 512).fill(0.1), [1, 3, 512, 896])
  await bare.run({ input: tensor })
  const bareRound = async (runs: number): Promise<number[]> => {
    const ms: number[] = []
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      await bare.run({ input: tensor })
      ms.push(performance.now() - t)
    }
    return ms
  }

  // As `mattekit video` runs it: the throughput layout (sessions that never wait on each other).
  const matter = await createMatter({ model: MODEL, sessions: 'throughput' })
  // Warm MatteKit up as the bare session was warmed (its first run, unmeasured): a 12-frame job
  // through the same path, so that onnxruntime's first runs on each session, the JIT of the
  // pipeline's JS and sharp's first pipelines are not charged to whichever output kind comes
  // first (measured: the first kind in a fresh process runs 2-5% slower than the same kind later).
  const warmClip = join(tmp, 'warm.mp4')
  execFileSync('ffmpeg', ['-v', 'error', '-i', clip, '-frames:v', '12', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', warmClip])
  await matteVideo(warmClip, join(tmp, 'warm-out.mp4'), { matter, output: 'composite', background: 'blur' })
  const rows = []
  const allBare: number[] = []
  for (const [output, file, background] of [
    ['composite', 'out.mp4', 'blur'],
    ['composite', 'green.mp4', '#00b140'],
    ['alpha', 'out.webm', undefined],
    ['alpha', 'out.mov', undefined],
    ['matte', 'matte.mp4', undefined],
  ] as const) {
    // 8 runs on each side (16 in all): with 4 a side it moved by up to 17% between the rows of one
    // run (2.64 to 3.09 fps, 2026-11-24), more than the effects measured.
    const before = await bareRound(8)
    const t = performance.now()
    // Steady state: frames written per second from the 10th frame to the last (filling and
    // draining the pipeline, ffprobe and ffmpeg's start-up left out), beside the whole job's rate.
    const written: number[] = []
    const result = await matteVideo(clip, join(tmp, file), { matter, output, background, onProgress: () => written.push(performance.now()) })
    const seconds = (performance.now() - t) / 1000
    const after = await bareRound(8)
    const around = [...before, ...after]
    allBare.push(...around)
    const bareFps = 1000 / median(around)
    const fps = result.frames / seconds
    const steadyFps = (written.length - 10) / ((written.at(-1)! - written[9]!) / 1000)
    rows.push({
      output: `${output}${background ? ` over ${background}` : ''} (${file.split('.')[1]})`,
      frames: result.frames,
      fps: round(fps, 2),
      bareFps: round(bareFps, 2),
      ratio: round(fps / bareFps, 3),
      steadyFps: round(steadyFps, 2),
      steadyRatio: round(steadyFps / bareFps, 3),
    })
  }
  await matter.dispose()
  await bare.release()
  const bareFps = 1000 / median(allBare)

  const previous = existsSync(join(ROOT, 'bench', 'results', 'video.json'))
    ? (JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'video.json'), 'utf8')) as Record<string, unknown>)
    : {}
  const report = {
    ...previous,
    node: {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      clip: `1280x720, ${FRAMES} frames, H.264`,
      modelInput: '896x512',
      bareModelFps: round(bareFps, 2),
      rows,
    },
  }
  console.log(`\nNode video: matteVideo vs bare model fps at 896x512 (bare: ${round(bareFps, 2)} fps)\n`)
  console.log('| output | frames | fps (whole job) | bare fps around it | ratio to bare | steady fps (frame 10 on) | steady ratio |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.output} | ${r.frames} | ${r.fps} | ${r.bareFps} | ${r.ratio}x | ${r.steadyFps} | ${r.steadyRatio}x |`)
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench', 'results', 'video.json'), JSON.stringify(report, null, 2) + '\n')
  console.log('wrote bench/results/video.json')
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
