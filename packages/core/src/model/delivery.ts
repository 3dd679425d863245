/**
 * Model delivery, platform-neutral: fetch a pinned model once, verify its size and SHA-256 while
 * it streams, resume interrupted downloads with HTTP Range, retry network errors and 5xx with
 * backoff, detect stalls, and make the file visible only once verified.
 *
 * The platform supplies four small pieces, so the same logic serves Node (files, `node:crypto`)
 * and browsers (Cache API or OPFS, a JS or WebCrypto hasher):
 * - {@link FetchLike}: a `fetch`-shaped function;
 * - {@link Hasher}: an incremental SHA-256 (core's {@link createSha256} works everywhere);
 * - {@link ModelStore}: where verified models and partial downloads live, with an optional
 *   cross-process (or cross-tab) lock;
 * - timers, defaulting to the global `setTimeout`/`clearTimeout`.
 */
import { MatteError } from '../errors.js'
import { type AbortSignalLike, abortError, throwIfAborted } from '../signal.js'
import { type ResolvedModel, checkModelUrl } from './manifest.js'

// ---------------------------------------------------------------------------------------------
// Platform contracts
// ---------------------------------------------------------------------------------------------

/** The reader of a response body: `ReadableStreamDefaultReader<Uint8Array>` satisfies it. */
export interface ByteReaderLike {
  /** Resolves with the next chunk, or `{ done: true }` at the end. Rejects on network errors and aborts. */
  read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array }>
  /** Stops reading and releases the connection. */
  cancel(reason?: unknown): Promise<void>
}

/** The part of a fetch `Response` delivery uses; a real `Response` satisfies it. */
export interface FetchResponseLike {
  /** HTTP status, e.g. 200, 206, 404. */
  readonly status: number
  /** HTTP status text, when the platform has it. */
  readonly statusText?: string
  /** The final URL after redirects (checked against the https rule); empty when unknown. */
  readonly url?: string
  /** Response headers (case-insensitive `get`). */
  readonly headers: { get(name: string): string | null }
  /** The body stream, or null when there is none. */
  readonly body: { getReader(): ByteReaderLike } | null
}

/** What delivery passes to {@link FetchLike}. */
export interface FetchInitLike {
  /** Request headers (`Range` when resuming). */
  readonly headers: Readonly<Record<string, string>>
  /** Fires on the caller's abort and on a stall; a real `AbortSignal`. */
  readonly signal: AbortSignalLike
}

/**
 * A `fetch`-shaped function. Pass the platform's `fetch` (adapting the signal type), or your own
 * (a proxy-aware fetch, a test double). It must follow redirects.
 *
 * @param url - the URL to GET
 * @param init - headers and the abort signal
 * @returns the response; rejects on network errors
 */
export type FetchLike = (url: string, init: FetchInitLike) => Promise<FetchResponseLike>

/**
 * An incremental SHA-256. Node: wrap `crypto.createHash('sha256')`; elsewhere use
 * {@link createSha256}. A platform with only one-shot hashing may buffer in `update` and hash in
 * `digest` (which may be async).
 */
export interface Hasher {
  /** Feeds the next bytes. */
  update(chunk: Uint8Array): void
  /** The digest of everything fed, lowercase hex. Called at most once. */
  digest(): string | Promise<string>
}

/**
 * A partial download of one entry, owned by the caller of {@link ModelStore.openPartial} until it
 * calls exactly one of `commit`, `keep` or `discard`.
 */
export interface PartialModel {
  /** Bytes already present from an earlier interrupted download (0 for a fresh one). */
  readonly size: number
  /** Streams the bytes already present, so the hasher can catch up before the download resumes. */
  read(): AsyncIterable<Uint8Array>
  /** Appends bytes. */
  write(chunk: Uint8Array): Promise<void>
  /** Drops all bytes (the server ignored the Range request): `size` becomes 0. */
  truncate(): Promise<void>
  /**
   * Publishes the (verified) bytes as the entry, atomically: readers see the old state or the
   * whole file, never a part (Node: fsync, then rename). Ends the partial.
   */
  commit(): Promise<void>
  /** Ends the partial and keeps its bytes so a later download can resume them. */
  keep(): Promise<void>
  /** Ends the partial and deletes its bytes. */
  discard(): Promise<void>
}

