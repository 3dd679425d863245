import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSha256 } from './sha256.js'

const node = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

describe('createSha256 (pure JS, incremental)', () => {
  it('matches the FIPS 180-4 examples', () => {
    const h = createSha256()
    h.update(new TextEncoder().encode('abc'))
    expect(h.digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(createSha256().digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('matches node:crypto for every length around the block and padding boundaries, in any chunking', () => {
    let seed = 7
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0)
    for (const length of [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_001]) {
      const data = Uint8Array.from({ length }, () => next() & 0xff)
      for (const chunk of [1, 3, 64, 65, 4096, length]) {
        const h = createSha256()
        for (let i = 0; i < length; i += chunk) h.update(data.subarray(i, i + chunk))
        expect(h.digest(), `length ${length}, chunk ${chunk}`).toBe(node(data))
      }
    }
  })

  it('refuses use after digest', () => {
    const h = createSha256()
    h.digest()
    expect(() => h.update(new Uint8Array(1))).toThrow()
    expect(() => h.digest()).toThrow()
  })
})
