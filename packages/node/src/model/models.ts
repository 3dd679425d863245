/**
 * Model delivery for Node: core's {@link deliverModel} with the global `fetch`, `node:crypto`
 * and the file-system store, plus the cache chores behind `mattekit models`.
 */
import { createHash } from 'node:crypto'
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type FetchLike,
  type Hasher,
  MatteError,
  MODEL_VARIANTS,
  MODNET_BASE_URL,
  MODNET_MODELS,
  type ModelProgressEvent,
  type ModelSource,
  type ModelVariant,
  type ResolvedModel,
  checkModelUrl,
  checkStoredModel,
  deliverModel,
  resolveModel,
} from '@mattekit/core'
import { MODEL_ENV, envFlag, resolveCacheDir } from './cache-dir.js'
import { createFileModelStore, isProcessAlive, storageError, storeFileNames, tempFilePid } from './file-store.js'

/** Where the cache is and whether it may download: shared by every model function. */
export interface ModelCacheOptions {
  /**
   * The model cache directory.
   * @defaultValue `MATTEKIT_CACHE_DIR`, else the OS user cache (e.g. `~/.cache/mattekit/models`)
   */
  readonly cacheDir?: string
  /**
   * Never touch the network: use the cached model or fail with `MODEL_NOT_CACHED`.
   * @defaultValue `MATTEKIT_OFFLINE` (`1`, `true`, `yes` or `on`), else false
   */
  readonly offline?: boolean
  /**
   * Base URL of a mirror serving the official files under their Hugging Face paths
   * (`<mirror>/onnx/model.onnx`); https, or http on loopback only. Custom models ignore it.
   * @defaultValue `MATTEKIT_MODEL_MIRROR`, else the pinned Hugging Face revision
   */
  readonly mirror?: string
}

/** Options of {@link ensureModel}. */
export interface EnsureModelOptions extends ModelCacheOptions {
  /** Receives download, retry, wait, verify and ready events. */
  readonly onProgress?: (event: ModelProgressEvent) => void
  /** Stops the download promptly; its temporary file is deleted. */
  readonly signal?: AbortSignal
  /**
   * How a cached file is checked: `'size'` on every load (cheap), or `'full'` (re-hash).
   * @defaultValue 'size'
   */
  readonly verify?: 'size' | 'full'
  /**
   * Retries of transient failures (network errors, stalls, cut bodies, HTTP 408/429/5xx).
   * @defaultValue 4
   */
  readonly retries?: number
  /**
   * First backoff in ms (doubling, with jitter).
   * @defaultValue 500
   */
  readonly retryDelayMs?: number
  /**
   * An attempt with no data for this long is abandoned as stalled, in ms.
   * @defaultValue 30000
   */
  readonly stallTimeoutMs?: number
  /**
   * The fetch to download with, e.g. one that goes through your proxy.
   * @defaultValue the global `fetch`
   */
  readonly fetch?: FetchLike
}

/** What {@link ensureModel} returns. */
export interface EnsuredModel {
  /** Absolute path of the verified model file. */
  readonly path: string
  /** Its SHA-256, lowercase hex. */
  readonly sha256: string
  /** Its size in bytes. */
  readonly bytes: number
  /** Whether it was already cached (no download). */
  readonly cached: boolean
  /** The URL it came (or would come) from. */
  readonly url: string
  /** The official variant, for official models. */
  readonly variant?: ModelVariant
  /** The cache directory. */
  readonly cacheDir: string
}

/**
 * An incremental SHA-256 on `node:crypto`, as core's {@link Hasher}.
 *
 * @returns a fresh hasher
 *
 * @example
 * ```ts
 * import { createNodeHasher } from '@mattekit/node'
 *
 * const hasher = createNodeHasher()
 * hasher.update(await readFile('modnet.onnx'))
 * console.log(await hasher.digest()) // lowercase hex SHA-256
 * ```
 */
export function createNodeHasher(): Hasher {
  const hash = createHash('sha256')
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => hash.digest('hex'),
  }
}

/**
 * The global `fetch` as core's {@link FetchLike} (redirects followed).
 *
 * @example
 * ```ts
 * import { nodeFetch } from '@mattekit/node'
 *
 * const response = await nodeFetch('https://models.example.com/modnet.onnx', { headers: { range: 'bytes=0-' } })
 * ```
 */
