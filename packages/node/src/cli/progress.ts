/** A one-line progress bar for TTYs: `[#######-------]  7/14  photo.jpg  ETA 12s`. */
export class ProgressBar {
  private readonly started = Date.now()
  private lastLength = 0

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly total: number,
    private readonly width = 24,
  ) {}

  /** Redraws the bar with `done` items finished and `label` in progress. */
  update(done: number, label: string): void {
    const filled = Math.round((done / this.total) * this.width)
    const elapsed = (Date.now() - this.started) / 1000
    const eta = done > 0 ? Math.round((elapsed / done) * (this.total - done)) : undefined
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${String(done).padStart(String(this.total).length)}/${this.total}` +
      `  ${label.slice(0, 40)}${eta === undefined ? '' : `  ETA ${eta}s`}`
    this.out.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`)
    this.lastLength = line.length
  }

  /** Erases the bar (before printing a message). */
  clear(): void {
    if (this.lastLength) this.out.write(`\r${' '.repeat(this.lastLength)}\r`)
    this.lastLength = 0
  }

  /** Erases the bar for good. */
  done(): void {
    this.clear()
  }
}
