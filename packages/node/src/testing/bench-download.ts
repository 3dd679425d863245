/**
 * Throughput of model delivery against the local test server, next to a plain `fetch` piped to a
 * file. Not a test; run it by hand:
 *
 *   npx tsx --conditions=@mattekit/source packages/node/src/testing/bench-download.ts [runs]
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { createHash } from 'node:crypto'
import { createSha256, deliverModel, resolveModel } from '@mattekit/core'
import { createFileModelStore } from '../model/file-store.js'
import { ensureModel, nodeFetch } from '../model/models.js'
import { readStandIn, startModelServer } from './model-server.js'

const runs = Number(process.argv[2] ?? 7)
const standIn = readStandIn()
const server = await startModelServer({ files: { '/model.onnx': standIn.data } })
const url = `${server.url}/model.onnx`
const source = { url, sha256: standIn.sha256, bytes: standIn.bytes }
const root = mkdtempSync(join(tmpdir(), 'mattekit-bench-'))
let n = 0
const fresh = (): string => join(root, String(n++))

const cases: Record<string, () => Promise<void>> = {
  'plain fetch -> file': async () => {
    const res = await fetch(url)
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(fresh()))
  },
  'plain fetch -> file + sha256': async () => {
    const res = await fetch(url)
    const hash = createHash('sha256')
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)
    body.on('data', (c: Buffer) => hash.update(c))
    await pipeline(body, createWriteStream(fresh()))
    hash.digest('hex')
  },
  'ensureModel (delivery, node:crypto)': async () => {
    await ensureModel(source, { cacheDir: fresh() })
  },
  'deliverModel (core, pure-JS SHA-256)': async () => {
    const store = createFileModelStore(fresh())
    await deliverModel(resolveModel(source), { fetch: nodeFetch, createHasher: createSha256, store })
  },
}

const mb = standIn.bytes / 1e6
console.log(`${runs} runs each, ${mb.toFixed(1)} MB (stand-in model), local server ${server.url}, Node ${process.version}`)
for (const [name, fn] of Object.entries(cases)) {
  await fn() // warm-up
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  console.log(`${name.padEnd(40)} median ${median.toFixed(0).padStart(5)} ms  ${(mb / (median / 1000)).toFixed(0).padStart(5)} MB/s  (min ${times[0]!.toFixed(0)} ms)`)
}
await server.close()
rmSync(root, { recursive: true, force: true })
