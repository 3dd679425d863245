/**
 * Temporal stabilisers for video mattes. Core never reads a clock: callers pass each frame's
 * timestamp (as MediaPipe's `segmentForVideo(frame, timestamp)` does).
 *
 * - `adaptive` (the default, zero latency): motion-aware smoothing. Per pixel, the output follows
 *   the new matte with a gain that grows with the change: small changes (flicker, noise) are
 *   smoothed strongly, large changes (motion) pass at once, and a static soft matte is kept as it is.
 * - `ofd`: MODNet's One-Frame Delay exactly as the paper states it (MODNET.md section 3), with its
 *   one frame of latency.
 * - `off`: frames pass through.
 */
import { MatteError } from './errors.js'
import type { Matte } from './image.js'

/** Which stabiliser to run. */
export type StabilizerMode = 'adaptive' | 'ofd' | 'off'

/** Options of {@link createStabilizer}. */
export interface StabilizerOptions {
  /**
   * The method.
   * @defaultValue `'adaptive'`
   */
  readonly mode?: StabilizerMode
  /**
   * `ofd`: the threshold xi on [0, 1] (the paper's 0.1).
   * @defaultValue 0.1
   */
  readonly threshold?: number
  /**
   * `adaptive`: the gain for changes at or below {@link StabilizerOptions.deadband}: how much of a
   * small change passes per frame (lower is smoother).
   * @defaultValue 0.25
   */
  readonly minGain?: number
  /**
   * `adaptive`: changes up to this many levels (of 255) get {@link StabilizerOptions.minGain}.
   * @defaultValue 10
   */
  readonly deadband?: number
  /**
   * `adaptive`: changes of at least this many levels pass at once (gain 1): motion is never smeared.
   * @defaultValue 64
   */
  readonly motion?: number
  /**
   * Reset (treat the next frame as a first frame) when timestamps jump by more than this.
   * @defaultValue 1000
   */
  readonly maxGapMs?: number
}

/** A stabilised frame: the matte and the timestamp of the input frame it belongs to. */
export interface StabilizedFrame {
  /** The stabilised matte (a new buffer the caller owns). */
  readonly matte: Matte
  /** The timestamp passed with that frame to {@link Stabilizer.push}. */
  readonly timestamp: number
}

/** Per-pixel temporal filter over a stream of mattes of one size. */
export interface Stabilizer {
  /** Frames of delay between a {@link Stabilizer.push} and the frame it returns: 0, or 1 for `ofd`. */
  readonly latency: 0 | 1
  /**
   * Adds the matte of the next frame. Returns the stabilised frame that is now ready: with latency
   * 0 that is this frame; with latency 1 (`ofd`) the previous one, or `undefined` after the first push.
   *
   * @param matte - the frame's matte (not kept: copy semantics)
   * @param timestamp - the frame's time in milliseconds, increasing
   */
  push(matte: Matte, timestamp: number): StabilizedFrame | undefined
  /** Returns the frame still held back (latency 1), unchanged as the last frame of a clip, and resets. */
  flush(): StabilizedFrame | undefined
  /** Forgets all history (e.g. after a cut). */
  reset(): void
}

function num(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new MatteError('INVALID_OPTION', `stabilizer ${name} must be a number in [${min}, ${max}], got ${String(value)}.`)
  }
  return v
}

const copy = (m: Matte): Matte => ({ data: Uint8Array.from(m.data), width: m.width, height: m.height })

/**
 * Creates a temporal stabiliser for mattes of a video.
 *
 * @param options - the mode and its parameters
 * @returns a {@link Stabilizer}
 * @throws {@link MatteError} `INVALID_OPTION` for bad options
 * @example
 * ```ts
 * const stabilizer = createStabilizer() // adaptive, zero latency
 * for (const frame of frames) {
 *   const { matte } = await matter.matte(frame.pixels)
 *   const out = stabilizer.push(matte, frame.timestampMs)
 *   if (out) draw(out.matte)
 * }
 * ```
 */
export function createStabilizer(options: StabilizerOptions = {}): Stabilizer {
  const mode = options.mode ?? 'adaptive'
  const maxGapMs = num('maxGapMs', options.maxGapMs, 1000, 0, Number.MAX_SAFE_INTEGER)
  switch (mode) {
    case 'off':
      return {
        latency: 0,
        push: (matte, timestamp) => ({ matte: copy(matte), timestamp }),
        flush: () => undefined,
        reset: () => undefined,
      }
    case 'ofd':
      return ofd(num('threshold', options.threshold, 0.1, 0, 1), maxGapMs)
    case 'adaptive':
      return adaptive(
        num('minGain', options.minGain, 0.25, 0, 1),
        num('deadband', options.deadband, 10, 0, 255),
        num('motion', options.motion, 64, 0, 255),
        maxGapMs,
      )
    default:
      throw new MatteError('INVALID_OPTION', `Unknown stabilizer mode "${String(mode)}": use adaptive, ofd or off.`)
  }
}

