/**
 * The CLI's model download output: a live progress bar on a TTY, plain lines otherwise.
 * Runs `main()` in-process (with a fake TTY) against a local HTTP server.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ModelServer, readStandIn, startModelServer } from '../testing/model-server.js'
import { main } from './main.js'
import { downloadReporter } from './progress.js'

class Capture extends Writable {
  text = ''
  constructor(readonly isTTY: boolean) {
    super()
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += String(chunk)
    done()
  }
}

const standIn = readStandIn()
let server: ModelServer
let dir: string
beforeAll(async () => {
  server = await startModelServer({ files: { '/model.onnx': standIn.data }, chunkDelayMs: 1 })
  dir = mkdtempSync(join(tmpdir(), 'mattekit-cli-progress-'))
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('download progress', () => {
  it('draws a bar with percentage, sizes, speed and ETA on a TTY while `models fetch` downloads', async () => {
    const stdout = new Capture(false)
    const stderr = new Capture(true)
    const args = ['models', 'fetch', '--model-url', `${server.url}/model.onnx`, '--model-sha256', standIn.sha256, '--cache-dir', dir]
    expect(await main(args, { stdout, stderr })).toBe(0)
    const frames = stderr.text.split('\r').filter((f) => f.startsWith('Downloading'))
    expect(frames.length).toBeGreaterThan(1)
    expect(frames[0]).toMatch(/^Downloading http:\/\/127\.0\.0\.1:\d+\/model\.onnx \[[#-]{24}\] +\d+% {2}[\d.]+\/24\.7 MiB/)
    expect(frames.some((f) => /MiB\/s {2}ETA \d+s/.test(f))).toBe(true)
    expect(frames.at(-1)).toMatch(/\[#{24}\] 100% {2}24\.7\/24\.7 MiB/)
    expect(stderr.text).toMatch(/verified \(SHA-256\) and cached at/)
    expect(stdout.text).toMatch(/^downloaded: /)
  })

  it('prints plain lines when not a TTY, retries and waits included; nothing for a cache hit', () => {
    const out = new Capture(false)
    const { onProgress } = downloadReporter(out, { tty: false, label: 'MODNet fp16' })
    onProgress({ status: 'wait', location: '/c/x.onnx' })
    onProgress({ status: 'download', url: 'https://h/f.onnx', loaded: 0, total: 2 * 1024 * 1024 })
    onProgress({ status: 'retry', url: 'https://h/f.onnx', attempt: 1, delayMs: 500, reason: 'HTTP 503' })
    onProgress({ status: 'download', url: 'https://h/f.onnx', loaded: 1024 * 1024, total: 2 * 1024 * 1024 })
    onProgress({ status: 'verify', location: '/c/x.onnx' })
    onProgress({ status: 'ready', location: '/c/x.onnx', cached: false })
    expect(out.text).toBe(
      [
        'mattekit: another process is downloading MODNet fp16; waiting for it (/c/x.onnx)',
        'mattekit: downloading MODNet fp16 from https://h/f.onnx (2.0 MiB)',
        'mattekit: HTTP 503; retrying in 0.5 s (retry 1)',
        'mattekit: MODNet fp16 verified (SHA-256) and cached at /c/x.onnx',
        '',
      ].join('\n'),
    )
    const quiet = new Capture(true)
    downloadReporter(quiet, { tty: true, label: 'x' }).onProgress({ status: 'ready', location: '/c', cached: true })
    expect(quiet.text).toBe('')
  })
})
