/**
 * Live figures of a processed track: rates over a sliding window and medians of recent samples.
 */

/**
 * Events per second over the last `windowMs` (timestamps from `performance.now()`); the last two
 * events always count, so slow events (a model at 1 result/s) still give a rate, which decays
 * once events stop.
 */
export class RateMeter {
  private readonly times: number[] = []
  constructor(private readonly windowMs = 2000) {}

  /** Records one event at `now`. */
  tick(now: number): void {
    this.times.push(now)
    this.trim(now)
  }

  /** Events per second at `now`. */
  rate(now: number): number {
    this.trim(now)
    const n = this.times.length
    if (n < 2) return 0
    const first = this.times[0]!
    const last = this.times[n - 1]!
    const span = Math.max(last - first, now - last)
    return span > 0 ? ((n - 1) * 1000) / span : 0
  }

  private trim(now: number): void {
    let drop = 0
    while (this.times.length - drop > 2 && now - this.times[drop]! > this.windowMs) drop++
    if (drop) this.times.splice(0, drop)
  }
}

/** The median of the last `size` samples. */
export class MedianWindow {
  private readonly samples: number[] = []
  constructor(private readonly size = 90) {}

  /** Adds a sample. */
  add(value: number): void {
    this.samples.push(value)
    if (this.samples.length > this.size) this.samples.shift()
  }

  /** The median, 0 before any sample. */
  median(): number {
    const n = this.samples.length
    if (n === 0) return 0
    const sorted = [...this.samples].sort((a, b) => a - b)
    return n % 2 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
  }
}
