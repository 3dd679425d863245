/**
 * End to end on the stand-in model: every fixture variant gives the matte the official pipeline
 * gives (OpenCV's own pre/post-processing around the same model, scripts/reference/e2e_reference.py),
 * within MAE 0.25/255 and max 2/255.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMatter, type NodeMatter } from '../../src/index.js'
import { FIXTURES, MODEL, ROOT } from '../paths.js'

interface Case {
  reference: string
  width: number
  height: number
  modelWidth: number
  modelHeight: number
}
const meta = JSON.parse(readFileSync(join(FIXTURES, 'reference', 'e2e.json'), 'utf8')) as {
  modelSha256: string
  cases: Record<string, Case>
}

let matter: NodeMatter
const table: string[] = []

beforeAll(async () => {
  const sha = createHash('sha256').update(readFileSync(MODEL)).digest('hex')
  if (sha !== meta.modelSha256) {
    throw new Error(
      `The stand-in model (${sha.slice(0, 12)}) is not the one the references were made with ` +
        `(${meta.modelSha256.slice(0, 12)}): run /usr/bin/python3 scripts/reference/e2e_reference.py`,
    )
  }
  matter = await createMatter({ model: MODEL })
})

afterAll(async () => {
  await matter?.dispose()
  console.info(`fidelity vs the official pipeline (stand-in model):\n${table.join('\n')}`)
})

describe('fidelity to the official MODNet pipeline', () => {
  it.each(Object.entries(meta.cases))('%s', async (input, c) => {
    const result = await matter.matte(join(ROOT, input))
    expect(result.modelSize).toEqual({ width: c.modelWidth, height: c.modelHeight })
    expect([result.matte.width, result.matte.height]).toEqual([c.width, c.height])
    const ref = await sharp(join(ROOT, c.reference)).extractChannel(0).raw().toBuffer()
    expect(ref.length).toBe(c.width * c.height)
    let sum = 0
    let max = 0
    let exact = 0
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(result.matte.data[i]! - ref[i]!)
      sum += d
      if (d > max) max = d
      if (d === 0) exact++
    }
    const mae = sum / ref.length
    table.push(
      `  ${input.padEnd(48)} ${`${c.width}x${c.height}`.padStart(9)} via ${`${c.modelWidth}x${c.modelHeight}`.padEnd(8)}` +
        ` MAE ${mae.toFixed(4)}/255  max ${max}  exact ${((100 * exact) / ref.length).toFixed(2)}%`,
    )
    expect(mae).toBeLessThanOrEqual(0.25)
    expect(max).toBeLessThanOrEqual(2)
  })
})