/** A held lock; see {@link ModelStore.lock}. */
export interface ModelStoreLock {
  /** Releases the lock. Idempotent. */
  release(): Promise<void>
}

/**
 * Where models live. Entries are addressed by {@link ResolvedModel.key} (`<sha256>.onnx`); an
 * entry is only ever written through {@link PartialModel.commit} after verification.
 *
 * Implementations throw {@link MatteError} (`MODEL_FETCH` with a clear message) when storage
 * fails, e.g. a read-only cache directory.
 */
export interface ModelStore {
  /** Where `key` lives, for messages and the `ready` event (a file path, a cache key). */
  locate(key: string): string
  /** Size in bytes of the committed entry, or `undefined` when there is none. */
  size(key: string): Promise<number | undefined>
  /** Streams the committed entry (for full verification). */
  read(key: string): AsyncIterable<Uint8Array>
  /** Deletes the committed entry; no error when absent. */
  remove(key: string): Promise<void>
  /** Opens the partial download of `key`, taking over bytes kept from an interrupted download. */
  openPartial(key: string): Promise<PartialModel>
  /**
   * Optional: mutual exclusion for `key` across processes (or tabs), so that one downloads while
   * the others wait. Resolves once held; calls `onWait` once if it has to wait. Must recover
   * locks left by crashed holders, and reject with `ABORTED` when `signal` fires.
   */
  lock?(key: string, options: { readonly signal?: AbortSignalLike; readonly onWait?: () => void }): Promise<ModelStoreLock>
}

/** What {@link deliverModel} needs from the platform. */
export interface DeliveryPlatform {
  /** Downloads. */
  readonly fetch: FetchLike
  /** Makes a fresh incremental SHA-256. */
  readonly createHasher: () => Hasher
  /** Verified models and partial downloads. */
  readonly store: ModelStore
  /**
   * Schedules `callback` after `ms` (stall detection, backoff).
   * @defaultValue the global `setTimeout`
   */
  readonly setTimeout?: (callback: () => void, ms: number) => unknown
  /**
   * Cancels a {@link DeliveryPlatform.setTimeout} handle.
   * @defaultValue the global `clearTimeout`
   */
  readonly clearTimeout?: (handle: unknown) => void
  /**
   * A random number in [0, 1), for backoff jitter.
   * @defaultValue `Math.random`
   */
  readonly random?: () => number
}

// ---------------------------------------------------------------------------------------------
// Options, events, results
// ---------------------------------------------------------------------------------------------

/**
 * Progress of one delivery, a discriminated union on `status`:
 * - `download`: bytes arrived (`loaded` counts resumed bytes too; `total` is undefined when unknown);
 * - `retry`: an attempt failed with a transient error; the next starts after `delayMs`;
 * - `wait`: another process holds the download lock; this one waits for its result;
 * - `verify`: checking size and SHA-256 (after a download, or of a cached file on request);
 * - `ready`: the verified model is at `location`; `cached` is true when no download was needed.
 */
export type ModelProgressEvent =
  | { readonly status: 'download'; readonly url: string; readonly loaded: number; readonly total: number | undefined }
  | { readonly status: 'retry'; readonly url: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly status: 'wait'; readonly location: string }
  | { readonly status: 'verify'; readonly location: string }
  | { readonly status: 'ready'; readonly location: string; readonly cached: boolean }

/** Options of {@link deliverModel}. */
export interface DeliverOptions {
  /**
   * Never touch the network: return the cached model or throw `MODEL_NOT_CACHED`.
   * @defaultValue false
   */
  readonly offline?: boolean
  /**
   * How a cached entry is checked before use: `'size'` (cheap, every load) or `'full'` (re-hash).
   * Models of unknown size are always fully re-hashed.
   * @defaultValue 'size'
   */
  readonly verify?: 'size' | 'full'
  /** Stops the delivery promptly; the partial download is deleted. */
  readonly signal?: AbortSignalLike
  /** Receives {@link ModelProgressEvent}s. Exceptions it throws are ignored. */
  readonly onProgress?: (event: ModelProgressEvent) => void
  /**
   * How many times a transient failure (network error, stall, cut body, HTTP 408, 429, 5xx) is
   * retried, each resuming where the last stopped.
   * @defaultValue 4
   */
  readonly retries?: number
  /**
   * Backoff before the first retry in ms; doubles on each retry, with jitter.
   * @defaultValue 500
   */
  readonly retryDelayMs?: number
  /**
   * Longest backoff in ms (also caps a server's `Retry-After`).
   * @defaultValue 15000
   */
  readonly maxRetryDelayMs?: number
  /**
   * An attempt that receives no byte (headers included) for this long is abandoned as stalled.
   * @defaultValue 30000
   */
  readonly stallTimeoutMs?: number
  /**
   * Appended to the `MODEL_NOT_CACHED` message: how to pre-fetch on this platform, e.g.
   * `Run "mattekit models fetch" while online.`
   */
  readonly prefetchHint?: string
}

