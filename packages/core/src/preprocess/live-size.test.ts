import { describe, expect, it } from 'vitest'
import { createMatterCore } from '../matter.js'
import { fakePlatform, testImage } from '../testing/fake-session.js'
import { liveModelSize } from './size.js'

describe('liveModelSize', () => {
  const table: [number, number, number, number, number][] = [
    [640, 480, 256, 256, 192],
    [1280, 720, 256, 256, 128],
    [1920, 1080, 512, 512, 288],
    [720, 1280, 384, 192, 384],
    [480, 640, 256, 192, 256],
    [256, 256, 256, 256, 256],
    [1280, 720, 300, 288, 160], // 300 -> 288; 168 -> 160
    [100, 50, 256, 256, 128], // small frames are scaled up to the requested size
    [4000, 20, 256, 256, 32], // the short side never rounds to 0
  ]
  it.each(table)('%ix%i at %i -> %ix%i', (w, h, long, rw, rh) => {
    expect(liveModelSize(w, h, long)).toEqual({ width: rw, height: rh })
  })

  it('rejects sizes that are not whole numbers from 32 to 4096 with INVALID_OPTION', () => {
    for (const bad of [0, 31, 4097, 256.5, Number.NaN, -256]) {
      expect(() => liveModelSize(640, 480, bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
    expect(() => liveModelSize(0, 480, 256)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('matte() with modelSize and matteSize', () => {
  it('runs at the live size and returns the matte at model size, with the official preprocessing', async () => {
    const platform = fakePlatform()
    const matter = createMatterCore(platform)
    const image = testImage(640, 480)
    const live = await matter.matte(image, { modelSize: 256, matteSize: 'model' })
    expect(live.modelSize).toEqual({ width: 256, height: 192 })
    expect(platform.session.lastDims).toEqual([1, 3, 192, 256])
    expect(live.matte.width).toBe(256)
    expect(live.matte.height).toBe(192)
    expect(live.matte.data.length).toBe(256 * 192)
    // The fake model's matte follows the red ramp (r/255): left dark, right bright.
    expect(live.matte.data[100 * 256]!).toBeLessThanOrEqual(2)
    expect(live.matte.data[100 * 256 + 255]!).toBeGreaterThanOrEqual(253)
    // Same size, resized back to the input (INTER_AREA) by default.
    const back = await matter.matte(image, { modelSize: 256 })
    expect(back.matte.width).toBe(640)
    expect(back.matte.height).toBe(480)
    // 'official' is the default rule.
    const official = await matter.matte(image, { modelSize: 'official', matteSize: 'model' })
    expect(official.modelSize).toEqual({ width: 640, height: 480 })
    await matter.dispose()
  })

  it('rejects a bad modelSize or matteSize with INVALID_OPTION before decoding', async () => {
    const matter = createMatterCore(fakePlatform())
    await expect(matter.matte(testImage(64, 64), { modelSize: 20 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(matter.matte(testImage(64, 64), { matteSize: 'full' as 'model' })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await matter.dispose()
  })
})
