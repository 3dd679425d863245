/**
 * Test helpers: the seeded generator and the data generators that `scripts/reference/opencv_reference.py`
 * mirrors, so reference inputs are reproduced here instead of being stored.
 *
 * @packageDocumentation
 */

/** The mulberry32 increment: the generator's state is `seed + i * GOLDEN` (mod 2^32). */
const GOLDEN = 0x6d2b79f5

/**
 * The `i`-th output (counting from 0) of mulberry32 seeded with `seed`, as an unsigned 32-bit integer.
 * mulberry32's state is a counter, so any output can be computed directly.
 *
 * @param seed - the seed, taken as an unsigned 32-bit integer
 * @param i - the output index
 * @returns the output, in [0, 2^32)
 */
export function mulberry32At(seed: number, i: number): number {
  let t = (seed + Math.imul(i + 1, GOLDEN)) | 0
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return (t ^ (t >>> 14)) >>> 0
}

/**
 * A seeded mulberry32 generator of unsigned 32-bit integers.
 *
 * @param seed - the seed, taken as an unsigned 32-bit integer
 * @returns a function returning the next output, in [0, 2^32)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + GOLDEN) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/**
 * `n` pseudo-random bytes: the top 8 bits of each mulberry32 output.
 *
 * @param seed - the generator seed
 * @param n - how many bytes
 * @returns the bytes
 */
export function randomBytes(seed: number, n: number): Uint8Array {
  const next = mulberry32(seed)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = next() >>> 24
  return out
}

/**
 * `n` pseudo-random float32 values in [-1, 1): `(u >>> 8) * 2^-23 - 1`, exact in float32.
 *
 * @param seed - the generator seed
 * @param n - how many values
 * @returns the values
 */
export function randomFloats(seed: number, n: number): Float32Array {
  const next = mulberry32(seed)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = (next() >>> 8) * 2 ** -23 - 1
  return out
}

/**
 * Sample positions in an array of `n` items: the first and the last, then `count - 2` drawn with
 * mulberry32 (`u % n`), repeats allowed.
 *
 * @param seed - the generator seed
 * @param n - the array length
 * @param count - how many positions (at least 2)
 * @returns the positions
 */
export function samplePositions(seed: number, n: number, count: number): Int32Array {
  const next = mulberry32(seed)
  const out = new Int32Array(count)
  out[0] = 0
  out[1] = n - 1
  for (let i = 2; i < count; i++) out[i] = next() % n
  return out
}