/** What {@link deliverModel} returns. */
export interface DeliveredModel {
  /** Where the verified model is ({@link ModelStore.locate}): a file path in Node. */
  readonly location: string
  /** The store key (`<sha256>.onnx`). */
  readonly key: string
  /** Its SHA-256, lowercase hex. */
  readonly sha256: string
  /** Its size in bytes. */
  readonly bytes: number
  /** True when it was already in the store (also when another process just downloaded it). */
  readonly cached: boolean
  /** The URL it was (or would be) downloaded from. */
  readonly url: string
}

/** The state of a stored entry; see {@link checkStoredModel}. */
export type StoredModelState =
  | { readonly state: 'ok'; readonly bytes: number }
  | { readonly state: 'missing' }
  | { readonly state: 'corrupt'; readonly reason: string }

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

interface AbortControllerLike {
  readonly signal: AbortSignalLike
  abort(reason?: unknown): void
}
// Every runtime MatteKit supports has these; core compiles without DOM or Node types.
const runtime = globalThis as unknown as {
  AbortController: new () => AbortControllerLike
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** A transient failure: retried with backoff (and a resume) while retries remain. */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly restart = false,
    /** Bytes kept for the next attempt to resume. */
    readonly kept = 0,
  ) {
    super(message)
  }
}

const MB = 1024 * 1024
const fmtBytes = (n: number): string => (n >= MB ? `${(n / MB).toFixed(1)} MiB` : `${n} bytes`)

function optionInt(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!(Number.isInteger(value) && value >= min)) {
    throw new MatteError('INVALID_OPTION', `${name} must be an integer >= ${min}, got ${String(value)}.`)
  }
  return value
}

async function digestOf(hasher: Hasher): Promise<string> {
  return (await hasher.digest()).toLowerCase()
}

/**
 * Checks a stored entry against the model's size (and SHA-256 when `full`, or when the size is
 * unknown). Does not modify the store.
 *
 * @param model - the model the entry must be
 * @param store - the store
 * @param createHasher - the hasher factory (used when hashing)
 * @param options - `full` to re-hash; a signal to stop hashing
 * @returns `ok` with the size, `missing`, or `corrupt` with the reason
 * @throws {@link MatteError} `ABORTED`; storage errors from the store
 *
 * @example
 * ```ts
 * import { checkStoredModel, resolveModel } from '@mattekit/core'
 * import { createFileModelStore, createNodeHasher } from '@mattekit/node'
 *
 * const state = await checkStoredModel(resolveModel(), createFileModelStore(cacheDir), createNodeHasher, { full: true })
 * if (state.state !== 'ok') console.warn('the cached model is', state.state)
 * ```
 */
export async function checkStoredModel(
  model: ResolvedModel,
  store: ModelStore,
  createHasher: () => Hasher,
  options: { readonly full?: boolean; readonly signal?: AbortSignalLike } = {},
): Promise<StoredModelState> {
  const size = await store.size(model.key)
  if (size === undefined) return { state: 'missing' }
  if (model.bytes !== undefined && size !== model.bytes) {
    return { state: 'corrupt', reason: `it has ${size} bytes, expected ${model.bytes}` }
  }
  if (options.full || model.bytes === undefined) {
    const hasher = createHasher()
    let seen = 0
    for await (const chunk of store.read(model.key)) {
      throwIfAborted(options.signal)
      hasher.update(chunk)
      seen += chunk.length
    }
    const digest = await digestOf(hasher)
    if (seen !== size) return { state: 'corrupt', reason: `it changed while being read (${seen} of ${size} bytes)` }
    if (digest !== model.sha256) return { state: 'corrupt', reason: `its SHA-256 is ${digest}, expected ${model.sha256}` }
  }
  return { state: 'ok', bytes: size }
}