export const nodeFetch: FetchLike = (url, init) =>
  fetch(url, { headers: { ...init.headers }, signal: init.signal as AbortSignal, redirect: 'follow' })

/**
 * Resolves `source` with the mirror from the options or `MATTEKIT_MODEL_MIRROR`.
 *
 * @param source - a variant or `{ url, sha256, bytes? }`; undefined is the official fp32
 * @param options - the mirror
 * @returns the resolved model
 * @throws {@link MatteError} `INVALID_OPTION`
 */
export function resolveNodeModel(source: ModelSource | undefined, options: ModelCacheOptions = {}): ResolvedModel {
  const mirror = options.mirror ?? (process.env[MODEL_ENV.mirror] || undefined)
  return resolveModel(source, mirror === undefined ? {} : { mirror })
}

/**
 * The command that pre-fetches `model` into `cacheDir`, for messages.
 *
 * @param model - the model
 * @param cacheDir - the cache directory to name, or undefined for the default
 * @returns e.g. `mattekit models fetch --variant fp32 --cache-dir "/srv/models"`
 */
export function prefetchCommand(model: ResolvedModel, cacheDir: string | undefined): string {
  const what = model.variant ? `--variant ${model.variant}` : `--model-url ${model.url} --model-sha256 ${model.sha256}`
  return `mattekit models fetch ${what}${cacheDir ? ` --cache-dir ${JSON.stringify(cacheDir)}` : ''}`
}

/**
 * Returns the path of a verified model file, downloading it into the cache first if needed.
 *
 * The official fp32 model is the default. Files are checked by size on every call (fully with
 * `verify: 'full'`); a corrupted file is removed and downloaded again. Concurrent calls, in this
 * process or others, download once.
 *
 * @param source - `{ variant }`, or `{ url, sha256, bytes? }` for your own model
 * @param options - cache directory, offline mode, mirror, progress, abort, retries
 * @returns the verified file and whether it was cached
 * @throws {@link MatteError} `MODEL_FETCH` (HTTP or network failure after retries, stall,
 *   unwritable cache), `MODEL_INTEGRITY` (size or SHA-256 mismatch), `MODEL_NOT_CACHED`
 *   (offline and missing; the message names the `mattekit models fetch` command), `ABORTED`,
 *   `INVALID_OPTION`
 * @example
 * ```ts
 * const { path } = await ensureModel({ variant: 'fp16' }, {
 *   onProgress: (e) => e.status === 'download' && console.log(`${e.loaded} / ${e.total}`),
 * })
 * ```
 */
export async function ensureModel(source?: ModelSource, options: EnsureModelOptions = {}): Promise<EnsuredModel> {
  if (options === null || typeof options !== 'object') {
    throw new MatteError('INVALID_OPTION', 'ensureModel() options must be an object.')
  }
  const model = resolveNodeModel(source, options)
  const cacheDir = resolveCacheDir({ cacheDir: options.cacheDir })
  const offline = options.offline ?? envFlag(process.env[MODEL_ENV.offline])
  const store = createFileModelStore(cacheDir)
  const explicitDir = options.cacheDir ?? process.env[MODEL_ENV.cacheDir]
  const delivered = await deliverModel(
    model,
    { fetch: options.fetch ?? nodeFetch, createHasher: createNodeHasher, store },
    {
      offline,
      verify: options.verify,
      signal: options.signal,
      onProgress: options.onProgress,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      stallTimeoutMs: options.stallTimeoutMs,
      prefetchHint:
        `Pre-fetch it while online with \`${prefetchCommand(model, explicitDir ? cacheDir : undefined)}\`` +
        (offline && envFlag(process.env[MODEL_ENV.offline]) && options.offline === undefined
          ? `, or unset ${MODEL_ENV.offline}.`
          : '.'),
    },
  )
  return {
    path: delivered.location,
    sha256: delivered.sha256,
    bytes: delivered.bytes,
    cached: delivered.cached,
    url: delivered.url,
    ...(model.variant ? { variant: model.variant } : {}),
    cacheDir,
  }
}

