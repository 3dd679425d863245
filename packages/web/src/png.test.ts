import sharp from 'sharp'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodePng } from './png.js'

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 37 + (i >> 7) * 11) & 255
  return out
}

async function decode(blob: Blob): Promise<{ data: Uint8Array; channels: number; width: number; height: number }> {
  const file = Buffer.from(await blob.arrayBuffer())
  const channels = (await sharp(file).metadata()).channels
  // sharp widens grey to RGB on raw output unless asked for the one channel.
  const img = channels === 1 ? sharp(file).extractChannel(0) : sharp(file)
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), channels, width: info.width, height: info.height }
}

describe('encodePng', () => {
  afterEach(() => vi.unstubAllGlobals())

  it.each([
    ['grey (a matte)', 1],
    ['RGB', 3],
    ['RGBA with straight alpha (colour under alpha 0 kept)', 4],
  ])('%s round-trips exactly', async (_name, channels) => {
    const image = { data: pattern(37 * 23 * channels), width: 37, height: 23 }
    const blob = await encodePng(image)
    expect(blob.type).toBe('image/png')
    const back = await decode(blob)
    expect([back.width, back.height, back.channels]).toEqual([37, 23, channels])
    expect(Buffer.from(back.data).equals(Buffer.from(image.data))).toBe(true)
  })

  it('writes valid stored-deflate PNGs where CompressionStream is missing', async () => {
    vi.stubGlobal('CompressionStream', undefined)
    const image = { data: pattern(300 * 250 * 4), width: 300, height: 250 } // > 64 KiB: several blocks
    const back = await decode(await encodePng(image))
    expect(Buffer.from(back.data).equals(Buffer.from(image.data))).toBe(true)
  })

  it('rejects a buffer that is not 1, 3 or 4 bytes per pixel', async () => {
    await expect(encodePng({ data: new Uint8Array(10), width: 2, height: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
