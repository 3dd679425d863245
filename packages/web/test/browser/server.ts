/**
 * The static server browser tests and the web benchmark load pages from: http://localhost (a
 * secure context), with every path under two prefixes:
 * - `/coi/...`: `Cross-Origin-Opener-Policy: same-origin` + `Cross-Origin-Embedder-Policy:
 *   require-corp`, so the page is cross-origin isolated and onnxruntime-web may use threads;
 * - `/plain/...`: no isolation headers (single-threaded).
 *
 * Below a prefix: `app/` (the built test page), `fixtures/`, `models/` (the stand-in model) and
 * `ort/` (onnxruntime-web's dist, for the self-hosting test). Model files honour HTTP Range (so
 * core's resume logic can run), and a few switches make failures on purpose:
 * `?slow=1` streams slowly (for abort tests), `?corrupt=1` flips a byte (integrity), `?fail=404`.
 * `GET /__stats` returns how often each path was requested; `POST /__reset` clears the counts.
 */
import { createReadStream, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tiff': 'image/tiff',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
}

/** A running test server. */
export interface TestServer {
  /** `http://localhost:<port>` */
  readonly origin: string
  /** Stops the server. */
  close(): Promise<void>
}

/**
 * Starts the server.
 *
 * @param mounts - URL directory (e.g. `app`) to a directory on disk
 */
export async function startServer(mounts: Record<string, string>): Promise<TestServer> {
  const counts = new Map<string, number>()
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(error))
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' })
      res.end(JSON.stringify(Object.fromEntries(counts)))
      return
    }
    if (url.pathname === '/__reset') {
      counts.clear()
      res.writeHead(204, { 'access-control-allow-origin': '*' })
      res.end()
      return
    }
    const [, prefix, mount, ...rest] = url.pathname.split('/')
    const headers: Record<string, string> = { 'cache-control': 'no-store', 'cross-origin-resource-policy': 'same-origin' }
    if (prefix === 'coi') {
      headers['cross-origin-opener-policy'] = 'same-origin'
      headers['cross-origin-embedder-policy'] = 'require-corp'
    } else if (prefix !== 'plain') {
      res.writeHead(404)
      res.end()
      return
    }
    const dir = mount === undefined ? undefined : mounts[mount]
    const relative = rest.map(decodeURIComponent).join('/') || 'index.html'
    const file = dir === undefined ? undefined : normalize(join(dir, relative))
    if (dir === undefined || file === undefined || !(file === dir || file.startsWith(dir + sep))) {
      res.writeHead(404, headers)
      res.end()
      return
    }
    const key = `/${mount}/${relative}`
    counts.set(key, (counts.get(key) ?? 0) + 1)

    const fail = url.searchParams.get('fail')
    if (fail) {
      res.writeHead(Number(fail), headers)
      res.end('failed on purpose')
      return
    }
    let size: number
    try {
      const stat = statSync(file)
      if (!stat.isFile()) throw new Error('not a file')
      size = stat.size
    } catch {
      res.writeHead(404, headers)
      res.end()
      return
    }
    headers['content-type'] = MIME[extname(file)] ?? 'application/octet-stream'
    headers['accept-ranges'] = 'bytes'

    let start = 0
    let end = size - 1
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    if (range) {
      start = Number(range[1])
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1
      if (start >= size) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` })
        res.end()
        return
      }
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) })
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(size) })
    }
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    if (url.searchParams.get('corrupt')) {
      const bytes = await readFile(file)
      const middle = bytes.length >> 1
      bytes[middle] = bytes[middle]! ^ 0xff
      res.end(bytes.subarray(start, end + 1))
      return
    }
    if (url.searchParams.get('slow')) {
      // About 2 MB/s in 64 KiB steps: a 26 MB model takes ~13 s, time enough to abort.
      const bytes = await readFile(file)
      let at = start
      const step = (): void => {
        if (res.destroyed) return
        if (at > end) {
          res.end()
          return
        }
        const next = Math.min(end + 1, at + 65536)
        res.write(bytes.subarray(at, next))
        at = next
        setTimeout(step, 30)
      }
      step()
      return
    }
    createReadStream(file, { start, end }).pipe(res)
  }

  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
