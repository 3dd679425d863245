/**
 * `npm run soak -- [--calls N] [--concurrency C] [--max-growth-mb M]`: many matte() calls on one
 * Matter (valid inputs of several kinds, plus bad inputs every 10th call), then reports the RSS
 * growth after warm-up. Exits 1 when it exceeds the budget (default 20 MB).
 *
 * The full soak is 10,000 calls (about half an hour on 2 cores); CI runs a shortened form.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { createMatter, isMatteError } from '../packages/node/src/index.js'

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '2' },
    'max-growth-mb': { type: 'string', default: '20' },
    warmup: { type: 'string', default: '50' },
  },
})
const calls = Number(values.calls)
const concurrency = Number(values.concurrency)
const warmup = Math.min(Number(values.warmup), Math.floor(calls / 4))
const budget = Number(values['max-growth-mb'])
const root = join(import.meta.dirname, '..')
const fixtures = join(root, 'fixtures')
type Input = string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: 3 }
// Every kind of input (paths, encoded bytes of each format, raw pixels). Most are thin crops that
// MODNet's size rule keeps near their size (the keep branch: e.g. 48x512 runs the model at 32x512),
// so 10,000 calls take minutes, not hours; every 8th call is a full-size photo (672x512 model input).
const astronaut = join(fixtures, 'astronaut.png')
const crop = (left: number, width: number, height: number) => sharp(astronaut).extract({ left, top: 0, width, height })
const cheap: Input[] = [
  await crop(200, 48, 512).png().toBuffer(),
  await crop(230, 64, 512).jpeg({ quality: 90 }).toBuffer(),
  await crop(260, 40, 512).webp({ lossless: true }).toBuffer(),
  { data: new Uint8Array(56 * 540 * 3).fill(90), width: 56, height: 540, channels: 3 },
]
const full: Input[] = [
  join(fixtures, 'variants', 'grey-320x240.png'),
  readFileSync(join(fixtures, 'variants', 'rgb-300x200-444.jpg')),
  join(fixtures, 'variants', 'rgba-300x200.png'),
]
const inputFor = (i: number): Input => (i % 8 === 7 ? full[(i >> 3) % full.length]! : cheap[i % cheap.length]!)
const bad = [join(fixtures, 'bad', 'truncated.png'), readFileSync(join(fixtures, 'bad', 'text.png')), join(fixtures, 'bad', 'thin-20x600.png')]

const gc = (globalThis as { gc?: () => void }).gc
const rssMB = (): number => {
  gc?.()
  return process.memoryUsage.rss() / 2 ** 20
}

const matter = await createMatter({ model: join(root, 'models', 'stand-in', 'model.onnx') })
let next = 0
let done = 0
let errors = 0
let baseline = 0
const t0 = Date.now()
const samples: { calls: number; rssMB: number }[] = []
async function lane(): Promise<void> {
  for (;;) {
    const i = next++
    if (i >= calls) return
    if (i === warmup) {
      baseline = rssMB()
      samples.push({ calls: i, rssMB: baseline })
    }
    if (i % 10 === 9) {
      try {
        await matter.matte(bad[i % bad.length]!)
        throw new Error('a bad input was accepted')
      } catch (error) {
        if (!isMatteError(error)) throw error
        errors++
      }
    } else {
      const r = await matter.matte(inputFor(i))
      if (r.matte.data.length !== r.matte.width * r.matte.height) throw new Error('bad matte')
    }
    done++
    if (done % 500 === 0) {
      samples.push({ calls: done, rssMB: rssMB() })
      process.stderr.write(`soak: ${done}/${calls} calls, RSS ${samples.at(-1)!.rssMB.toFixed(1)} MB\n`)
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane))
const end = rssMB() // before dispose: the session's memory counts as in use
await matter.dispose()
const growth = end - baseline
const report = {
  calls,
  concurrency,
  typedErrors: errors,
  seconds: Math.round((Date.now() - t0) / 1000),
  rssAfterWarmupMB: Number(baseline.toFixed(1)),
  rssEndMB: Number(end.toFixed(1)),
  growthMB: Number(growth.toFixed(1)),
  budgetMB: budget,
  gcExposed: Boolean(gc),
  samples,
}
console.log(JSON.stringify(report, null, 2))
console.log(`soak: ${calls} calls, RSS growth after warm-up ${growth.toFixed(1)} MB (budget ${budget} MB): ${growth <= budget ? 'OK' : 'TOO MUCH'}`)
process.exitCode = growth <= budget ? 0 : 1