/** Whether the stream must restart: new size, or a time gap. */
function breaks(prev: { width: number; height: number; timestamp: number } | undefined, m: Matte, t: number, maxGapMs: number): boolean {
  return !prev || prev.width !== m.width || prev.height !== m.height || !(t - prev.timestamp <= maxGapMs && t >= prev.timestamp)
}

/**
 * One-Frame Delay: pixel i of frame t flickers when |a(t-1) - a(t+1)| <= xi and a(t) differs from
 * both by more than xi (a are the model's mattes, not earlier outputs); it is then replaced by the
 * mean of its neighbours in time, rounded half up in 8 bits. First and last frames pass unchanged.
 */
function ofd(threshold: number, maxGapMs: number): Stabilizer {
  const xi = threshold * 255
  // The model's mattes (not the corrected outputs), as the rule is stated over predictions.
  let before: StabilizedFrame | undefined // t-1, already output
  let current: StabilizedFrame | undefined // t, held back
  const state = { push, flush, reset, latency: 1 as const }
  function reset(): void {
    before = undefined
    current = undefined
  }
  function flush(): StabilizedFrame | undefined {
    const last = current
    reset()
    return last
  }
  function push(matte: Matte, timestamp: number): StabilizedFrame | undefined {
    const next: StabilizedFrame = { matte: copy(matte), timestamp }
    if (current && breaks({ ...current.matte, timestamp: current.timestamp }, matte, timestamp, maxGapMs)) {
      // A cut: emit what we hold as a last frame, start again.
      const held = current
      before = undefined
      current = next
      return held
    }
    if (!current) {
      current = next
      return undefined
    }
    let out: StabilizedFrame
    if (!before) {
      out = current // the first frame passes unchanged
    } else {
      const a0 = before.matte.data
      const a1 = current.matte.data
      const a2 = next.matte.data
      const res = Uint8Array.from(a1)
      for (let i = 0; i < res.length; i++) {
        const p = a0[i]!
        const c = a1[i]!
        const n = a2[i]!
        if (Math.abs(p - n) <= xi && Math.abs(c - p) > xi && Math.abs(c - n) > xi) res[i] = (p + n + 1) >> 1
      }
      out = { matte: { data: res, width: matte.width, height: matte.height }, timestamp: current.timestamp }
    }
    before = current
    current = next
    return out
  }
  return state
}

/**
 * Motion-aware exponential smoothing: out = prev + g(d) * (in - prev), d = |in - prev|, with g = minGain
 * for d <= deadband, 1 for d >= motion, a quadratic ramp in between. Float state, 8-bit output
 * (rounded), so a static matte is reproduced exactly and a settled one converges to the exact input.
 */
function adaptive(minGain: number, deadband: number, motion: number, maxGapMs: number): Stabilizer {
  let state: Float32Array | undefined
  let last: { width: number; height: number; timestamp: number } | undefined
  const span = Math.max(1e-6, motion - deadband)
  // Gain per absolute difference, tabulated over 0..255 (differences are in levels).
  const gains = new Float32Array(256)
  for (let d = 0; d < 256; d++) {
    const r = (d - deadband) / span
    gains[d] = d <= deadband ? minGain : d >= motion ? 1 : minGain + (1 - minGain) * r * r
  }
  const reset = (): void => {
    state = undefined
    last = undefined
  }
  return {
    latency: 0,
    reset,
    flush: () => {
      reset()
      return undefined
    },
    push(matte: Matte, timestamp: number): StabilizedFrame {
      const src = matte.data
      const out = new Uint8Array(src.length)
      if (!state || breaks(last, matte, timestamp, maxGapMs)) {
        state = Float32Array.from(src)
        out.set(src)
      } else {
        const s = state
        for (let i = 0; i < src.length; i++) {
          const prev = s[i]!
          const diff = src[i]! - prev
          if (diff === 0) {
            out[i] = src[i]! // settled: the state is the input level
            continue
          }
          // |diff| <= 255 and v in [0, 255]: floor(x + 0.5) is Math.round for x >= 0.
          const v = prev + gains[((diff < 0 ? -diff : diff) + 0.5) | 0]! * diff
          s[i] = v
          out[i] = (v + 0.5) | 0
        }
      }
      last = { width: matte.width, height: matte.height, timestamp }
      return { matte: { data: out, width: matte.width, height: matte.height }, timestamp }
    },
  }
}
