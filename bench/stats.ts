/** Small statistics helpers for the benchmarks. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const round = (v: number, digits = 1): number => Number(v.toFixed(digits))

/**
 * A 100 ms pause before a measured run: onnxruntime's pool threads keep spinning for a while after
 * a run, and would otherwise take the cores from the other side's next run.
 */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100))
