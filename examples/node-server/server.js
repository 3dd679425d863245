// @ts-check
/**
 * An HTTP service on `node:http`: `POST /matte` with an image as the raw request body
 * (`Content-Type: image/jpeg`, `image/png` or `image/webp`) answers with the cut-out as an RGBA PNG
 * (`?output=alpha` for the 8-bit matte instead).
 *
 * - **Concurrency**: at most `concurrency` requests are processed at once and `maxQueue` wait;
 *   beyond that the server answers 503 with `Retry-After` at once, before reading the upload.
 * - **Limits**: bodies over `maxBytes` get 413 (from `Content-Length` before reading, or while
 *   reading a chunked upload); decoded images over MatteKit's pixel limit get 413 too.
 * - **Errors**: JSON bodies `{ "error": { "code", "message" } }`. 415 for a type that is not an
 *   image MatteKit reads, 400 for a corrupt or unusable image (with the MatteError code), 500 for
 *   anything else, with a generic message: no stack trace or internal detail leaves the process.
 * - **Cancellation**: a client that disconnects aborts its matte (AbortSignal); each request also
 *   has a time limit.
 * - **Shutdown**: `close()` (and SIGINT/SIGTERM when run as a program) stops accepting, lets the
 *   requests in flight finish, then disposes the Matter.
 *
 * Run: `node server.js [--port 8080] [--model model.onnx]`, then
 * `curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg' localhost:8080/matte -o cutout.png`.
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { createMatter, cutout, encodePng, isMatteError } from '@mattekit/node'

/** The request types MatteKit decodes. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])

/** MatteError codes that mean "the client sent something we cannot use", with their status. */
const CLIENT_ERRORS = /** @type {Record<string, number>} */ ({
  INVALID_INPUT: 400,
  CORRUPT_IMAGE: 400,
  IMAGE_TOO_SMALL: 400,
  UNSUPPORTED_FORMAT: 415,
  IMAGE_TOO_LARGE: 413,
})

/**
 * @typedef {object} ServerOptions
 * @property {import('@mattekit/node').NodeMatter} matter - the Matter that serves every request (the service disposes it on close)
 * @property {number} [concurrency] - requests processed at once (default 2)
 * @property {number} [maxQueue] - requests waiting for a slot before 503 (default 8)
 * @property {number} [maxBytes] - the largest accepted upload in bytes (default 10 MiB)
 * @property {number} [timeoutMs] - time limit for one request, upload included (default 30 s)
 */

/**
 * A small semaphore: `acquire()` resolves with a release function, or null when the queue is full.
 *
 * @param {number} limit
 * @param {number} maxQueue
 */
function createLimiter(limit, maxQueue) {
  let active = 0
  /** @type {(() => void)[]} */
  const waiting = []
  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else active--
  }
  return {
    /** @returns {Promise<(() => void) | null>} */
    async acquire() {
      if (active < limit) {
        active++
        return once(release)
      }
      if (waiting.length >= maxQueue) return null
      await new Promise((resolve) => waiting.push(() => resolve(undefined)))
      return once(release)
    },
    get active() {
      return active
    },
  }
}

/** @param {() => void} fn */
function once(fn) {
  let done = false
  return () => {
    if (!done) {
      done = true
      fn()
    }
  }
}

/** An error with an HTTP status whose message is safe to send. */
class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/**
 * Reads the request body, failing with 413 past `maxBytes`, and as soon as the client goes away
 * or the time limit passes (so a slot is never held by a dead upload).
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {number} maxBytes
 * @param {AbortSignal} signal - the request's signal (client gone, time limit): rejects the read
 * @returns {Promise<Buffer>}
 */
function readBody(req, maxBytes, signal) {
  return new Promise((resolve, reject) => {
    const gone = () => reject(new HttpError(400, 'UPLOAD_ABORTED', 'The upload did not complete.'))
    // A client that left while the request waited for a slot: its stream is already destroyed and
    // will emit nothing more.
    if (signal.aborted || req.destroyed || req.readableAborted) return gone()
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    let complete = false
    const cleanup = () => signal.removeEventListener('abort', onAbort)
    const onAbort = () => {
      cleanup()
      req.resume()
      gone()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length
      if (size > maxBytes) {
        req.removeAllListeners('data')
        req.resume() // drain without keeping the bytes
        cleanup()
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `The upload is over ${maxBytes} bytes.`))
      } else {
        chunks.push(chunk)
      }
    })
    req.on('end', () => {
      complete = true
      cleanup()
      resolve(Buffer.concat(chunks, size))
    })
    req.on('close', () => {
      if (complete) return
      cleanup()
      gone()
    })
    req.on('error', (error) => {
      cleanup()
      reject(error)
    })
  })
}