/**
 * Delivers a model: returns the verified stored copy, or downloads, verifies and stores it.
 *
 * The stored entry appears only after its size and SHA-256 matched. A cached entry is checked by
 * size on every call (fully with `verify: 'full'`); a corrupted one is removed and downloaded
 * again (or reported, offline). With a store lock, concurrent deliveries of one model download it
 * once: the others wait for the lock, then find the verified entry.
 *
 * @param model - what to deliver (from {@link resolveModel})
 * @param platform - fetch, hasher, store and timers
 * @param options - offline mode, verification, progress, abort, retry and stall settings
 * @returns where the verified model is, and whether it was cached
 * @throws {@link MatteError} `MODEL_FETCH` (HTTP error, network failure or stall after the
 *   retries, a storage failure such as a read-only cache); `MODEL_INTEGRITY` (size or SHA-256
 *   mismatch: nothing is stored); `MODEL_NOT_CACHED` (offline and not stored); `ABORTED`
 *   (the signal fired: the partial download is deleted); `INVALID_OPTION`
 * @example
 * ```ts
 * const delivered = await deliverModel(resolveModel({ variant: 'fp16' }), platform, {
 *   onProgress: (e) => { if (e.status === 'download') console.log(e.loaded, e.total) },
 * })
 * ```
 */
