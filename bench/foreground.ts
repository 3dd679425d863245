/**
 * Foreground estimation cost in Node (both methods) at 512x512 and 1920x1080, on a real matte of
 * the fixture portrait. Writes bench/results/foreground.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { createMatter, estimateForeground } from '../packages/node/src/index.js'
import { median, round } from './stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const matter = await createMatter({ model: join(ROOT, 'models', 'stand-in', 'model.onnx') })
const rows = []
for (const [w, h] of [
  [512, 512],
  [1920, 1080],
] as const) {
  const { data } = await sharp(join(ROOT, 'fixtures', 'astronaut.png')).resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true })
  const { image, matte } = await matter.matte({ data, width: w, height: h, channels: 3 })
  for (const method of ['ml', 'blur-fusion'] as const) {
    estimateForeground(image, matte, { method })
    const ms: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      estimateForeground(image, matte, { method })
      ms.push(performance.now() - t)
    }
    rows.push({ size: `${w}x${h}`, method, ms: round(median(ms)) })
  }
}
await matter.dispose()
console.log('\nforeground estimation (Node, CPU), median ms\n\n| size | method | ms |\n|---|---|---|')
for (const r of rows) console.log(`| ${r.size} | ${r.method} | ${r.ms} |`)
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
writeFileSync(
  join(ROOT, 'bench', 'results', 'foreground.json'),
  JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, rows }, null, 2) + '\n',
)
