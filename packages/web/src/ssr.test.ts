/**
 * `@mattekit/web` on a server (SSR) or any place without a DOM: importing it touches no browser
 * global, and creating a Matter fails with a typed error instead of a ReferenceError.
 */
import { describe, expect, it } from 'vitest'

describe('importing @mattekit/web without a browser', () => {
  it('touches no browser global and adds no global', async () => {
    const before = new Set(Object.getOwnPropertyNames(globalThis))
    const mk = await import('./index.js')
    expect(typeof mk.createMatter).toBe('function')
    expect(typeof mk.decodeImage).toBe('function')
    expect(typeof mk.encodePng).toBe('function')
    expect(mk.DEFAULT_MODEL_CACHE).toBe('mattekit-models-v1')
    const added = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name))
    expect(added).toEqual([])
  })

  it('createMatter rejects bad options with INVALID_OPTION and a missing Worker with UNSUPPORTED_ENVIRONMENT', async () => {
    const { createMatter } = await import('./index.js')
    const sha256 = 'a'.repeat(64)
    await expect(createMatter(undefined as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: { url: 'https://example.com/m.onnx' } as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(createMatter({ model: { url: 'https://example.com/m.onnx', sha256 }, device: 'cuda' as never })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    await expect(createMatter({ model: { url: 'https://example.com/m.onnx', sha256 }, threads: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
    await expect(createMatter({ model: { url: 'https://example.com/m.onnx', sha256 } })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ENVIRONMENT',
      message: expect.stringContaining("mode: 'inline'"),
    })
  })
})
