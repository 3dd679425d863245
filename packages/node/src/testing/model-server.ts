/**
 * Test helper: a local HTTP server (127.0.0.1, a free port) that serves model files with fault
 * injection. Faults are queued and consumed one per request, in order.
 */
import { readFileSync } from 'node:fs'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { MODEL } from '../../test/paths.js'

/** What the next request gets. */
export type ServerFault =
  /** Answer with this status (and optionally a Retry-After), no body. */
  | { readonly status: number; readonly retryAfter?: string }
  /** Announce the full length, send up to this absolute offset, then destroy the connection. */
  | { readonly cutAt: number }
  /** Send up to this absolute offset, then nothing, ever (until the client gives up). */
  | { readonly stallAt: number }
  /** Send the right length with every byte flipped. */
  | { readonly wrongBytes: true }
  /** Answer a Range request with the whole file (200), as servers without Range support do. */
  | { readonly ignoreRange: true }
  /** Hold the response until this promise resolves (then serve normally). */
  | { readonly gate: Promise<void> }

/** One request the server saw. */
export interface ServedRequest {
  readonly path: string
  readonly range?: string
  /** The status answered. */
  status: number
  /** Body bytes written. */
  sent: number
}

/** Options of {@link startModelServer}. */
export interface ModelServerOptions {
  /** Files by URL path, e.g. `{ '/model.onnx': bytes }`. */
  readonly files: Readonly<Record<string, Uint8Array>>
  /** Whether Range requests are honoured. @defaultValue true */
  readonly range?: boolean
  /** Bytes per write. @defaultValue 65536 */
  readonly chunk?: number
  /** Throttle: milliseconds to wait after each chunk. @defaultValue 0 */
  readonly chunkDelayMs?: number
}

/** A running {@link startModelServer}. */
export interface ModelServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Every request, in order. */
  readonly requests: ServedRequest[]
  /** Queues faults for the next requests. */
  fault(...faults: ServerFault[]): void
  /** Changes the throttle. */
  throttle(chunkDelayMs: number): void
  /** Resolves once the server has sent `bytes` more body bytes (counted from this call). */
  sendsMore(bytes: number): Promise<void>
  /** Stops the server and drops every connection. */
  close(): Promise<void>
}

/**
 * Starts the server.
 *
 * @param options - the files and behaviour
 * @returns the running server
 */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const faults: ServerFault[] = []
  const requests: ServedRequest[] = []
  const chunk = options.chunk ?? 65_536
  let chunkDelayMs = options.chunkDelayMs ?? 0
  let totalSent = 0
  const watchers: { bytes: number; resolve: () => void }[] = []
  const sent = (n: number): void => {
    totalSent += n
    for (const w of [...watchers]) {
      if (totalSent >= w.bytes) {
        watchers.splice(watchers.indexOf(w), 1)
        w.resolve()
      }
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!
    const range = req.headers.range
    const record: ServedRequest = { path, ...(range ? { range } : {}), status: 0, sent: 0 }
    requests.push(record)
    const file = options.files[path]
    if (!file) {
      record.status = 404
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const fault = faults.shift()
    if (fault && 'gate' in fault) await fault.gate
    if (fault && 'status' in fault) {
      record.status = fault.status
      res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}).end()
      return
    }
    const body = fault && 'wrongBytes' in fault ? file.map((b) => b ^ 0xff) : file
    let start = 0
    let status = 200
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' }
    if (options.range !== false) headers['accept-ranges'] = 'bytes'
    const m = /^bytes=(\d+)-$/.exec(range ?? '')
    if (m && options.range !== false && !(fault && 'ignoreRange' in fault)) {
      start = Number(m[1])
      if (start >= body.length) {
        record.status = 416
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end()
        return
      }
      status = 206
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`
    }
    headers['content-length'] = String(body.length - start)
    record.status = status
    res.writeHead(status, headers)
    const stopAt = fault && 'cutAt' in fault ? fault.cutAt : fault && 'stallAt' in fault ? fault.stallAt : body.length
    let pos = start
    while (pos < Math.min(stopAt, body.length)) {
      if (res.destroyed) return
      const end = Math.min(pos + chunk, stopAt, body.length)
      const ok = res.write(body.subarray(pos, end))
      record.sent += end - pos
      sent(end - pos)
      pos = end
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done).off('close', done)
            resolve()
          }
          res.on('drain', done).on('close', done)
        })
      }
      if (chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs))
    }
    if (fault && 'cutAt' in fault) {
      // Let the bytes written so far leave, then cut the connection mid-body.
      await new Promise((resolve) => setTimeout(resolve, 20))
      res.socket?.destroy()
      return
    }
    if (fault && 'stallAt' in fault) return // never end: the client must time out
    res.end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (...more) => void faults.push(...more),
    throttle: (ms) => void (chunkDelayMs = ms),
    sendsMore: (bytes) => new Promise<void>((resolve) => watchers.push({ bytes: totalSent + bytes, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The stand-in model (`npm run models`) as the tests serve it, with its pinned SHA-256. */
export interface StandIn {
  readonly data: Uint8Array
  readonly sha256: string
  readonly bytes: number
}

let standInCache: StandIn | undefined

/**
 * Reads `models/stand-in/model.onnx` and the SHA-256 recorded in `models/stand-in/model.json`.
 *
 * @returns the bytes, hash and size
 */
export function readStandIn(): StandIn {
  if (!standInCache) {
    const data = readFileSync(MODEL)
    const { sha256 } = JSON.parse(readFileSync(join(dirname(MODEL), 'model.json'), 'utf8')) as { sha256: string }
    standInCache = { data, sha256, bytes: data.length }
  }
  return standInCache
}