export async function deliverModel(
  model: ResolvedModel,
  platform: DeliveryPlatform,
  options: DeliverOptions = {},
): Promise<DeliveredModel> {
  const { store, createHasher } = platform
  const { signal, offline = false } = options
  const retries = optionInt('retries', options.retries, 4, 0)
  const retryDelayMs = optionInt('retryDelayMs', options.retryDelayMs, 500, 0)
  const maxRetryDelayMs = optionInt('maxRetryDelayMs', options.maxRetryDelayMs, 15_000, 0)
  const stallTimeoutMs = optionInt('stallTimeoutMs', options.stallTimeoutMs, 30_000, 1)
  const verify = options.verify ?? 'size'
  if (verify !== 'size' && verify !== 'full') {
    throw new MatteError('INVALID_OPTION', `verify must be 'size' or 'full', got ${String(verify)}.`)
  }
  const setTimer = platform.setTimeout ?? ((cb: () => void, ms: number) => runtime.setTimeout(cb, ms))
  const clearTimer = platform.clearTimeout ?? ((handle: unknown) => runtime.clearTimeout(handle))
  const random = platform.random ?? Math.random
  const location = store.locate(model.key)
  const emit = (event: ModelProgressEvent): void => {
    try {
      options.onProgress?.(event)
    } catch {
      // A faulty progress callback must not break the delivery.
    }
  }

  const result = (bytes: number, cached: boolean): DeliveredModel => {
    emit({ status: 'ready', location, cached })
    return { location, key: model.key, sha256: model.sha256, bytes, cached, url: model.url }
  }

  /** Checks the stored entry; removes it when corrupt. Returns its size when usable. */
  const useStored = async (full: boolean): Promise<{ bytes?: number; corrupt?: string }> => {
    // Announce a full check only when there is an entry to check.
    if (full && (await store.size(model.key)) !== undefined) emit({ status: 'verify', location })
    const state = await checkStoredModel(model, store, createHasher, { full, signal })
    if (state.state === 'ok') return { bytes: state.bytes }
    if (state.state === 'missing') return {}
    await store.remove(model.key)
    return { corrupt: state.reason }
  }

  throwIfAborted(signal)
  const first = await useStored(verify === 'full')
  if (first.bytes !== undefined) return result(first.bytes, true)
  if (offline) {
    const why = first.corrupt
      ? `The cached ${model.label} at ${location} was corrupted (${first.corrupt}) and has been removed`
      : `${model.label} is not in the model cache (${location})`
    throw new MatteError(
      'MODEL_NOT_CACHED',
      `${why}, and offline mode forbids downloading it.${options.prefetchHint ? ` ${options.prefetchHint}` : ''}`,
    )
  }

  const lock = store.lock
    ? await store.lock(model.key, { signal, onWait: () => emit({ status: 'wait', location }) })
    : undefined
  try {
    if (lock) {
      // Another process may have delivered it while this one waited.
      const again = await useStored(false)
      if (again.bytes !== undefined) return result(again.bytes, true)
    }
    const bytes = await download()
    return result(bytes, false)
  } finally {
    await lock?.release()
  }

  // -------------------------------------------------------------------------------------------

  async function download(): Promise<number> {
    let failures = 0
    let restarted = false
    let fromScratch = false
    for (;;) {
      throwIfAborted(signal)
      try {
        return await attempt(fromScratch)
      } catch (error) {
        if (!(error instanceof Transient)) throw error
        fromScratch = false
        if (error.restart && !restarted) {
          // The kept partial did not hash right: start over once from byte 0, at no retry cost.
          restarted = true
          fromScratch = true
          continue
        }
        if (failures >= retries) {
          const kept = error.kept > 0 ? ` The ${fmtBytes(error.kept)} that arrived are kept; the next attempt resumes there.` : ''
          throw new MatteError(
            'MODEL_FETCH',
            `Could not download ${model.label} from ${model.url} after ${failures + 1} attempt${failures ? 's' : ''}: ` +
              `${error.message}.${kept} Check the network, or use a mirror or a pre-fetched cache.`,
            { cause: error },
          )
        }
        failures++
        const backoff = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (failures - 1))
        const jittered = Math.round(backoff * (0.5 + random() / 2))
        const delayMs = error.retryAfterMs === undefined ? jittered : Math.min(maxRetryDelayMs, error.retryAfterMs)
        emit({ status: 'retry', url: model.url, attempt: failures, delayMs, reason: error.message })
        await sleep(delayMs)
      }
    }
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimer(handle)
        reject(abortError(signal!))
      }
      const handle = setTimer(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      if (signal) {
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort, { once: true })
      }
    })
  }

  /** One download attempt into the partial entry. Throws Transient for retryable failures. */
  async function attempt(fromScratch: boolean): Promise<number> {
    const partial = await store.openPartial(model.key)
    let outcome: 'commit' | 'keep' | 'discard' = 'discard'
    const controller = new runtime.AbortController()
    let stalled = false
    let timer: unknown
    const arm = (): void => {
      if (timer !== undefined) clearTimer(timer)
      timer = setTimer(() => {
        stalled = true
        controller.abort(new Error('stalled'))
      }, stallTimeoutMs)
    }
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    let reader: ByteReaderLike | undefined

    /** Maps a fetch/read rejection to ABORTED or a transient network error. */
    const networkError = (error: unknown, loaded: number): never => {
      if (signal?.aborted) throw abortError(signal)
      outcome = 'keep'
      if (stalled) {
        throw new Transient(`no data for ${stallTimeoutMs} ms after ${fmtBytes(loaded)} (stalled connection)`, undefined, false, loaded)
      }
      const cause = (error as { cause?: { code?: string; message?: string } })?.cause
      const detail = [String((error as Error)?.message ?? error), cause?.message ?? cause?.code].filter(Boolean).join(': ')
      throw new Transient(`network error${loaded ? ` after ${fmtBytes(loaded)}` : ''} (${detail})`, undefined, false, loaded)
    }

    try {
      let hasher = createHasher()
      let loaded = partial.size
      if (fromScratch || (model.bytes !== undefined && loaded > model.bytes)) {
        await partial.truncate()
        loaded = 0
      }
      if (loaded > 0) {
        let seen = 0
        for await (const chunk of partial.read()) {
          throwIfAborted(signal)
          hasher.update(chunk)
          seen += chunk.length
        }
        if (seen !== loaded) {
          hasher = createHasher()
          await partial.truncate()
          loaded = 0
        }
      }
      // Bytes from an earlier download that this attempt's hash depends on.
      let resumedAt = loaded

      if (model.bytes === undefined || loaded < model.bytes) {
        arm()
        // Ask for the bytes as stored: sizes and ranges then count file bytes. (Browsers drop
        // this header and decode transparently; a Content-Length is then ignored below.)
        const headers: Record<string, string> = { 'Accept-Encoding': 'identity' }
        if (loaded > 0) headers.Range = `bytes=${loaded}-`
        let response: FetchResponseLike
        try {
          response = await platform.fetch(model.url, { headers, signal: controller.signal })
        } catch (error) {
          return networkError(error, loaded)
        }
        arm()
        const cancelBody = (): void => {
          void response.body
            ?.getReader()
            .cancel()
            .catch(() => undefined)
        }
        if (response.url) {
          try {
            checkModelUrl(response.url, 'the redirected model URL')
          } catch (error) {
            cancelBody()
            throw new MatteError('MODEL_FETCH', `${model.url} redirected to a URL MatteKit refuses: ${(error as Error).message}`)
          }
        }
        const { status } = response
        let total: number | undefined
        if (status === 200) {
          if (loaded > 0) {
            // The server ignored the Range request: start again from byte 0.
            await partial.truncate()
            hasher = createHasher()
            loaded = 0
            resumedAt = 0
          }
          const encoding = response.headers.get('content-encoding')?.trim().toLowerCase()
          total = encoding && encoding !== 'identity' ? undefined : parseLength(response.headers.get('content-length'))
        } else if (status === 206) {
          const range = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(response.headers.get('content-range')?.trim() ?? '')
          if (!range || Number(range[1]) !== loaded) {
            cancelBody()
            await partial.truncate()
            outcome = 'keep'
            throw new Transient(`the server answered the Range request with ${range ? `bytes ${range[1]}-` : 'no valid Content-Range'}`)
          }
          total = range[3] === '*' ? undefined : Number(range[3])
        } else if (status === 416) {
          cancelBody()
          await partial.truncate()
          outcome = 'keep'
          throw new Transient('the server refused the Range request (HTTP 416); starting over')
        } else if (status === 408 || status === 429 || status >= 500) {
          cancelBody()
          outcome = 'keep'
          throw new Transient(`HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`, retryAfter(response), false, loaded)
        } else {
          cancelBody()
          outcome = 'keep'
          throw new MatteError(
            'MODEL_FETCH',
            `Could not download ${model.label}: HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''} from ${model.url}.`,
          )
        }
        if (model.bytes !== undefined && total !== undefined && total !== model.bytes) {
          cancelBody()
          throw integrity(`the server announces ${total} bytes, expected ${model.bytes} (a different file?)`)
        }
        const expected = model.bytes ?? total
        emit({ status: 'download', url: model.url, loaded, total: expected })

        if (!response.body) networkError(new Error('the response has no body'), loaded)
        reader = response.body!.getReader()
        for (;;) {
          let next: { readonly done: boolean; readonly value?: Uint8Array }
          try {
            next = await reader.read()
          } catch (error) {
            return networkError(error, loaded)
          }
          if (next.done) break
          const chunk = next.value
          if (!chunk || chunk.length === 0) continue
          arm()
          if (expected !== undefined && loaded + chunk.length > expected) {
            throw integrity(`the server sent more than the expected ${expected} bytes`)
          }
          await partial.write(chunk)
          hasher.update(chunk)
          loaded += chunk.length
          emit({ status: 'download', url: model.url, loaded, total: expected })
        }
        reader = undefined
        if (signal?.aborted) throw abortError(signal)
        if (expected !== undefined && loaded < expected) {
          outcome = 'keep'
          throw new Transient(`the connection closed after ${fmtBytes(loaded)} of ${fmtBytes(expected)}`, undefined, false, loaded)
        }
      }

      emit({ status: 'verify', location })
      const digest = await digestOf(hasher)
      if (digest !== model.sha256) {
        if (resumedAt > 0 && !fromScratch) {
          throw new Transient('the resumed download did not verify', undefined, true)
        }
        throw integrity(`its SHA-256 is ${digest}, expected ${model.sha256}`)
      }
      await partial.commit()
      outcome = 'commit'
      return loaded
    } catch (error) {
      if (signal?.aborted) {
        outcome = 'discard'
        throw abortError(signal)
      }
      throw error
    } finally {
      if (timer !== undefined) clearTimer(timer)
      signal?.removeEventListener('abort', onAbort)
      if (reader) void reader.cancel().catch(() => undefined)
      if (outcome === 'keep') await partial.keep().catch(() => undefined)
      else if (outcome === 'discard') await partial.discard().catch(() => undefined)
    }
  }

  function integrity(reason: string): MatteError {
    return new MatteError(
      'MODEL_INTEGRITY',
      `The download of ${model.label} from ${model.url} failed verification: ${reason}. Nothing was cached.`,
    )
  }
}

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

function retryAfter(response: FetchResponseLike): number | undefined {
  const value = response.headers.get('retry-after')?.trim()
  if (!value || !/^\d+$/.test(value)) return undefined
  return Number(value) * 1000
}
