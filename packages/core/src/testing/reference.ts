/**
 * Test helper: typed access to `src/testdata/opencv-reference.json` (written by
 * `scripts/reference/opencv_reference.py` with Debian's OpenCV 4.6.0) and comparison of a result
 * with a stored summary.
 *
 * @packageDocumentation
 */

import json from '../testdata/opencv-reference.json'
import { crc32, crc32Rounded, floatsFromBase64, fromBase64, sumOf } from './checksum.js'
import { mulberry32At, samplePositions } from './prng.js'

/** What the reference keeps of one result. */
export interface Summary {
  /** CRC-32 of the result's bytes. */
  readonly crc32: string
  /** Float results: CRC-32 of the values rounded to 1e-5. */
  readonly crc32Rounded?: string
  /** Sum of all values (numpy's pairwise order). */
  readonly sum: number
  /** Seed of the sample positions. */
  readonly sampleSeed: number
  /** Base64 of the sampled values (uint8, or float32 little-endian). */
  readonly samples: string
}

/** One `cv2.resize(INTER_AREA)` case on generated data. */
export interface ResizeCase extends Summary {
  readonly name: string
  readonly dtype: 'u8' | 'f32'
  readonly channels: number
  readonly from: readonly [number, number]
  readonly to: readonly [number, number]
  readonly seed: number
}

/** One official preprocessing case on a fixture crop. */
export interface TensorCase extends Summary {
  readonly name: string
  readonly fixture: 'astronaut.png' | 'camera.png'
  readonly crop: { readonly x: number; readonly y: number; readonly width: number; readonly height: number }
  readonly inputCrc32: string
  readonly shape: readonly number[]
}

/** One official post-processing case on a synthetic model output. */
export interface MatteCase extends Summary {
  readonly name: string
  readonly model: readonly [number, number]
  readonly original: readonly [number, number]
  readonly seed: number
  readonly quantizedCrc32: string
  readonly alphaCrc32: string
}

/** One row of the size rule. */
export interface SizeRuleCase {
  readonly input: readonly [number, number]
  readonly output?: readonly [number, number]
  readonly error?: string
}

/** The whole reference file. */
export interface Reference {
  readonly opencv: string
  readonly sizeRule: readonly SizeRuleCase[]
  readonly resize: readonly ResizeCase[]
  readonly tensor: readonly TensorCase[]
  readonly matte: readonly MatteCase[]
}

/** The reference data. */
export const reference: Reference = json as unknown as Reference

/** How a result compares with a stored summary. */
export interface Comparison {
  /** The CRC-32 of the whole result matches: bit-identical to OpenCV. */
  readonly identical: boolean
  /** Float results: the CRC-32 of the values rounded to 1e-5 matches. */
  readonly roundedIdentical: boolean
  /** How many samples were compared. */
  readonly samples: number
  /** How many of them are equal. */
  readonly exactSamples: number
  /** Largest absolute difference over the samples. */
  readonly maxDiff: number
  /** Absolute difference of the sums. */
  readonly sumDiff: number
}

/**
 * Compares a result with its stored summary.
 *
 * @param result - the full result
 * @param expected - the stored summary
 * @returns checksum equality and sample statistics
 */
export function compare(result: Uint8Array | Float32Array, expected: Summary): Comparison {
  const isFloat = result instanceof Float32Array
  const values = isFloat ? floatsFromBase64(expected.samples) : fromBase64(expected.samples)
  const positions = samplePositions(expected.sampleSeed, result.length, values.length)
  let exactSamples = 0
  let maxDiff = 0
  for (let i = 0; i < values.length; i++) {
    const d = Math.abs(result[positions[i]!]! - values[i]!)
    if (d === 0) exactSamples++
    else maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Infinity : d)
  }
  return {
    identical: crc32(result) === expected.crc32,
    roundedIdentical: isFloat ? crc32Rounded(result) === expected.crc32Rounded : true,
    samples: values.length,
    exactSamples,
    maxDiff,
    sumDiff: Math.abs(sumOf(result) - expected.sum),
  }
}

/**
 * The synthetic model output of the reference script: `clip(((5x + 3y) mod 300) / 299 + noise, 0, 1)`
 * with `noise = (u >> 8) / 2^24 * 0.2 - 0.1`, in float64, rounded to float32 once.
 *
 * @param seed - the generator seed
 * @param width - the width
 * @param height - the height
 * @returns the alpha plane, rows top to bottom
 */
export function syntheticAlpha(seed: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height)
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const base = ((x * 5 + y * 3) % 300) / 299
      const noise = ((mulberry32At(seed, i) >>> 8) / 16777216) * 0.2 - 0.1
      out[i] = Math.min(Math.max(base + noise, 0), 1)
    }
  }
  return out
}
