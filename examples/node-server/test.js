// @ts-check
// `npm test`: starts the service on port 0 with the stand-in model and sends it good, oversized,
// corrupt, wrongly typed and too many requests, then shuts it down with a request in flight.
// Needs the packages built (`npm run build`) and the stand-in model (`npm run models`).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createMatter } from '@mattekit/node'
import { createMatteService } from './server.js'

const root = join(import.meta.dirname, '..', '..')
const model = process.env.MATTEKIT_MODEL ?? join(root, 'models', 'stand-in', 'model.onnx')
const photoPath = join(root, 'fixtures', 'astronaut.png')
const photo = readFileSync(photoPath)

/**
 * Starts a service on an ephemeral port.
 * @param {Omit<import('./server.js').ServerOptions, 'matter'>} options
 */
async function start(options = {}) {
  const matter = await createMatter({ model })
  const service = createMatteService({ matter, ...options })
  await new Promise((resolve) => service.server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = service.server.address()
  assert.ok(address && typeof address === 'object')
  return { matter, service, url: `http://127.0.0.1:${address.port}` }
}

/**
 * @param {string} url
 * @param {Uint8Array} body
 * @param {string} [type]
 */
const post = (url, body, type = 'image/png') =>
  fetch(`${url}/matte`, { method: 'POST', body: /** @type {BodyInit} */ (body), headers: { 'Content-Type': type } })

describe('node-server', () => {
  /** @type {Awaited<ReturnType<typeof start>>} */
  let s
  before(async () => {
    s = await start({ concurrency: 2, maxQueue: 2, maxBytes: 4 * 2 ** 20 })
  })
  after(() => s.service.close())

  test('POST /matte answers the cut-out PNG, identical to the CLI', async () => {
    const res = await post(s.url, photo)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'image/png')
    const png = Buffer.from(await res.arrayBuffer())
    assert.equal(png[25], 6, 'an RGBA PNG')
    const dir = mkdtempSync(join(tmpdir(), 'mattekit-node-server-'))
    try {
      const cli = join(dir, 'cli.png')
      execFileSync('npx', ['--no-install', 'mattekit', photoPath, '-o', cli, '--model', model, '--output', 'cutout'], { cwd: import.meta.dirname })
      assert.ok(png.equals(readFileSync(cli)), 'same bytes as `mattekit --output cutout`')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('?output=alpha answers the 8-bit matte', async () => {
    const res = await fetch(`${s.url}/matte?output=alpha`, { method: 'POST', body: /** @type {BodyInit} */ (photo), headers: { 'Content-Type': 'image/png' } })
    assert.equal(res.status, 200)
    const png = Buffer.from(await res.arrayBuffer())
    assert.equal(png[25], 0, 'a greyscale PNG')
  })

  test('a corrupt image is 400 with the MatteError code in JSON', async () => {
    const res = await post(s.url, readFileSync(join(root, 'fixtures', 'bad', 'truncated.png')))
    assert.equal(res.status, 400)
    const body = /** @type {{ error: { code: string, message: string } }} */ (await res.json())
    assert.equal(body.error.code, 'CORRUPT_IMAGE')
  })

  test('a type that is not an image is 415, as is a format MatteKit does not read', async () => {
    const text = await post(s.url, new TextEncoder().encode('hello'), 'text/plain')
    assert.equal(text.status, 415)
    assert.equal(/** @type {{ error: { code: string } }} */ (await text.json()).error.code, 'UNSUPPORTED_MEDIA_TYPE')
    const gif = await post(s.url, readFileSync(join(root, 'fixtures', 'bad', 'animated.gif')), 'image/png')
    assert.equal(gif.status, 415)
    assert.equal(/** @type {{ error: { code: string } }} */ (await gif.json()).error.code, 'UNSUPPORTED_FORMAT')
  })

  test('wrong routes and methods are 404 and 405', async () => {
    assert.equal((await fetch(`${s.url}/nope`)).status, 404)
    const get = await fetch(`${s.url}/matte`)
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200)
  })
})

test('an upload over maxBytes is 413, declared or streamed', async () => {
  const s = await start({ maxBytes: 10_000 })
  try {
    const declared = await post(s.url, photo)
    assert.equal(declared.status, 413)
    assert.equal(/** @type {{ error: { code: string } }} */ (await declared.json()).error.code, 'PAYLOAD_TOO_LARGE')
    // A chunked upload (no Content-Length) is cut off while it is read.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < photo.length; i += 4096) controller.enqueue(photo.subarray(i, i + 4096))
        controller.close()
      },
    })
    // `duplex` is required by Node's fetch for a stream body; TypeScript's DOM types lack it.
    const init = /** @type {RequestInit} */ ({ method: 'POST', body: stream, headers: { 'Content-Type': 'image/png' }, duplex: 'half' })
    const chunked = await fetch(`${s.url}/matte`, init)
    assert.equal(chunked.status, 413)
  } finally {
    await s.service.close()
  }
})

