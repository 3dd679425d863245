import { describe, expect, it } from 'vitest'
import { isMatteError } from '../errors.js'
import { reference } from '../testing/reference.js'
import { modelInputSize } from './size.js'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('modelInputSize', () => {
  // MODNET.md section 2, step 3.
  const table: [number, number, number, number][] = [
    [512, 512, 512, 512],
    [500, 500, 512, 512],
    [513, 513, 512, 512],
    [1, 1, 512, 512],
    [31, 17, 928, 512],
    [600, 400, 576, 384],
    [640, 480, 640, 480],
    [512, 600, 512, 576],
    [700, 300, 672, 288],
    [1280, 720, 896, 512],
    [1920, 1080, 896, 512],
    [3840, 2160, 896, 512],
    [1080, 1920, 512, 896],
    [4000, 3000, 672, 512],
    [33, 4000, 32, 4000],
  ]

  it.each(table)('%ix%i -> %ix%i (MODNET.md table)', (w, h, rw, rh) => {
    expect(modelInputSize(w, h)).toEqual({ width: rw, height: rh })
  })

  it('rejects 20x600 (0x576) with IMAGE_TOO_SMALL and says what to do', () => {
    const err = thrown(() => modelInputSize(20, 600))
    expect(isMatteError(err, 'IMAGE_TOO_SMALL')).toBe(true)
    expect((err as Error).message).toMatch(/20x600/)
    expect((err as Error).message).toMatch(/at least 32 pixels/)
    expect(isMatteError(thrown(() => modelInputSize(600, 20)), 'IMAGE_TOO_SMALL')).toBe(true)
    expect(isMatteError(thrown(() => modelInputSize(1, 10000)), 'IMAGE_TOO_SMALL')).toBe(true)
  })

  it('keeps sizes between the branches and truncates in double precision', () => {
    expect(modelInputSize(512, 511)).toEqual({ width: 512, height: 480 })
    expect(modelInputSize(511, 511)).toEqual({ width: 512, height: 512 })
    expect(modelInputSize(32, 600)).toEqual({ width: 32, height: 576 })
    expect(modelInputSize(10000, 513)).toEqual({ width: 9952, height: 512 })
    // 333x511: rh = trunc(511 / 333 * 512) = 785 -> 768.
    expect(modelInputSize(333, 511)).toEqual({ width: 512, height: 768 })
    // No upper bound: 100000 / 600 * 512 = 85333.33 -> 85312.
    expect(modelInputSize(100000, 600)).toEqual({ width: 85312, height: 512 })
    expect(modelInputSize(33, 40000)).toEqual({ width: 32, height: 40000 })
  })

  it('both axes move the same way', () => {
    for (const [w, h] of [
      [31, 17],
      [600, 400],
      [1920, 1080],
      [700, 300],
      [333, 511],
      [4000, 3000],
      [512, 600],
    ] as const) {
      const s = modelInputSize(w, h)
      const up = s.width > w || s.height > h
      const down = s.width < w || s.height < h
      expect(up && down).toBe(false)
    }
  })

  it.each([
    [0, 10],
    [10, 0],
    [-1, 10],
    [10.5, 10],
    [Number.NaN, 10],
    [Number.POSITIVE_INFINITY, 10],
    [10, 2 ** 53],
  ])('rejects %s x %s with INVALID_INPUT', (w, h) => {
    expect(isMatteError(thrown(() => modelInputSize(w, h)), 'INVALID_INPUT')).toBe(true)
  })

  it('rejects a bad reference size with INVALID_OPTION', () => {
    expect(isMatteError(thrown(() => modelInputSize(10, 10, 0)), 'INVALID_OPTION')).toBe(true)
    expect(isMatteError(thrown(() => modelInputSize(10, 10, 1.5)), 'INVALID_OPTION')).toBe(true)
  })

  it('takes another reference size', () => {
    expect(modelInputSize(1920, 1080, 256)).toEqual({ width: 448, height: 256 })
    expect(isMatteError(thrown(() => modelInputSize(1920, 1080, 16)), 'IMAGE_TOO_SMALL')).toBe(true)
  })

  it.each(reference.sizeRule.map((c) => [`${c.input[0]}x${c.input[1]}`, c] as const))(
    '%s matches the official get_scale_factor',
    (_name, c) => {
      const [w, h] = c.input
      if (c.error !== undefined) {
        expect(isMatteError(thrown(() => modelInputSize(w, h)), 'IMAGE_TOO_SMALL')).toBe(true)
      } else {
        expect(modelInputSize(w, h)).toEqual({ width: c.output![0], height: c.output![1] })
      }
    },
  )
})