/** One official variant in a {@link ModelCacheListing}. */
export interface OfficialModelStatus {
  /** The variant. */
  readonly variant: ModelVariant
  /** Its file below the base URL. */
  readonly file: string
  /** Its size in bytes. */
  readonly bytes: number
  /** Its SHA-256. */
  readonly sha256: string
  /** Where it is (or would be) cached. */
  readonly path: string
  /** `cached` (right size), `missing`, or `corrupt` (wrong size; the next load re-fetches it). */
  readonly state: 'cached' | 'missing' | 'corrupt'
  /** Bytes of an interrupted download waiting to be resumed. */
  readonly partialBytes: number
}

/** What {@link listModels} returns. */
export interface ModelCacheListing {
  /** The cache directory. */
  readonly cacheDir: string
  /** Where official files are downloaded from (the pinned revision, or the mirror). */
  readonly baseUrl: string
  /** Whether offline mode is on. */
  readonly offline: boolean
  /** The official variants. */
  readonly official: readonly OfficialModelStatus[]
  /** Other (custom) cached models, by SHA-256. */
  readonly custom: readonly { readonly sha256: string; readonly path: string; readonly bytes: number }[]
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw storageError(error, dir, 'list it')
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path)
    return s.isFile() ? s.size : undefined
  } catch {
    return undefined
  }
}

/**
 * Lists the official variants (cached or not) and other cached models. Reads only.
 *
 * @param options - the cache directory, mirror and offline settings to report
 * @returns the listing
 * @throws {@link MatteError} `MODEL_FETCH` when the directory cannot be read; `INVALID_OPTION`
 *
 * @example
 * ```ts
 * import { listModels } from '@mattekit/node'
 *
 * const listing = await listModels()
 * for (const m of listing.official) console.log(m.variant, m.state) // 'cached', 'missing' or 'corrupt'
 * ```
 */
export async function listModels(options: ModelCacheOptions = {}): Promise<ModelCacheListing> {
  const cacheDir = resolveCacheDir({ cacheDir: options.cacheDir })
  const names = await entries(cacheDir)
  const official: OfficialModelStatus[] = []
  for (const variant of MODEL_VARIANTS) {
    const m = MODNET_MODELS[variant]
    const key = `${m.sha256}.onnx`
    const path = join(cacheDir, key)
    const size = names.includes(key) ? await sizeOf(path) : undefined
    const partialBytes = names.includes(storeFileNames(key).partial) ? ((await sizeOf(join(cacheDir, storeFileNames(key).partial))) ?? 0) : 0
    official.push({
      variant,
      file: m.file,
      bytes: m.bytes,
      sha256: m.sha256,
      path,
      state: size === undefined ? 'missing' : size === m.bytes ? 'cached' : 'corrupt',
      partialBytes,
    })
  }
  const officialKeys = new Set(official.map((o) => `${o.sha256}.onnx`))
  const custom: { sha256: string; path: string; bytes: number }[] = []
  for (const name of names.sort()) {
    if (!/^[0-9a-f]{64}\.onnx$/.test(name) || officialKeys.has(name)) continue
    const bytes = await sizeOf(join(cacheDir, name))
    if (bytes !== undefined) custom.push({ sha256: name.slice(0, 64), path: join(cacheDir, name), bytes })
  }
  const mirror = options.mirror ?? (process.env[MODEL_ENV.mirror] || undefined)
  return {
    cacheDir,
    baseUrl: mirror ? checkModelUrl(mirror, 'the model mirror URL').replace(/\/+$/, '') : MODNET_BASE_URL,
    offline: options.offline ?? envFlag(process.env[MODEL_ENV.offline]),
    official,
    custom,
  }
}

/** One file checked by {@link verifyModels}. */
export interface VerifiedModel {
  /** The file. */
  readonly path: string
  /** The SHA-256 it must have. */
  readonly sha256: string
  /** The official variant, when it is one. */
  readonly variant?: ModelVariant
  /** `ok`, `missing`, or `corrupt` (and then removed). */
  readonly state: 'ok' | 'missing' | 'corrupt'
  /** Why it is corrupt. */
  readonly reason?: string
}

