/** Small statistics helpers for the benchmarks. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const round = (v: number, digits = 1): number => Number(v.toFixed(digits))
