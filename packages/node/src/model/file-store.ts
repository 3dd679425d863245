/**
 * Core's {@link ModelStore} on the file system: verified models are plain files named
 * `<sha256>.onnx` in the cache directory; everything else is a dot-file beside them.
 *
 * - A download streams into a temp file of its own (`.<key>.<pid>.<random>.tmp`) in the same
 *   directory, is fsynced, and is renamed onto `<key>` only after core verified it, so a reader
 *   sees the whole verified file or nothing. The directory is fsynced after the rename.
 * - An interrupted download is kept as `.<key>.partial` for the next attempt to resume; a
 *   downloader claims it by renaming it to its own temp file, so two writers never share a file.
 *   Temp files of dead processes (killed mid-download) are adopted the same way.
 * - `.<key>.lock` (created exclusively, holding pid, host, time and a nonce, its mtime refreshed
 *   while held) makes concurrent processes download once. A lock is stale when its holder is a
 *   dead process on this host, or when it was not refreshed for `staleLockMs`; a stale lock is
 *   broken under a short-lived `.<key>.lock.break` guard so that two waiters never both break it.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { type AbortSignalLike, MatteError, type ModelStore, type ModelStoreLock, type PartialModel, abortError } from '@mattekit/core'

/** Options of {@link createFileModelStore}. */
export interface FileModelStoreOptions {
  /**
   * A lock not refreshed for this long is considered abandoned (its holder refreshes it every
   * third of this).
   * @defaultValue 30000
   */
  readonly staleLockMs?: number
  /**
   * How often a waiting process checks the lock, in ms (with jitter).
   * @defaultValue 100
   */
  readonly lockPollMs?: number
}

/** A {@link ModelStore} backed by one directory. */
export interface FileModelStore extends ModelStore {
  /** The cache directory. */
  readonly dir: string
}

interface LockInfo {
  pid: number
  host: string
  createdAt: number
  nonce: string
}

const KEY_RE = /^[0-9a-f]{64}\.onnx$/

/**
 * The file names a store uses for `key` (listings and `clear` need them).
 *
 * @param key - a store key, `<sha256>.onnx`
 * @returns the entry, the kept partial, the lock, and the prefix of temp files
 */
export function storeFileNames(key: string): { entry: string; partial: string; lock: string; tempPrefix: string } {
  return { entry: key, partial: `.${key}.partial`, lock: `.${key}.lock`, tempPrefix: `.${key}.` }
}

/**
 * Whether `pid` is a live process on this machine.
 *
 * @param pid - a process id
 * @returns true when it exists (also when it belongs to another user)
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}

/**
 * Parses a temp file name, `.<key>.<pid>.<random>.tmp`.
 *
 * @param name - a file name in the cache directory
 * @param key - the store key it should belong to
 * @returns the pid of the process that wrote it, or undefined when it is not such a file
 */
export function tempFilePid(name: string, key: string): number | undefined {
  const prefix = `.${key}.`
  if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return undefined
  const m = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))
  return m ? Number(m[1]) : undefined
}

/**
 * Turns a file-system error into a `MODEL_FETCH` {@link MatteError} that says what to do.
 *
 * @param error - the error from `node:fs`
 * @param dir - the cache directory
 * @param action - what was being done, e.g. `create a temporary file`
 * @returns the error to throw
 */
export function storageError(error: unknown, dir: string, action: string): MatteError {
  if (error instanceof MatteError) return error
  const code = (error as NodeJS.ErrnoException)?.code
  const fix = 'Set MATTEKIT_CACHE_DIR or the cacheDir option (--cache-dir) to a writable directory'
  let message: string
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const what = /^(read|list)/.test(action) ? 'readable' : 'writable'
    message =
      `The model cache directory ${dir} is not ${what} (${code} while trying to ${action}). ` +
      `${fix}, or pre-fetch the model into a cache this process can read (mattekit models fetch).`
  } else if (code === 'ENOTDIR' || code === 'EEXIST') {
    message = `The model cache directory ${dir} cannot be created or used: part of its path is a file (${code}). ${fix}.`
  } else if (code === 'ENOSPC' || code === 'EDQUOT') {
    message = `No space left for the model in ${dir} (${code}). Free some space, or ${fix[0]!.toLowerCase()}${fix.slice(1)}.`
  } else {
    message = `The model cache ${dir} failed while trying to ${action}: ${(error as Error)?.message ?? String(error)}`
  }
  return new MatteError('MODEL_FETCH', message, { cause: error })
}