/**
 * Creates the service. Call `listen()` on `server`, and `close()` to shut down.
 *
 * @param {ServerOptions} options
 */
export function createMatteService(options) {
  const { matter, concurrency = 2, maxQueue = 8, maxBytes = 10 * 2 ** 20, timeoutMs = 30_000 } = options
  const limiter = createLimiter(concurrency, maxQueue)

  /**
   * @param {import('node:http').ServerResponse} res
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {Record<string, string>} [headers]
   */
  const sendError = (res, status, code, message, headers = {}) => {
    if (res.headersSent || res.destroyed) return
    const body = JSON.stringify({ error: { code, message } })
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers })
    res.end(body)
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  const handle = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, active: limiter.active }))
      return
    }
    if (url.pathname !== '/matte') return sendError(res, 404, 'NOT_FOUND', 'POST an image to /matte.')
    if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use POST.', { Allow: 'POST' })
    const output = url.searchParams.get('output') ?? 'cutout'
    if (output !== 'cutout' && output !== 'alpha') return sendError(res, 400, 'INVALID_OPTION', 'output is "cutout" or "alpha".')
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (!IMAGE_TYPES.has(type)) {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `Send image/jpeg, image/png or image/webp, not "${type || 'nothing'}".`)
    }
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      // Close the connection rather than read an upload we will refuse.
      res.setHeader('Connection', 'close')
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The upload is over ${maxBytes} bytes.`)
    }

    // Aborted when the client goes away or the time limit passes (waiting for a slot included).
    const controller = new AbortController()
    const onClose = () => controller.abort(new Error('client disconnected'))
    res.on('close', onClose)
    const timer = setTimeout(() => controller.abort(new Error('time limit')), timeoutMs)
    /** @type {(() => void) | null} */
    let release = null
    try {
      release = await limiter.acquire()
      if (!release) {
        res.setHeader('Connection', 'close')
        return sendError(res, 503, 'BUSY', 'Too many requests in flight; retry shortly.', { 'Retry-After': '1' })
      }
      const body = await readBody(req, maxBytes, controller.signal)
      const { image, matte } = await matter.matte(body, { signal: controller.signal })
      const png = await encodePng(output === 'alpha' ? matte : cutout(image, matte))
      if (!res.destroyed) res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length }).end(png)
    } catch (error) {
      if (error instanceof HttpError) {
        res.setHeader('Connection', 'close')
        sendError(res, error.status, error.code, error.message)
      } else if (isMatteError(error) && error.code in CLIENT_ERRORS) {
        sendError(res, CLIENT_ERRORS[error.code] ?? 400, error.code, error.message)
      } else if (isMatteError(error) && error.code === 'ABORTED' && !res.destroyed) {
        sendError(res, 503, 'TIMEOUT', 'The request took too long.', { 'Retry-After': '1' })
      } else if (!res.destroyed) {
        // Log the detail for the operator; the client gets nothing internal.
        console.error('matte failed:', error)
        sendError(res, 500, 'INTERNAL', 'The image could not be processed.')
      }
    } finally {
      clearTimeout(timer)
      res.off('close', onClose)
      release?.()
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error('request failed:', error)
      sendError(res, 500, 'INTERNAL', 'The request could not be processed.')
    })
  })
  server.requestTimeout = timeoutMs + 5_000

  let closing
  return {
    server,
    /**
     * Stops accepting connections, waits for the requests in flight, then disposes the Matter.
     * @returns {Promise<void>}
     */
    close() {
      closing ??= new Promise((resolve, reject) => {
        server.close((error) => {
          matter.dispose().then(() => (error ? reject(error) : resolve(undefined)), reject)
        })
        server.closeIdleConnections()
      })
      return closing
    },
  }
}

// Run as a program: `node server.js [--port 8080] [--model model.onnx]`.
if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8080' },
      model: { type: 'string', default: process.env.MATTEKIT_MODEL },
      concurrency: { type: 'string', default: '2' },
    },
  })
  const concurrency = Number(values.concurrency)
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    console.error(`--concurrency must be a whole number of at least 1, got "${values.concurrency}"`)
    process.exit(2)
  }
  const matter = await createMatter(values.model ? { model: values.model } : {})
  const service = createMatteService({ matter, concurrency })
  service.server.listen(Number(values.port), () => {
    const address = service.server.address()
    console.log(`listening on http://localhost:${typeof address === 'object' && address ? address.port : values.port}/matte`)
  })
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      console.log(`${signal}: finishing the requests in flight, then exiting`)
      service.close().then(
        () => process.exit(0),
        (error) => {
          console.error(error)
          process.exit(1)
        },
      )
    })
  }
}
