/**
 * The browser side of model delivery: core's `deliverModel` (download, resume, retry, size and
 * SHA-256 verification before first use) with a Cache API store, a WebCrypto hasher and Web Locks,
 * so several tabs download a model once and a verified copy serves every later visit, offline too.
 */
import {
  MatteError,
  deliverModel,
  resolveModel,
  type AbortSignalLike,
  type DeliveredModel,
  type FetchLike,
  type Hasher,
  type ModelProgressEvent,
  type ModelSource,
  type ModelStore,
  type ModelStoreLock,
  type PartialModel,
  type ResolvedModel,
} from '@mattekit/core'

/**
 * The default Cache API cache that holds verified models.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL_CACHE } from '@mattekit/web'
 *
 * // Free the space the cached model takes (it is downloaded again on next use):
 * await caches.delete(DEFAULT_MODEL_CACHE)
 * ```
 */
export const DEFAULT_MODEL_CACHE = 'mattekit-models-v1'

/** Where a key lives inside the cache: a synthetic same-origin-free URL. */
const entryUrl = (key: string): string => `https://mattekit.invalid/models/${key}`
const partialUrl = (key: string): string => `https://mattekit.invalid/partial/${key}`

/**
 * A SHA-256 {@link Hasher} on WebCrypto: WebCrypto hashes whole buffers only, so the chunks are
 * kept and hashed at once in `digest()` (the model is held in memory for inference anyway).
 */
export function createWebCryptoHasher(): Hasher {
  const chunks: Uint8Array[] = []
  let length = 0
  return {
    update(chunk) {
      chunks.push(chunk.slice())
      length += chunk.length
    },
    async digest() {
      const all = new Uint8Array(length)
      let at = 0
      for (const c of chunks) {
        all.set(c, at)
        at += c.length
      }
      chunks.length = 0
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all))
      return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
    },
  }
}