/** Options of {@link verifyModels}. */
export interface VerifyModelsOptions extends ModelCacheOptions {
  /** Only this model; by default every cached model (a file's name is its SHA-256). */
  readonly source?: ModelSource
  /** Stops hashing. */
  readonly signal?: AbortSignal
}

/**
 * Re-hashes cached models in full. A corrupted file is removed, so the next load downloads it
 * again. Never downloads.
 *
 * @param options - which model (default: all cached ones) and where
 * @returns one result per file checked (with a `source`, one result even when it is missing)
 * @throws {@link MatteError} `MODEL_FETCH` when the cache cannot be read or a corrupted file
 *   cannot be removed; `INVALID_OPTION`; `ABORTED`
 *
 * @example
 * ```ts
 * import { verifyModels } from '@mattekit/node'
 *
 * for (const m of await verifyModels()) if (m.state !== 'ok') console.warn(m.path, m.state, m.reason)
 * ```
 */
export async function verifyModels(options: VerifyModelsOptions = {}): Promise<VerifiedModel[]> {
  const cacheDir = resolveCacheDir({ cacheDir: options.cacheDir })
  const store = createFileModelStore(cacheDir)
  const byKey = new Map<string, ResolvedModel>()
  for (const variant of MODEL_VARIANTS) byKey.set(`${MODNET_MODELS[variant].sha256}.onnx`, resolveModel({ variant }))
  let targets: ResolvedModel[]
  if (options.source !== undefined) {
    const model = resolveNodeModel(options.source, options)
    targets = [byKey.get(model.key) ?? model]
  } else {
    targets = (await entries(cacheDir))
      .filter((name) => /^[0-9a-f]{64}\.onnx$/.test(name))
      .sort()
      .map((name) => byKey.get(name) ?? { key: name, sha256: name.slice(0, 64), url: '', label: name })
  }
  const results: VerifiedModel[] = []
  for (const model of targets) {
    const state = await checkStoredModel(model, store, createNodeHasher, { full: true, signal: options.signal })
    const base = { path: store.locate(model.key), sha256: model.sha256, ...(model.variant ? { variant: model.variant } : {}) }
    if (state.state === 'corrupt') {
      await store.remove(model.key)
      results.push({ ...base, state: 'corrupt', reason: state.reason })
    } else {
      results.push({ ...base, state: state.state })
    }
  }
  return results
}

/** Options of {@link clearModels}. */
export interface ClearModelsOptions extends ModelCacheOptions {
  /** Only this model; by default every model MatteKit cached in the directory. */
  readonly source?: ModelSource
}

/**
 * Deletes cached models and their partial downloads. Only MatteKit's own files are touched
 * (`<sha256>.onnx` and its dot-files), never the rest of the directory, and never the temporary
 * file of a download in progress.
 *
 * @param options - which model (default: all) and where
 * @returns the paths removed
 * @throws {@link MatteError} `MODEL_FETCH` when a file cannot be removed; `INVALID_OPTION`
 *
 * @example
 * ```ts
 * import { clearModels } from '@mattekit/node'
 *
 * const removed = await clearModels({ source: { variant: 'fp16' } }) // paths removed; no source: everything
 * ```
 */
export async function clearModels(options: ClearModelsOptions = {}): Promise<string[]> {
  const cacheDir = resolveCacheDir({ cacheDir: options.cacheDir })
  const only = options.source === undefined ? undefined : resolveNodeModel(options.source, options).key
  const removed: string[] = []
  for (const name of await entries(cacheDir)) {
    const m = /^\.?([0-9a-f]{64}\.onnx)(\..*)?$/.exec(name)
    if (!m || (only && m[1] !== only)) continue
    const key = m[1]!
    const names = storeFileNames(key)
    const pid = tempFilePid(name, key)
    const ours = name === names.entry || name === names.partial || (pid !== undefined && pid !== process.pid && !isProcessAlive(pid))
    if (!ours) continue // locks and live downloads stay
    try {
      await rm(join(cacheDir, name), { force: true })
    } catch (error) {
      throw storageError(error, cacheDir, `remove ${name}`)
    }
    removed.push(join(cacheDir, name))
  }
  return removed
}
