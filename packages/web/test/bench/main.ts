/**
 * The web benchmark's page (`npm run bench -- web`, bench/web.ts): bare onnxruntime-web (in
 * bare-worker.ts) and MatteKit (in its own worker), in the same page, driven through `window.bench`.
 */
import { modelInputSize, toModelTensor } from '@mattekit/core'
import { createMatter, decodeImage, type WebMatter } from '@mattekit/web'

let bare: Worker
let matter: WebMatter
const longTasks: number[] = []
const blobs = new Map<string, Blob>()

function call<T>(message: unknown, transfer: Transferable[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    bare.onmessage = (event: MessageEvent) => {
      const data = event.data as { type: string; message?: string }
      if (data.type === 'error') reject(new Error(data.message))
      else resolve(data as T)
    }
    bare.postMessage(message, transfer)
  })
}

const bench = {
  async init(model: { url: string; sha256: string }, threads: number) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push(entry.duration)
    }).observe({ type: 'longtask' })
    bare = new Worker(new URL('./bare-worker.ts', import.meta.url), { type: 'module' })
    const bytes = await (await fetch(model.url)).arrayBuffer()
    const ready = await call<{ threads: number }>({ type: 'init', model: bytes, threads }, [bytes])
    matter = await createMatter({ model, threads, cache: false })
    return { bareThreads: ready.threads, backend: matter.backend, ua: navigator.userAgent, cores: navigator.hardwareConcurrency }
  },
  /** Gives the bare worker the tensor MatteKit computes for this image. */
  async input(url: string): Promise<{ width: number; height: number }> {
    const image = await decodeImage(await (await fetch(url)).blob())
    const size = modelInputSize(image.width, image.height)
    const data = toModelTensor(image, size)
    await call({ type: 'input', data, width: size.width, height: size.height }, [data.buffer])
    return size
  },
  async bare(): Promise<number> {
    return (await call<{ ms: number }>({ type: 'run' })).ms
  },
  /** Fetches an image once, so that timed and traced calls do nothing but matte it. */
  async load(url: string): Promise<void> {
    blobs.set(url, await (await fetch(url)).blob())
  },
  async matte(url: string) {
    const blob = blobs.get(url)!
    const t0 = performance.now()
    const result = await matter.matte(blob)
    const ms = performance.now() - t0
    return { ms, timings: result.timings, modelSize: result.modelSize }
  },
  takeLongTasks(): number[] {
    return longTasks.splice(0)
  },
}

Object.assign(globalThis, { bench })
document.title = 'ready'

/** What the page exposes to bench/web.ts. */
export type Bench = typeof bench
