import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { readImageHeader, sniffImageFormat } from './image-format.js'

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures')
const variants = readdirSync(join(FIXTURES, 'variants')).filter((f) => /\.(png|jpg|webp)$/.test(f))

describe('readImageHeader', () => {
  it.each(['astronaut.png', 'camera.png', ...variants.map((f) => `variants/${f}`)])('%s: format and stored size as libvips reads them', async (file) => {
    const bytes = readFileSync(join(FIXTURES, file))
    const meta = await sharp(bytes).metadata()
    const header = readImageHeader(bytes)
    expect(header.format).toBe(meta.format === 'jpeg' ? 'jpeg' : meta.format)
    expect([header.width, header.height]).toEqual([meta.width, meta.height])
    expect(header.alpha).toBe(meta.hasAlpha || /trns/.test(file))
    // A JPEG's component count: what tells the Node decoder that libvips will read it as CMYK.
    if (header.format === 'jpeg') {
      expect(header.components).toBe(meta.channels)
      expect(header.components === 4).toBe(meta.space === 'cmyk')
    } else expect(header.components).toBeUndefined()
  })

  it.each([
    ['empty.png', 'INVALID_INPUT'],
    ['text.png', 'INVALID_INPUT'],
    ['random.bin', 'INVALID_INPUT'],
    ['animated.gif', 'UNSUPPORTED_FORMAT'],
    ['animated.webp', 'UNSUPPORTED_FORMAT'],
    ['image.bmp', 'UNSUPPORTED_FORMAT'],
    ['image.tiff', 'UNSUPPORTED_FORMAT'],
  ])('bad/%s: %s', (file, code) => {
    expect(() => readImageHeader(readFileSync(join(FIXTURES, 'bad', file)))).toThrow(expect.objectContaining({ code }))
  })

  it('reads the declared size of a decompression bomb without decoding it', () => {
    const header = readImageHeader(readFileSync(join(FIXTURES, 'bad', 'huge-100000x100000.png')))
    expect([header.width, header.height]).toEqual([100000, 100000])
  })

  it('names HTML and SVG, and reports cut headers as CORRUPT_IMAGE', () => {
    const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s))
    expect(() => sniffImageFormat(text('<!doctype html><p>404</p>'))).toThrow(/HTML page/)
    expect(() => sniffImageFormat(text('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FORMAT' }))
    const png = readFileSync(join(FIXTURES, 'astronaut.png')).subarray(0, 20)
    expect(() => readImageHeader(png)).toThrow(expect.objectContaining({ code: 'CORRUPT_IMAGE' }))
    const jpeg = readFileSync(join(FIXTURES, 'variants', 'rgb-300x200-444.jpg')).subarray(0, 100)
    expect(() => readImageHeader(jpeg)).toThrow(expect.objectContaining({ code: 'CORRUPT_IMAGE' }))
  })
})
