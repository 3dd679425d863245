/**
 * Where the Node model cache lives: the `cacheDir` option, else `MATTEKIT_CACHE_DIR`, else the
 * operating system's per-user cache directory. Never inside node_modules (a global install there
 * is often read-only, and `npm ci` wipes it).
 */
import { homedir } from 'node:os'
import { isAbsolute, join, resolve, win32 } from 'node:path'
import { MatteError } from '@mattekit/core'

/**
 * Environment variables read by the Node model cache.
 *
 * @example
 * ```ts
 * import { MODEL_ENV } from '@mattekit/node'
 *
 * // e.g. in a Dockerfile: ENV MATTEKIT_CACHE_DIR=/models MATTEKIT_OFFLINE=1
 * process.env[MODEL_ENV.cacheDir] = '/srv/models'
 * process.env[MODEL_ENV.offline] = '1'
 * ```
 */
export const MODEL_ENV = {
  /** The model cache directory. */
  cacheDir: 'MATTEKIT_CACHE_DIR',
  /** `1` (or `true`, `yes`, `on`) forbids downloads. */
  offline: 'MATTEKIT_OFFLINE',
  /** Base URL of a mirror serving the official files under their Hugging Face paths. */
  mirror: 'MATTEKIT_MODEL_MIRROR',
} as const

/** Options of {@link resolveCacheDir}. */
export interface CacheDirOptions {
  /**
   * An explicit directory; wins over everything else.
   * @defaultValue `MATTEKIT_CACHE_DIR`, else the OS user cache (see {@link resolveCacheDir})
   */
  readonly cacheDir?: string
  /**
   * The environment to read.
   * @defaultValue `process.env`
   */
  readonly env?: Readonly<Record<string, string | undefined>>
  /**
   * The operating system.
   * @defaultValue `process.platform`
   */
  readonly platform?: NodeJS.Platform
  /**
   * The user's home directory.
   * @defaultValue `os.homedir()`
   */
  readonly homedir?: string
}

/**
 * The model cache directory, in this order:
 * 1. `options.cacheDir`;
 * 2. `MATTEKIT_CACHE_DIR`;
 * 3. the OS user cache: `$XDG_CACHE_HOME/mattekit/models` or `~/.cache/mattekit/models` on Linux
 *    and other Unixes, `~/Library/Caches/mattekit/models` on macOS,
 *    `%LOCALAPPDATA%\mattekit\Cache\models` on Windows.
 *
 * @param options - an explicit directory, or the environment to resolve from
 * @returns an absolute path (the directory may not exist yet)
 * @throws {@link MatteError} `UNSUPPORTED_ENVIRONMENT` when no home directory is known and
 *   neither the option nor the variable is set
 *
 * @example
 * ```ts
 * import { resolveCacheDir } from '@mattekit/node'
 *
 * console.log(resolveCacheDir())                          // e.g. /home/me/.cache/mattekit/models
 * console.log(resolveCacheDir({ cacheDir: '/srv/models' })) // /srv/models
 * ```
 */
export function resolveCacheDir(options: CacheDirOptions = {}): string {
  const env = options.env ?? process.env
  if (options.cacheDir) return resolve(options.cacheDir)
  const fromEnv = env[MODEL_ENV.cacheDir]
  if (fromEnv) return resolve(fromEnv)
  const platform = options.platform ?? process.platform
  let home = options.homedir
  if (home === undefined) {
    try {
      home = homedir()
    } catch {
      home = ''
    }
  }
  const need = (): string => {
    if (!home) {
      throw new MatteError(
        'UNSUPPORTED_ENVIRONMENT',
        `No home directory, so no default model cache: set ${MODEL_ENV.cacheDir} or the cacheDir option (--cache-dir).`,
      )
    }
    return home
  }
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA && win32.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : win32.join(need(), 'AppData', 'Local')
    return win32.join(local, 'mattekit', 'Cache', 'models')
  }
  if (platform === 'darwin') return join(need(), 'Library', 'Caches', 'mattekit', 'models')
  const xdg = env.XDG_CACHE_HOME
  const base = xdg && isAbsolute(xdg) ? xdg : join(need(), '.cache')
  return join(base, 'mattekit', 'models')
}

/**
 * Reads a boolean environment flag: `1`, `true`, `yes` and `on` (any case) are true; unset,
 * empty, `0`, `false`, `no` and `off` are false.
 *
 * @param value - the variable's value
 * @returns whether the flag is set
 */
export function envFlag(value: string | undefined): boolean {
  if (value === undefined) return false
  const v = value.trim().toLowerCase()
  return !(v === '' || v === '0' || v === 'false' || v === 'no' || v === 'off')
}