/**
 * Creates the file-system {@link ModelStore} for `dir` (created on first write).
 *
 * @param dir - the cache directory (see {@link resolveCacheDir})
 * @param options - lock timing
 * @returns the store
 *
 * @example
 * ```ts
 * import { createFileModelStore, resolveCacheDir } from '@mattekit/node'
 *
 * const store = createFileModelStore(resolveCacheDir()) // the store createMatter() uses
 * ```
 */
export function createFileModelStore(dir: string, options: FileModelStoreOptions = {}): FileModelStore {
  const staleLockMs = options.staleLockMs ?? 30_000
  const lockPollMs = options.lockPollMs ?? 100
  const host = hostname()
  const path = (name: string): string => join(dir, name)

  const ensureDir = async (action: string): Promise<void> => {
    try {
      await mkdir(dir, { recursive: true })
    } catch (error) {
      throw storageError(error, dir, action)
    }
  }

  const checkKey = (key: string): void => {
    if (!KEY_RE.test(key)) throw new MatteError('INVALID_OPTION', `Not a model store key: ${key}`)
  }

  /** Claims the kept partial, or failing that the largest temp file of a dead process. */
  const claimPartial = async (key: string, target: string): Promise<boolean> => {
    const names = storeFileNames(key)
    try {
      await rename(path(names.partial), target)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    let orphans: { name: string; size: number }[] = []
    for (const name of await readdir(dir)) {
      const pid = tempFilePid(name, key)
      if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue
      const info = await stat(path(name)).catch(() => undefined)
      if (info) orphans.push({ name, size: info.size })
    }
    orphans = orphans.sort((a, b) => b.size - a.size)
    let claimed = false
    for (const orphan of orphans) {
      if (!claimed && orphan.size > 0) {
        claimed = await rename(path(orphan.name), target).then(
          () => true,
          () => false,
        )
      } else {
        await unlink(path(orphan.name)).catch(() => undefined)
      }
    }
    return claimed
  }

  const readLock = async (file: string): Promise<{ info?: LockInfo; mtimeMs: number } | undefined> => {
    let mtimeMs: number
    try {
      mtimeMs = (await stat(file)).mtimeMs
    } catch {
      return undefined
    }
    try {
      return { info: JSON.parse(await readFile(file, 'utf8')) as LockInfo, mtimeMs }
    } catch {
      return { mtimeMs } // being written, or garbage: judged by age only
    }
  }

  const isStale = (lock: { info?: LockInfo; mtimeMs: number }): boolean => {
    if (Date.now() - lock.mtimeMs > staleLockMs) return true
    return lock.info !== undefined && lock.info.host === host && !isProcessAlive(lock.info.pid)
  }

  /** Removes a stale lock, unless someone else replaced or broke it meanwhile. */
  const breakLock = async (file: string, seen: { info?: LockInfo; mtimeMs: number }): Promise<void> => {
    const guard = `${file}.break`
    try {
      await writeFile(guard, String(process.pid), { flag: 'wx' })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // Someone else is breaking it; a guard older than 10 s belongs to a crashed breaker.
      const age = await stat(guard).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      )
      if (age > 10_000) await unlink(guard).catch(() => undefined)
      return
    }
    try {
      const now = await readLock(file)
      if (now && now.info?.nonce === seen.info?.nonce && isStale(now)) await unlink(file).catch(() => undefined)
    } finally {
      await unlink(guard).catch(() => undefined)
    }
  }

  const sleep = (ms: number, signal: AbortSignalLike | undefined): Promise<void> =>
    delay(ms, undefined, signal ? { signal: signal as AbortSignal } : undefined).catch(() => {
      throw abortError(signal!)
    })

  return {
    dir,

    locate: (key) => path(key),

    async size(key) {
      try {
        const info = await stat(path(key))
        return info.isFile() ? info.size : undefined
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
        throw storageError(error, dir, `read ${key}`)
      }
    },

    async *read(key) {
      try {
        for await (const chunk of createReadStream(path(key), { highWaterMark: 1 << 20 })) yield chunk as Uint8Array
      } catch (error) {
        throw storageError(error, dir, `read ${key}`)
      }
    },

    async remove(key) {
      checkKey(key)
      try {
        await rm(path(key), { force: true })
      } catch (error) {
        throw storageError(error, dir, `remove the corrupted ${key}`)
      }
    },

    async openPartial(key): Promise<PartialModel> {
      checkKey(key)
      await ensureDir('create it')
      const names = storeFileNames(key)
      const temp = path(`${names.tempPrefix}${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
      let handle: FileHandle
      let size = 0
      try {
        await claimPartial(key, temp)
        handle = await open(temp, 'a')
        size = (await handle.stat()).size
      } catch (error) {
        await unlink(temp).catch(() => undefined)
        throw storageError(error, dir, 'create a temporary file for the download')
      }
      let ended = false
      const end = async (): Promise<void> => {
        if (ended) throw new Error('this partial download was already ended')
        ended = true
        await handle.close()
      }
      return {
        get size() {
          return size
        },
        read: () =>
          size === 0
            ? (async function* () {})()
            : (createReadStream(temp, { highWaterMark: 1 << 20, start: 0, end: size - 1 }) as AsyncIterable<Uint8Array>),
        async write(chunk) {
          try {
            let offset = 0
            while (offset < chunk.length) {
              const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
              offset += bytesWritten
            }
            size += chunk.length
          } catch (error) {
            throw storageError(error, dir, 'write the download')
          }
        },
        async truncate() {
          await handle.truncate(0)
          size = 0
        },
        async commit() {
          try {
            await handle.sync()
            await end()
            await rename(temp, path(key))
          } catch (error) {
            await unlink(temp).catch(() => undefined)
            throw storageError(error, dir, `store ${key}`)
          }
          // Make the rename itself durable (not possible on Windows; harmless to skip there).
          const dirHandle = await open(dir, 'r').catch(() => undefined)
          await dirHandle?.sync().catch(() => undefined)
          await dirHandle?.close().catch(() => undefined)
        },
        async keep() {
          await end()
          if (size === 0) await unlink(temp).catch(() => undefined)
          else await rename(temp, path(names.partial)).catch(() => unlink(temp).catch(() => undefined))
        },
        async discard() {
          await end().catch(() => undefined)
          await unlink(temp).catch(() => undefined)
        },
      }
    },

    async lock(key, { signal, onWait } = {}): Promise<ModelStoreLock> {
      checkKey(key)
      await ensureDir('create it')
      const file = path(storeFileNames(key).lock)
      const info: LockInfo = { pid: process.pid, host, createdAt: Date.now(), nonce: randomBytes(8).toString('hex') }
      let waited = false
      for (;;) {
        if (signal?.aborted) throw abortError(signal)
        try {
          await writeFile(file, JSON.stringify(info), { flag: 'wx' })
          break
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(error, dir, 'create the download lock')
        }
        const held = await readLock(file)
        if (held && isStale(held)) {
          await breakLock(file, held).catch((error: unknown) => {
            throw storageError(error, dir, 'remove a stale download lock')
          })
          continue
        }
        if (!waited) {
          waited = true
          onWait?.()
        }
        await sleep(lockPollMs * (0.5 + Math.random()), signal)
      }
      // Refresh the lock's mtime so waiters can tell a slow download from a dead one.
      const heartbeat = setInterval(
        () => {
          const now = new Date()
          utimes(file, now, now).catch(() => undefined)
        },
        Math.max(50, Math.floor(staleLockMs / 3)),
      )
      heartbeat.unref()
      let released: Promise<void> | undefined
      return {
        release() {
          released ??= (async () => {
            clearInterval(heartbeat)
            const now = await readLock(file)
            if (now?.info?.nonce === info.nonce) await unlink(file).catch(() => undefined)
          })()
          return released
        },
      }
    },
  }
}
