/**
 * `npm run models`: writes models/stand-in/model.onnx (git-ignored) unless it is already there
 * and was made by the current generator. Prints a summary either way.
 *
 *   npm run models             generate if missing or stale
 *   npm run models -- --force  always regenerate
 *   npm run models -- --json   print the summary as JSON
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inspectModel, type ModelSummary } from './src/inspect.js'
import { buildStandIn } from './src/modnet.js'

const here = dirname(fileURLToPath(import.meta.url))
/** Where tests, benchmarks and the demo find the stand-in. */
export const MODEL_DIR = join(here, 'stand-in')
export const MODEL_PATH = join(MODEL_DIR, 'model.onnx')

/** What `model.json` beside the model records. */
export interface Meta extends ModelSummary {
  recipe: string
  sha256: string
  bytes: number
  generationMs: number
}

/** Hash of everything that decides the model's bytes: the generator sources and onnx-proto. */
function recipeHash(): string {
  const h = createHash('sha256')
  const src = join(here, 'src')
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) {
    h.update(f).update(readFileSync(join(src, f)))
  }
  const protoPkg = JSON.parse(readFileSync(join(here, '..', 'node_modules', 'onnx-proto', 'package.json'), 'utf8'))
  h.update(`onnx-proto@${protoPkg.version}`)
  return h.digest('hex')
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

function current(dir: string, recipe: string): Meta | undefined {
  const model = join(dir, 'model.onnx')
  const metaPath = join(dir, 'model.json')
  if (!existsSync(model) || !existsSync(metaPath)) return undefined
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Meta
    if (meta.recipe !== recipe) return undefined
    const bytes = readFileSync(model)
    if (bytes.length !== meta.bytes || sha256(bytes) !== meta.sha256) return undefined
    return meta
  } catch {
    return undefined
  }
}

/** Generates the stand-in if it is missing or stale; returns its metadata. */
export function ensureStandIn(options: { dir?: string; force?: boolean } = {}): { meta: Meta; generated: boolean } {
  const dir = options.dir ?? MODEL_DIR
  const recipe = recipeHash()
  const existing = options.force ? undefined : current(dir, recipe)
  if (existing) return { meta: existing, generated: false }
  const t0 = performance.now()
  const { bytes } = buildStandIn()
  const generationMs = Math.round(performance.now() - t0)
  const meta: Meta = { recipe, sha256: sha256(bytes), bytes: bytes.length, generationMs, ...inspectModel(bytes) }
  mkdirSync(dir, { recursive: true })
  // Atomic: a reader never sees a half-written model.
  const model = join(dir, 'model.onnx')
  writeFileSync(`${model}.tmp`, bytes)
  renameSync(`${model}.tmp`, model)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(meta, null, 2) + '\n')
  return { meta, generated: true }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2)
  const { meta, generated } = ensureStandIn({ force: args.includes('--force') })
  if (args.includes('--json')) {
    console.log(JSON.stringify({ path: MODEL_PATH, generated, ...meta }, null, 2))
  } else {
    console.log(`stand-in model: ${MODEL_PATH} (${generated ? `generated in ${meta.generationMs} ms` : 'up to date'})`)
    console.log(`  sha256      ${meta.sha256}`)
    console.log(`  bytes       ${meta.bytes.toLocaleString('en-US')} (official fp32: 25,888,640)`)
    console.log(`  parameters  ${meta.parameters.toLocaleString('en-US')}`)
    console.log(`  opset       ${meta.opset}; input ${meta.inputs.join(',')}; output ${meta.outputs.join(',')}`)
    console.log(`  ops         ${Object.entries(meta.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  }
}