test('beyond concurrency + queue, requests get 503 with Retry-After; the rest succeed', async () => {
  const s = await start({ concurrency: 1, maxQueue: 1 })
  try {
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(s.url, photo)))
    const statuses = responses.map((r) => r.status).sort()
    await Promise.all(responses.map((r) => r.arrayBuffer()))
    assert.ok(statuses.includes(200), `some succeed: ${statuses}`)
    assert.ok(statuses.includes(503), `some are refused: ${statuses}`)
    assert.deepEqual([...new Set(statuses)], [200, 503], `only 200 and 503: ${statuses}`)
    for (const r of responses.filter((r) => r.status === 503)) assert.equal(r.headers.get('retry-after'), '1')
    // Once the burst is over, the server takes requests again.
    assert.equal((await post(s.url, photo)).status, 200)
  } finally {
    await s.service.close()
  }
})

test('a client that leaves while its request waits for a slot does not hold the slot', async () => {
  const s = await start({ concurrency: 1, maxQueue: 2 })
  try {
    const first = post(s.url, photo) // takes the only slot for a model run
    // A second client sends headers and half its body, then disconnects while queued.
    const { port } = new URL(s.url)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)))
    socket.write(`POST /matte HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: ${photo.length}\r\n\r\n`)
    socket.write(photo.subarray(0, 1000))
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.destroy()
    assert.equal((await first).status, 200)
    // The next request is served: the departed client's turn came and went.
    const next = await post(s.url, photo)
    assert.equal(next.status, 200)
    await next.arrayBuffer()
    const health = await (await fetch(`${s.url}/healthz`)).json()
    assert.equal(health.active, 0, 'no slot is left held')
  } finally {
    await s.service.close()
  }
})

test('a failure inside the service is 500 with no stack trace or internal detail', async () => {
  const matter = await createMatter({ model })
  const broken = Object.create(matter, {
    matte: { value: async () => Promise.reject(new Error('secret internal detail at /srv/app/x.js:1:1')) },
  })
  const service = createMatteService({ matter: broken })
  await new Promise((resolve) => service.server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = service.server.address()
  assert.ok(address && typeof address === 'object')
  const error = console.error
  console.error = () => {} // the service logs the detail for the operator; keep the test output clean
  try {
    const res = await post(`http://127.0.0.1:${address.port}`, photo)
    assert.equal(res.status, 500)
    const text = await res.text()
    assert.doesNotMatch(text, /secret|\/srv|at |\.js/)
    assert.equal(/** @type {{ error: { code: string } }} */ (JSON.parse(text)).error.code, 'INTERNAL')
  } finally {
    console.error = error
    await service.close()
    await matter.dispose()
  }
})

test('close() lets a request in flight finish, then disposes the Matter', async () => {
  const s = await start()
  const inFlight = post(s.url, photo)
  // Wait until the request holds a slot, then shut down.
  while (s.service.server.listening && !(await (await fetch(`${s.url}/healthz`)).json()).active) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const closed = s.service.close()
  const res = await inFlight
  assert.equal(res.status, 200)
  await res.arrayBuffer()
  await closed
  assert.equal(s.matter.disposed, true)
  await assert.rejects(fetch(`${s.url}/healthz`), 'no longer listening')
})
