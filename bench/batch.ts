/**
 * Batch benchmark: `mattekit <dir> -o <dir>` (in-process: the CLI's defaults, then other settings
 * for comparison) on a directory of mixed photos, in images/s, vs 1 / (bare inference time) over
 * the same images' model inputs, in one run (a bare pass right before and after each MatteKit
 * pass). Writes bench/results/batch.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { modelInputSize } from '../packages/core/src/index.js'
import { main } from '../packages/node/src/cli/main.js'
import { round } from './stats.js'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
// 72 photos: enough that loading the model (part of every CLI run) weighs as in a real batch.
const COUNT = Number(process.env.BENCH_BATCH_IMAGES ?? 72)
const sizes = [
  [1920, 1080, 'jpeg'],
  [1280, 720, 'jpeg'],
  [800, 600, 'png'],
  [600, 800, 'webp'],
  [3000, 2000, 'jpeg'],
  [512, 512, 'png'],
] as const

const tmp = mkdtempSync(join(tmpdir(), 'mattekit-bench-batch-'))
try {
  const input = join(tmp, 'in')
  mkdirSync(input)
  const modelSizes: { width: number; height: number }[] = []
  for (let i = 0; i < COUNT; i++) {
    const [w, h, ext] = sizes[i % sizes.length]!
    await sharp(join(ROOT, 'fixtures', 'astronaut.png')).resize(w, h, { fit: 'fill' }).modulate({ brightness: 0.8 + (i % 5) * 0.1 }).toFormat(ext).toFile(join(input, `photo-${i}.${ext}`))
    modelSizes.push(modelInputSize(w, h))
  }

  // Bare: one run per image at its model input size, back to back, on ready tensors.
  const bare = await ort.InferenceSession.create(MODEL, { graphOptimizationLevel: 'all', logSeverityLevel: 3 })
  const tensors = new Map<string, ort.Tensor>()
  for (const s of modelSizes) {
    const key = `${s.width}x${s.height}`
    if (!tensors.has(key)) tensors.set(key, new ort.Tensor('float32', new Float32Array(3 * s.width * s.height).fill(0.1), [1, 3, s.height, s.width]))
  }
  for (const t of tensors.values()) await bare.run({ input: t })
  // One pass of bare inference over the same model inputs, timed; run before and after every
  // MatteKit pass so that load from other processes hits both alike.
  const barePass = async (): Promise<number> => {
    const t0 = performance.now()
    for (const s of modelSizes) await bare.run({ input: tensors.get(`${s.width}x${s.height}`)! })
    return (performance.now() - t0) / 1000
  }

  const sink = new Writable({ write: (_c, _e, cb) => cb() })
  const results: { settings: string; seconds: number; bareSeconds: number; imagesPerSecond: number; ratio: number }[] = []
  const allBare: number[] = []
  const runs: [string, string[]][] = [
    ['defaults (throughput sessions, concurrency sessions + 1)', []],
    ['--concurrency 4', ['--concurrency', '4']],
    ['--sessions latency --concurrency 2 (one 2-thread session)', ['--sessions', 'latency', '--concurrency', '2']],
  ]
  for (const [settings, flags] of runs) {
    const out = join(tmp, `out-${results.length}`)
    const before = await barePass()
    const t0 = performance.now()
    const code = await main([input, '-o', out, '--model', MODEL, ...flags], { stdout: sink, stderr: sink })
    const seconds = (performance.now() - t0) / 1000
    if (code !== 0) throw new Error(`mattekit exited ${code}`)
    const after = await barePass()
    const bareSeconds = (before + after) / 2
    allBare.push(before, after)
    results.push({
      settings,
      seconds: round(seconds, 2),
      bareSeconds: round(bareSeconds, 2),
      imagesPerSecond: round(COUNT / seconds, 3),
      ratio: round(bareSeconds / seconds, 3),
    })
  }
  await bare.release()
  const bareSeconds = allBare.reduce((a, b) => a + b, 0) / allBare.length
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    images: COUNT,
    mix: sizes.map(([w, h, e]) => `${w}x${h} ${e}`),
    bareSeconds: round(bareSeconds, 2),
    bareImagesPerSecond: round(COUNT / bareSeconds, 3),
    results,
  }
  console.log(`\nbatch: ${COUNT} mixed photos; bare inference alone: ${report.bareImagesPerSecond} images/s\n`)
  console.log('| settings | seconds | bare seconds around it | images/s | ratio to 1/(bare inference) |\n|---|---|---|---|---|')
  for (const r of results) console.log(`| ${r.settings} | ${r.seconds} | ${r.bareSeconds} | ${r.imagesPerSecond} | ${r.ratio} |`)
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  // Keep the flat-memory figures of `npm run bench -- batch-memory`, which writes to the same file.
  const file = join(ROOT, 'bench', 'results', 'batch.json')
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { memory?: unknown }) : {}
  writeFileSync(file, JSON.stringify({ ...report, ...(previous.memory ? { memory: previous.memory } : {}) }, null, 2) + '\n')
  console.log('wrote bench/results/batch.json')
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
