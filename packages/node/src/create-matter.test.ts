import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES, MODEL } from '../test/paths.js'
import { createMatter, type NodeMatter } from './create-matter.js'
import { encodePng, renderOutput } from './encode.js'
import { cutout, isMatteError } from './index.js'

let matter: NodeMatter
beforeAll(async () => {
  matter = await createMatter({ model: MODEL })
})
afterAll(async () => {
  await matter?.dispose()
})

const variant = (name: string): string => join(FIXTURES, 'variants', name)

describe('createMatter (onnxruntime-node + sharp)', () => {
  it('a path, the encoded bytes and raw pixels of one image give the same matte', async () => {
    const path = variant('rgb-300x200-444.jpg')
    const fromPath = await matter.matte(path)
    const fromBytes = await matter.matte(readFileSync(path))
    const raw = await sharp(path).raw().toBuffer({ resolveWithObject: true })
    const fromRaw = await matter.matte({ data: raw.data, width: raw.info.width, height: raw.info.height, channels: 3 })
    expect(fromPath.matte.width).toBe(300)
    expect(fromPath.matte.height).toBe(200)
    expect(fromPath.modelSize).toEqual({ width: 768, height: 512 })
    expect(Buffer.from(fromBytes.matte.data)).toEqual(Buffer.from(fromPath.matte.data))
    expect(Buffer.from(fromRaw.matte.data)).toEqual(Buffer.from(fromPath.matte.data))
  })

  it.each([
    ['empty.png', 'INVALID_INPUT'],
    ['text.png', 'INVALID_INPUT'],
    ['truncated.png', 'CORRUPT_IMAGE'],
    ['truncated.jpg', 'CORRUPT_IMAGE'],
    ['bad-crc.png', 'CORRUPT_IMAGE'],
    ['huge-100000x100000.png', 'IMAGE_TOO_LARGE'],
    ['thin-20x600.png', 'IMAGE_TOO_SMALL'],
    ['animated.gif', 'UNSUPPORTED_FORMAT'],
  ])('bad input %s -> %s, and the Matter stays usable', async (file, code) => {
    const error = await matter.matte(join(FIXTURES, 'bad', file)).catch((e: unknown) => e)
    expect(isMatteError(error, code as never), String(error)).toBe(true)
    expect((error as Error).message.length).toBeGreaterThan(20)
    const ok = await matter.matte(variant('grey-320x240.png'))
    expect(ok.matte.width).toBe(320)
  })

  it('rejects inputs of the wrong type with INVALID_INPUT', async () => {
    for (const bad of [42, null, {}, [1, 2, 3], { data: 'x', width: 1, height: 1, channels: 3 }]) {
      await expect(matter.matte(bad as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    }
    await expect(matter.matte(join(FIXTURES, 'no-such-file.jpg'))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('concurrent calls on one Matter are all correct', async () => {
    const files = ['grey-320x240.png', 'rgb-300x200-444.jpg', 'rgb-333x511-progressive.jpg', 'rgba-300x200.png']
    const expected = await Promise.all(files.map(async (f) => Buffer.from((await matter.matte(variant(f))).matte.data)))
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => matter.matte(variant(files[i % 4]!))))
    runs.forEach((r, i) => expect(Buffer.from(r.matte.data)).toEqual(expected[i % 4]))
  })

  it('validates its options', async () => {
    await expect(createMatter(null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' }) // no options = the official model
    await expect(createMatter({ model: 42 as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: MODEL, maxPixels: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: MODEL, session: { intraOpNumThreads: 1.5 } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    await expect(createMatter({ model: join(FIXTURES, 'missing.onnx') })).rejects.toMatchObject({ code: 'MODEL_LOAD' })
    await expect(createMatter({ model: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({ code: 'MODEL_LOAD' })
    const controller = new AbortController()
    controller.abort()
    await expect(createMatter({ model: MODEL, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('applies maxPixels', async () => {
    const small = await createMatter({ model: MODEL, maxPixels: 100 * 100 })
    try {
      await expect(small.matte(variant('grey-320x240.png'))).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' })
    } finally {
      await small.dispose()
    }
  })

  it('loads a model from bytes and takes session options', async () => {
    const fromBytes = await createMatter({ model: readFileSync(MODEL), session: { intraOpNumThreads: 1 } })
    try {
      const a = await fromBytes.matte(variant('grey-320x240.png'))
      const b = await matter.matte(variant('grey-320x240.png'))
      expect(Buffer.from(a.matte.data)).toEqual(Buffer.from(b.matte.data))
    } finally {
      await fromBytes.dispose()
    }
  })
})

describe('outputs', () => {
  it('encodePng writes an 8-bit grey PNG for a matte that decodes back to the same samples', async () => {
    const { matte } = await matter.matte(variant('rgb-300x200-444.jpg'))
    const png = await encodePng(matte)
    const meta = await sharp(png).metadata()
    expect([meta.channels, meta.depth, meta.space]).toEqual([1, 'uchar', 'b-w'])
    const back = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
    expect(back.info.channels).toBe(1)
    expect(Buffer.from(back.data)).toEqual(Buffer.from(matte.data))
  })

  it('encodePng: MatteKit\'s encoder and libvips (compressionLevel) both give files libspng (sharp) reads back exactly, in 1, 3 and 4 channels', async () => {
    const result = await matter.matte(variant('rgb-300x200-444.jpg'))
    const images = [result.matte, result.image, cutout(result.image, result.matte)]
    for (const image of images) {
      const channels = image.data.length / (image.width * image.height)
      const ours = await encodePng(image)
      const vips = await encodePng(image, { compressionLevel: 1 })
      for (const png of [ours, vips, await encodePng(image, { compressionLevel: 9 })]) {
        const back = await (channels === 1 ? sharp(png).toColourspace('b-w') : sharp(png)).raw().toBuffer({ resolveWithObject: true })
        expect(back.info.channels).toBe(channels)
        expect(Buffer.from(back.data).equals(Buffer.from(image.data))).toBe(true)
      }
      // The Up filter and run-length matching beat libvips' unfiltered level 1 on these images.
      expect(ours.length).toBeLessThan(vips.length)
    }
    await expect(encodePng(result.matte, { compressionLevel: 10 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(encodePng({ width: 3, height: 3, data: new Uint8Array(10) })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('renderOutput: cutout has the matte as alpha; composite over a colour blends towards it', async () => {
    const result = await matter.matte(variant('rgb-300x200-444.jpg'))
    const cut = await sharp(await renderOutput(result, 'cutout')).raw().toBuffer({ resolveWithObject: true })
    expect(cut.info.channels).toBe(4)
    for (let i = 0; i < 300 * 200; i += 997) expect(cut.data[i * 4 + 3]).toBe(result.matte.data[i])
    const comp = await sharp(await renderOutput(result, 'composite', '#ff0000')).raw().toBuffer()
    for (let i = 0; i < 300 * 200; i += 997) {
      const a = result.matte.data[i]!
      const fg = result.image.data[i * 3]!
      expect(comp[i * 3]).toBe(Math.round((fg * a + 255 * (255 - a)) / 255))
    }
    await expect(renderOutput(result, 'sepia' as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })
})

describe('inference thread', () => {
  it("'worker' (default) keeps the event loop free during inference; 'main' blocks it; same mattes", async () => {
    const main = await createMatter({ model: MODEL, inferenceThread: 'main' })
    try {
      const countTicks = async (m: typeof matter): Promise<{ ticks: number; data: Uint8Array }> => {
        let ticks = 0
        const timer = setInterval(() => ticks++, 2)
        const r = await m.matte(variant('rgb-600x400-baseline.jpg'))
        clearInterval(timer)
        return { ticks, data: r.matte.data }
      }
      const w = await countTicks(matter)
      const m = await countTicks(main)
      expect(Buffer.from(w.data).equals(Buffer.from(m.data))).toBe(true)
      expect(w.ticks).toBeGreaterThan(m.ticks + 10)
    } finally {
      await main.dispose()
    }
    await expect(createMatter({ model: MODEL, inferenceThread: 'gpu' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })

  it('an idle, undisposed Matter does not keep the process alive', async () => {
    const { execFileSync } = await import('node:child_process')
    const script = `import { createMatter } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)}
const m = await createMatter({ model: ${JSON.stringify(MODEL)} })
await m.matte(${JSON.stringify(variant('grey-320x240.png'))})
console.log('done')`
    const out = execFileSync(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(out.trim()).toBe('done')
  })
})

describe('session pool', () => {
  it("several sessions ('throughput' on this machine, or 2) give the same mattes under concurrent calls", async () => {
    const pooled = await createMatter({ model: MODEL, sessions: availableParallelism() > 1 ? 'throughput' : 2 })
    try {
      const files = ['grey-320x240.png', 'rgb-300x200-444.jpg']
      const expected = await Promise.all(files.map(async (f) => Buffer.from((await matter.matte(variant(f))).matte.data)))
      const got = await Promise.all(Array.from({ length: 6 }, (_, i) => pooled.matte(variant(files[i % 2]!))))
      got.forEach((r, i) => expect(Buffer.from(r.matte.data).equals(expected[i % 2]!)).toBe(true))
    } finally {
      await pooled.dispose()
    }
    for (const sessions of [0, 1.5, 'fast'] as never[]) {
      await expect(createMatter({ model: MODEL, sessions })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    }
  })
})

describe('pre- and post-processing shared with the idle inference worker', () => {
  it('the worker session resizes a matte back with the worker taking half the rows, bit-identical', async () => {
    const { createOrtWorkerSession } = await import('./ort-worker.js')
    const { resizeMatte } = await import('@mattekit/core')
    const session = await createOrtWorkerSession(MODEL)
    try {
      const from = { width: 768, height: 512 }
      const matte = new Uint8Array(768 * 512).map((_, i) => (i * 2654435761) >>> 24)
      const shared = session.resizeMatte(matte, from, { width: 1500, height: 1000 })
      expect(shared).toBeInstanceOf(Promise) // handed to the worker, not computed alone
      expect(Buffer.from(await shared).equals(Buffer.from(resizeMatte(matte, from, { width: 1500, height: 1000 })))).toBe(true)
      const small = session.resizeMatte(matte, from, { width: 900, height: 600 }) // under a megapixel
      expect(small).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(small as Uint8Array).equals(Buffer.from(resizeMatte(matte, from, { width: 900, height: 600 })))).toBe(true)
    } finally {
      await session.dispose()
    }
  })

  it('gives exactly the matte of an unshared run, for single and concurrent calls', async () => {
    // 1500x1000 (1.5 MP, reduced to 768x512 by area resampling): large enough to be shared.
    const { data, info } = await sharp(join(FIXTURES, 'astronaut.png'))
      .resize(1500, 1000, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true })
    const pixels = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const }
    const plain = await createMatter({ model: MODEL, sharePreprocessing: false })
    try {
      const expected = await plain.matte(pixels)
      expect(expected.modelSize).toEqual({ width: 768, height: 512 })
      const shared = await matter.matte(pixels)
      expect(Buffer.from(shared.matte.data).equals(Buffer.from(expected.matte.data))).toBe(true)
      // Concurrent calls: the second finds the worker busy and preprocesses alone.
      const both = await Promise.all([matter.matte(pixels), matter.matte(pixels)])
      for (const r of both) expect(Buffer.from(r.matte.data).equals(Buffer.from(expected.matte.data))).toBe(true)
      // Calls in a row reuse one staging buffer for the rows they share (and grow it for a larger
      // image): each must see its own rows.
      const larger = await sharp(join(FIXTURES, 'astronaut.png')).flop().resize(1800, 1200, { fit: 'fill' }).raw().toBuffer()
      const other = { data: new Uint8Array(larger), width: 1800, height: 1200, channels: 3 as const }
      const expectedOther = await plain.matte(other)
      for (const [input, want] of [[pixels, expected], [other, expectedOther], [pixels, expected], [other, expectedOther]] as const) {
        const got = await matter.matte(input)
        expect(Buffer.from(got.matte.data).equals(Buffer.from(want.matte.data))).toBe(true)
      }
    } finally {
      await plain.dispose()
    }
  })
})

describe('session.allowSpinning', () => {
  it('false (idle onnxruntime threads sleep) gives the same mattes, in the worker and on the main thread', async () => {
    const path = variant('rgb-300x200-444.jpg')
    const expected = await matter.matte(path)
    for (const inferenceThread of ['worker', 'main'] as const) {
      const quiet = await createMatter({ model: MODEL, inferenceThread, session: { allowSpinning: false } })
      try {
        const r = await quiet.matte(path)
        expect(Buffer.from(r.matte.data).equals(Buffer.from(expected.matte.data))).toBe(true)
      } finally {
        await quiet.dispose()
      }
    }
  })
})