async function* streamOf(response: Response): AsyncIterable<Uint8Array> {
  if (!response.body) return
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

function storageError(what: string, error: unknown): MatteError {
  return new MatteError(
    'MODEL_FETCH',
    `The model cache (Cache API) failed to ${what}: ${(error as Error)?.message ?? String(error)}. ` +
      'Storage may be full or disabled (private browsing); pass cache: false to keep the model in memory only.',
    { cause: error },
  )
}

/**
 * A {@link ModelStore} in the Cache API, under `cacheName`. Verified entries are stored at once by
 * `commit`; a partial download is kept (for a later resume) only when an attempt fails.
 *
 * @param cacheName - the cache's name
 * @returns the store
 */
export function cacheApiStore(cacheName: string = DEFAULT_MODEL_CACHE): ModelStore {
  let opened: Promise<Cache> | undefined
  const open = (): Promise<Cache> => {
    if (typeof caches === 'undefined') {
      throw new MatteError(
        'UNSUPPORTED_ENVIRONMENT',
        'The Cache API is not available here (it needs a secure context: https or localhost). Pass cache: false.',
      )
    }
    opened ??= caches.open(cacheName).catch((error: unknown) => {
      opened = undefined
      throw storageError('open', error)
    })
    return opened
  }
  const blobOf = async (url: string): Promise<Blob | undefined> => {
    const response = await (await open()).match(url)
    return response ? response.blob() : undefined
  }

  return {
    locate: (key) => `Cache API "${cacheName}" ${key}`,
    async size(key) {
      return (await blobOf(entryUrl(key)))?.size
    },
    async *read(key) {
      const response = await (await open()).match(entryUrl(key))
      if (response) yield* streamOf(response)
    },
    async remove(key) {
      await (await open()).delete(entryUrl(key))
    },
    async openPartial(key): Promise<PartialModel> {
      const cache = await open()
      const kept = await blobOf(partialUrl(key))
      const chunks: Blob[] = kept ? [kept] : []
      let size = kept?.size ?? 0
      const put = async (url: string): Promise<void> => {
        const blob = new Blob(chunks as BlobPart[], { type: 'application/octet-stream' })
        try {
          await cache.put(url, new Response(blob, { headers: { 'content-length': String(blob.size) } }))
        } catch (error) {
          throw storageError('store the model', error)
        }
      }
      return {
        get size() {
          return size
        },
        async *read() {
          for (const c of chunks) yield new Uint8Array(await c.arrayBuffer())
        },
        async write(chunk) {
          chunks.push(new Blob([chunk as Uint8Array<ArrayBuffer>]))
          size += chunk.length
        },
        async truncate() {
          chunks.length = 0
          size = 0
        },
        async commit() {
          await put(entryUrl(key))
          await cache.delete(partialUrl(key))
        },
        async keep() {
          if (size > 0) await put(partialUrl(key))
          else await cache.delete(partialUrl(key))
        },
        async discard() {
          chunks.length = 0
          await cache.delete(partialUrl(key))
        },
      }
    },
    async lock(key, { signal, onWait }): Promise<ModelStoreLock> {
      const locks = (globalThis.navigator as Navigator | undefined)?.locks
      if (!locks) return { release: async () => undefined }
      const name = `mattekit-model-${key}`
      // Try without waiting first, to report a wait only when there is one.
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      const acquired = await new Promise<boolean>((resolve, reject) => {
        locks
          .request(name, { ifAvailable: true }, (lock) => {
            resolve(lock !== null)
            return lock === null ? undefined : held
          })
          .catch(reject)
      })
      if (!acquired) {
        onWait?.()
        await new Promise<void>((resolve, reject) => {
          locks
            .request(name, { signal: signal as AbortSignal | undefined }, () => {
              resolve()
              return held
            })
            .catch((error: unknown) => {
              if (signal?.aborted) reject(new MatteError('ABORTED', 'The operation was aborted by its AbortSignal.', { cause: signal.reason }))
              else reject(error as Error)
            })
        })
      }
      return {
        async release() {
          release()
        },
      }
    },
  }
}

/** A store that keeps nothing between loads (`cache: false`). */
export function memoryStore(): ModelStore {
  const entries = new Map<string, Uint8Array>()
  return {
    locate: (key) => `memory ${key}`,
    async size(key) {
      return entries.get(key)?.length
    },
    async *read(key) {
      const entry = entries.get(key)
      if (entry) yield entry
    },
    async remove(key) {
      entries.delete(key)
    },
    async openPartial(key) {
      let chunks: Uint8Array[] = []
      let size = 0
      return {
        get size() {
          return size
        },
        async *read() {
          yield* chunks
        },
        async write(chunk) {
          chunks.push(chunk.slice())
          size += chunk.length
        },
        async truncate() {
          chunks = []
          size = 0
        },
        async commit() {
          const all = new Uint8Array(size)
          let at = 0
          for (const c of chunks) {
            all.set(c, at)
            at += c.length
          }
          entries.set(key, all)
        },
        async keep() {},
        async discard() {
          chunks = []
          size = 0
        },
      }
    },
  }
}

const browserFetch: FetchLike = (url, init) =>
  fetch(url, { headers: init.headers, signal: init.signal as AbortSignal, credentials: 'same-origin', cache: 'no-store' })

/** Options of {@link loadModelBytes}. */
export interface LoadModelOptions {
  /** Mirror of the official files (for `{ variant }`). */
  readonly mirror?: string
  /** The Cache API cache name, or `false` for no persistent cache. */
  readonly cache: string | false
  /** Never download; fail with `MODEL_NOT_CACHED` when not cached. */
  readonly offline: boolean
  /** Re-hash a cached model before each load (`'full'`), or check its size only. */
  readonly verify: 'size' | 'full'
  /** Cancels the delivery. */
  readonly signal?: AbortSignalLike
  /** Progress of the delivery. */
  readonly onProgress?: (event: ModelProgressEvent) => void
}

async function readAll(store: ModelStore, delivered: DeliveredModel): Promise<Uint8Array> {
  const out = new Uint8Array(delivered.bytes)
  let at = 0
  for await (const chunk of store.read(delivered.key)) {
    if (at + chunk.length > out.length) break
    out.set(chunk, at)
    at += chunk.length
  }
  if (at !== out.length) {
    throw new MatteError('MODEL_INTEGRITY', `The cached model ${delivered.key} changed while being read; load again.`)
  }
  return out
}

/**
 * Delivers a model (official variant or pinned URL) and returns its verified bytes.
 *
 * @param source - `{ variant }` or `{ url, sha256, bytes? }` with an absolute URL
 * @param options - cache, offline, verification, progress and abort
 * @returns the model's bytes, SHA-256-checked (when downloaded, or when `verify` is `'full'`)
 * @throws {@link MatteError} what core's `deliverModel` throws: `MODEL_FETCH`, `MODEL_INTEGRITY`,
 *   `MODEL_NOT_CACHED`, `ABORTED`, `INVALID_OPTION`
 */
export async function loadModelBytes(
  source: ModelSource,
  options: LoadModelOptions,
): Promise<{ bytes: Uint8Array; model: ResolvedModel; delivered: DeliveredModel }> {
  const model = resolveModel(source, options.mirror === undefined ? {} : { mirror: options.mirror })
  const store = options.cache === false ? memoryStore() : cacheApiStore(options.cache)
  const delivered = await deliverModel(
    model,
    { fetch: browserFetch, createHasher: createWebCryptoHasher, store },
    {
      offline: options.offline,
      verify: options.verify,
      signal: options.signal,
      onProgress: options.onProgress,
      prefetchHint: 'Load it once while online (createMatter with the same model) so it is cached.',
    },
  )
  const bytes = await readAll(store, delivered)
  return { bytes, model, delivered }
}
