/**
 * The stand-in must match the official MODNet export where it matters (MODNET.md sections 1, 4, 5):
 * I/O contract, op mix, size, parameters, shapes it accepts and rejects, determinism, smoothness.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MODEL_PATH, ensureStandIn } from './generate.js'
import { inspectModel } from './src/inspect.js'
import { buildStandIn, mulberry32 } from './src/modnet.js'
import { onnx, type onnxTypes } from './src/onnx-proto.js'

const OFFICIAL_BYTES = 25_888_640
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

let bytes: Uint8Array
let session: ort.InferenceSession

beforeAll(async () => {
  ensureStandIn()
  bytes = readFileSync(MODEL_PATH)
  // Severity 3 (errors only as exceptions): the 500x500 case would otherwise log to stderr.
  session = await ort.InferenceSession.create(MODEL_PATH, { logSeverityLevel: 3 })
})
afterAll(async () => {
  await session?.release()
})

async function run(data: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const out = await session.run({ input: new ort.Tensor('float32', data, dims) })
  return out.output!
}

/** The fixture as the official pipeline feeds it (512x512 needs no resize: keep branch). */
async function fixtureTensor(name: string, noise = 0): Promise<Float32Array> {
  const { data, info } = await sharp(join(import.meta.dirname, '..', 'fixtures', name))
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  expect([info.width, info.height, info.channels]).toEqual([512, 512, 3])
  const n = 512 * 512
  const t = new Float32Array(3 * n)
  const rand = mulberry32(12345)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[i * 3 + c]! + (noise ? noise * (2 * rand() - 1) : 0)
      t[c * n + i] = (v - 127.5) / 127.5
    }
  }
  return t
}

describe('I/O contract', () => {
  it('has input `input` [batch,3,H,W] and output `output` [batch,1,H,W], float32, symbolic dims', () => {
    const graph = (onnx.ModelProto.decode(bytes).graph as onnxTypes.GraphProto)
    const describeValue = (v: onnxTypes.IValueInfoProto) => ({
      name: v.name,
      elemType: v.type?.tensorType?.elemType,
      dims: v.type?.tensorType?.shape?.dim?.map((d: onnxTypes.TensorShapeProto.IDimension) => d.dimParam || Number(d.dimValue)),
    })
    expect(graph.input.map(describeValue)).toEqual([
      { name: 'input', elemType: onnx.TensorProto.DataType.FLOAT, dims: ['batch_size', 3, 'height', 'width'] },
    ])
    expect(graph.output.map(describeValue)).toEqual([
      { name: 'output', elemType: onnx.TensorProto.DataType.FLOAT, dims: ['batch_size', 1, 'height', 'width'] },
    ])
    expect(session.inputNames).toEqual(['input'])
    expect(session.outputNames).toEqual(['output'])
  })

  it('has the op mix of the official export', () => {
    const { ops, opset } = inspectModel(bytes)
    expect(opset).toBe(11)
    expect(ops).toMatchObject({
      Conv: 69,
      BatchNormalization: 16,
      InstanceNormalization: 16,
      Resize: 9,
      Sigmoid: 2,
      GlobalAveragePool: 1,
      Clip: 35,
      Relu: 17,
      Concat: 24,
    })
  })

  it('uses bilinear (linear, pytorch_half_pixel) Resize everywhere', () => {
    const graph = (onnx.ModelProto.decode(bytes).graph as onnxTypes.GraphProto)
    const resizes = graph.node.filter((n) => n.opType === 'Resize')
    for (const node of resizes) {
      const attr = Object.fromEntries((node.attribute ?? []).map((a) => [a.name, new TextDecoder().decode(a.s ?? undefined)]))
      expect(attr.mode).toBe('linear')
      expect(attr.coordinate_transformation_mode).toBe('pytorch_half_pixel')
    }
  })

  it('has 6.4M-6.6M parameters and a file size within 1% of the official 25,888,640 bytes', () => {
    const { parameters } = inspectModel(bytes)
    expect(parameters).toBeGreaterThanOrEqual(6_400_000)
    expect(parameters).toBeLessThanOrEqual(6_600_000)
    expect(Math.abs(bytes.length - OFFICIAL_BYTES) / OFFICIAL_BYTES).toBeLessThan(0.01)
  })
})

describe('shapes', () => {
  it.each([
    [1, 512, 512],
    [1, 512, 896],
    [2, 512, 512],
  ])('runs at batch %i, %ix%i (HxW) with alpha strictly inside (0,1)', async (n, h, w) => {
    const data = new Float32Array(n * 3 * h * w)
    const rand = mulberry32(n * 1000 + w)
    // A smooth synthetic image: gradients plus a disc, per batch item.
    for (let b = 0; b < n; b++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2 ? 0.6 : -0.4
            data[((b * 3 + c) * h + y) * w + x] = disc + (0.3 * x) / w - (0.2 * y) / h + 0.05 * c + 0.01 * rand()
          }
    const out = await run(data, [n, 3, h, w])
    expect(out.dims).toEqual([n, 1, h, w])
    const alpha = out.data as Float32Array
    let min = 1
    let max = 0
    for (const v of alpha) {
      if (v < min) min = v
      if (v > max) max = v
    }
    expect(min).toBeGreaterThan(0)
    expect(max).toBeLessThan(1)
  })

  it('fails at 500x500 as the real model does (H and W must be multiples of 32)', async () => {
    await expect(run(new Float32Array(3 * 500 * 500), [1, 3, 500, 500])).rejects.toThrow(/dimension/i)
  })
})

describe('determinism and regeneration', () => {
  it('two generations give the same SHA-256, equal to the file on disk', () => {
    const a = sha256(buildStandIn().bytes)
    const b = sha256(buildStandIn().bytes)
    expect(a).toBe(b)
    expect(sha256(bytes)).toBe(a)
  })

  it('regenerates only when the file is missing, stale or damaged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mattekit-standin-'))
    try {
      expect(ensureStandIn({ dir }).generated).toBe(true)
      expect(ensureStandIn({ dir }).generated).toBe(false)
      writeFileSync(join(dir, 'model.onnx'), 'damaged')
      expect(ensureStandIn({ dir }).generated).toBe(true)
      const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...meta, recipe: 'an older generator' }))
      expect(ensureStandIn({ dir }).generated).toBe(true)
      expect(sha256(readFileSync(join(dir, 'model.onnx')))).toBe(sha256(bytes))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a smooth, content-dependent matte (MODNET.md section 5)', () => {
  it.each(['astronaut.png', 'camera.png'])('%s: alpha spread >= 0.2, +-0.5-level noise moves the matte <= 0.5/255', async (name) => {
    const clean = (await run(await fixtureTensor(name), [1, 3, 512, 512])).data as Float32Array
    const noisy = (await run(await fixtureTensor(name, 0.5), [1, 3, 512, 512])).data as Float32Array
    let sum = 0
    let sum2 = 0
    let mae = 0
    for (let i = 0; i < clean.length; i++) {
      const a = clean[i]!
      sum += a
      sum2 += a * a
      mae += Math.abs(Math.trunc(a * 255) - Math.trunc(noisy[i]! * 255))
    }
    const mean = sum / clean.length
    const std = Math.sqrt(sum2 / clean.length - mean * mean)
    mae /= clean.length
    console.info(`${name}: alpha mean ${mean.toFixed(3)}, std ${std.toFixed(3)}, noise MAE ${mae.toFixed(4)}/255`)
    expect(std).toBeGreaterThanOrEqual(0.2)
    expect(mae).toBeLessThanOrEqual(0.5)
  })
})
