import type { ModelProgressEvent } from '@mattekit/core'

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
    const elapsed = (Date.now() - this.started) / 1000
    const eta = done > 0 ? Math.round((elapsed / done) * (this.total - done)) : undefined
    this.draw(done, this.total, label, eta)
  }

  /** Redraws the bar for video frames: `total` may be unknown; `etaMs` comes from the caller. */
  frames(done: number, total: number | undefined, etaMs: number | undefined): void {
    this.draw(done, total, 'frames', etaMs === undefined ? undefined : Math.round(etaMs / 1000))
  }

  private draw(done: number, total: number | undefined, label: string, etaS: number | undefined): void {
    const filled = total ? Math.min(this.width, Math.round((done / total) * this.width)) : 0
    const count = total ? `${String(done).padStart(String(total).length)}/${total}` : String(done)
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${count}` +
      `  ${label.slice(0, 40)}${etaS === undefined ? '' : `  ETA ${etaS}s`}`
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

const MiB = 1024 * 1024
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`

/** Options of {@link downloadReporter}. */
export interface DownloadReporterOptions {
  /** Draw a live bar (a TTY); otherwise print a line when a download starts and ends. */
  readonly tty: boolean
  /** What is downloaded, e.g. `MODNet fp32`. */
  readonly label: string
  /** Print nothing unless something goes wrong (retries are still reported). */
  readonly quiet?: boolean
  /** Milliseconds between redraws of the bar. @defaultValue 100 */
  readonly intervalMs?: number
}

/**
 * Turns model delivery events into terminal output on `out` (stderr):
 * `Downloading MODNet fp32 [#########-----------]  45%  11.2/24.7 MiB  8.3 MiB/s  ETA 2s` on a
 * TTY, plain lines otherwise. A cached model prints nothing.
 *
 * @param out - where to write
 * @param options - TTY or not, label
 * @returns the `onProgress` callback, and `clear()` to erase the bar before other output
 */
export function downloadReporter(
  out: NodeJS.WritableStream,
  options: DownloadReporterOptions,
): { onProgress: (event: ModelProgressEvent) => void; clear: () => void } {
  const { tty, label, quiet = false, intervalMs = 100 } = options
  const width = 24
  let started: number | undefined
  let startBytes = 0
  let lastDraw = 0
  let lastLength = 0
  let announced = false
  let lastLoaded = 0
  let lastTotal: number | undefined

  const clear = (): void => {
    if (lastLength) out.write(`\r${' '.repeat(lastLength)}\r`)
    lastLength = 0
  }
  const draw = (loaded: number, total: number | undefined, force: boolean): void => {
    const now = Date.now()
    if (!force && now - lastDraw < intervalMs) return
    lastDraw = now
    const seconds = Math.max(0.001, (now - (started ?? now)) / 1000)
    const rate = (loaded - startBytes) / seconds
    let line = `Downloading ${label} `
    if (total) {
      const filled = Math.min(width, Math.round((loaded / total) * width))
      const eta = rate > 0 ? Math.ceil((total - loaded) / rate) : undefined
      line +=
        `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor((loaded / total) * 100)).padStart(3)}%` +
        `  ${(loaded / MiB).toFixed(1)}/${mib(total)}`
      if (rate > 0) line += `  ${mib(rate)}/s${eta === undefined ? '' : `  ETA ${eta}s`}`
    } else {
      line += `${mib(loaded)}${rate > 0 ? `  ${mib(rate)}/s` : ''}`
    }
    out.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}`)
    lastLength = line.length
  }

  return {
    clear,
    onProgress(event) {
      switch (event.status) {
        case 'download':
          if (started === undefined) {
            started = Date.now()
            startBytes = event.loaded
          }
          lastLoaded = event.loaded
          lastTotal = event.total
          if (!announced) {
            announced = true
            if (!tty && !quiet) {
              const resume = event.loaded > 0 ? `, resuming at ${mib(event.loaded)}` : ''
              out.write(`mattekit: downloading ${label} from ${event.url}${event.total ? ` (${mib(event.total)}${resume})` : ''}\n`)
            }
          }
          if (tty && !quiet) draw(event.loaded, event.total, event.loaded === event.total)
          break
        case 'retry':
          clear()
          out.write(`mattekit: ${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)} s (retry ${event.attempt})\n`)
          started = undefined
          break
        case 'wait':
          if (!quiet) out.write(`mattekit: another process is downloading ${label}; waiting for it (${event.location})\n`)
          break
        case 'verify':
          if (tty && !quiet && announced) draw(lastLoaded, lastTotal, true)
          break
        case 'ready':
          clear()
          if (!event.cached && !quiet) out.write(`mattekit: ${label} verified (SHA-256) and cached at ${event.location}\n`)
          break
      }
    },
  }
}
