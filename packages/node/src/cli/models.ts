/**
 * `mattekit models fetch|list|verify|clear`: the model cache from the command line, and the
 * model flags the main command shares (`--variant`, `--model-url`, `--model-sha256`,
 * `--cache-dir`, `--mirror`, `--offline`).
 */
import { parseArgs } from 'node:util'
import {
  MODEL_VARIANTS,
  MODNET_LICENSE_NOTICE,
  type ModelSource,
  isMatteError,
  isModelVariant,
  isSha256,
  resolveModel,
} from '@mattekit/core'
import { MODEL_ENV, resolveCacheDir } from '../model/cache-dir.js'
import { clearModels, ensureModel, listModels, verifyModels } from '../model/models.js'
import type { CliIo } from './main.js'
import { downloadReporter } from './progress.js'

/** The `models` actions. */
export const MODEL_ACTIONS = new Set(['fetch', 'list', 'verify', 'clear'])

/** parseArgs definitions of the model flags, shared with the main command. */
export const MODEL_FLAGS = {
  variant: { type: 'string' },
  'model-url': { type: 'string' },
  'model-sha256': { type: 'string' },
  'cache-dir': { type: 'string' },
  mirror: { type: 'string' },
  offline: { type: 'boolean' },
} as const

/** parseArgs definitions shared by the image and video commands (model flags included). */
export const MATTE_FLAGS = {
  'output-path': { type: 'string', short: 'o' },
  model: { type: 'string', short: 'm' },
  output: { type: 'string' },
  background: { type: 'string' },
  foreground: { type: 'string' },
  threads: { type: 'string' },
  sessions: { type: 'string' },
  ...MODEL_FLAGS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The parsed model flags. */
export interface ModelFlags {
  variant?: string
  'model-url'?: string
  'model-sha256'?: string
  'cache-dir'?: string
  mirror?: string
  offline?: boolean
}

/** The help text of `mattekit models`. */
export const MODELS_HELP = `mattekit models: the model cache.

Usage
  mattekit models list   [--cache-dir <dir>] [--json]
  mattekit models fetch  [--variant fp32|fp16|uint8 | --model-url <url> --model-sha256 <hex>] [--cache-dir <dir>] [--mirror <url>]
  mattekit models verify [--variant fp32|fp16|uint8 | --model-url <url> --model-sha256 <hex>] [--cache-dir <dir>]
  mattekit models clear  [--variant fp32|fp16|uint8 | --model-url <url> --model-sha256 <hex>] [--cache-dir <dir>]

  list    the official variants (size, cached or not), other cached models, the cache path
          and the licence of the MODNet weights
  fetch   download a model into the cache (default: the official fp32), verified by size and
          SHA-256; run it while online, then use the model offline
  verify  re-hash cached models (default: all of them); a corrupted file is removed (exit 1)
  clear   delete cached models (default: all of MatteKit's files in the cache directory)

Options
      --variant <v>         official variant: fp32 (default), fp16 or uint8
      --model-url <url>     a custom model (https; http only on localhost)...
      --model-sha256 <hex>  ...and the SHA-256 it must have
      --cache-dir <dir>     cache directory (default: ${MODEL_ENV.cacheDir}, else the OS user cache)
      --mirror <url>        base URL serving the official files (default: ${MODEL_ENV.mirror}, else Hugging Face)
      --json                machine-readable output on stdout
  -h, --help                show this help

Environment: ${MODEL_ENV.cacheDir}, ${MODEL_ENV.offline}=1 (never download), ${MODEL_ENV.mirror}.
`

class UsageError extends Error {}

/**
 * Turns the model flags into a model source, or undefined for the default official fp32.
 *
 * @param flags - the parsed flags
 * @returns the source, or undefined
 * @throws an `Error` recognised by {@link isUsageError}, with a message for the user
 */
export function modelSourceFromFlags(flags: ModelFlags): ModelSource | undefined {
  const url = flags['model-url']
  const sha256 = flags['model-sha256']
  if (flags.variant !== undefined && (url !== undefined || sha256 !== undefined)) {
    throw new UsageError('--variant and --model-url/--model-sha256 are exclusive')
  }
  if (url !== undefined || sha256 !== undefined) {
    if (url === undefined) throw new UsageError('--model-sha256 goes with --model-url <url>')
    if (sha256 === undefined) {
      throw new UsageError('--model-url needs --model-sha256 <hex>: a model downloaded without a pinned hash is never trusted')
    }
    if (!isSha256(sha256)) throw new UsageError(`--model-sha256 must be 64 hex digits, got "${sha256}"`)
    const source = { url, sha256 }
    try {
      resolveModel(source)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    return source
  }
  if (flags.variant !== undefined) {
    if (!isModelVariant(flags.variant)) throw new UsageError(`--variant must be one of ${MODEL_VARIANTS.join(', ')}`)
    return { variant: flags.variant }
  }
  return undefined
}

/**
 * Whether `error` is a usage error from {@link modelSourceFromFlags}.
 *
 * @param error - anything caught
 * @returns true for usage errors (exit status 2)
 */
export function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

/**
 * Runs `mattekit models <action> ...` and returns the exit status.
 *
 * @param argv - the arguments after `models`
 * @param io - output streams and an abort signal
 * @returns 0 on success, 1 on failure (or corrupt files found), 2 on a usage error, 130 when interrupted
 */
export async function runModels(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (s: string): boolean => io.stderr.write(s)
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...MODEL_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (error) {
    say(`mattekit models: ${(error as Error).message}\nRun "mattekit models --help" for usage.\n`)
    return 2
  }
  const { values, positionals } = parsed
  const action = positionals[0]
  if (values.help || action === undefined) {
    io.stdout.write(MODELS_HELP)
    return values.help ? 0 : 2
  }
  if (!MODEL_ACTIONS.has(action) || positionals.length > 1) {
    say(`mattekit models: unknown action "${positionals.join(' ')}"; use fetch, list, verify or clear.\n`)
    return 2
  }
  let source: ModelSource | undefined
  try {
    source = modelSourceFromFlags(values)
    if (action === 'list' && source !== undefined) throw new UsageError('list takes no model flags; it lists them all')
  } catch (error) {
    if (!isUsageError(error)) throw error
    say(`mattekit models: ${error.message}\n`)
    return 2
  }
  const cache = {
    ...(values['cache-dir'] === undefined ? {} : { cacheDir: values['cache-dir'] }),
    ...(values.mirror === undefined ? {} : { mirror: values.mirror }),
  }
  const json = values.json === true
  const out = (value: unknown): void => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)

  try {
    switch (action) {
      case 'list': {
        const listing = await listModels(cache)
        if (json) {
          out({ ...listing, license: MODNET_LICENSE_NOTICE })
          return 0
        }
        const lines = [`Model cache: ${listing.cacheDir}`, `Official files from: ${listing.baseUrl}`]
        if (listing.offline) lines.push(`Offline mode is on (${MODEL_ENV.offline}): nothing will be downloaded.`)
        lines.push('', 'variant  size       cached   sha256            file')
        for (const m of listing.official) {
          const state = m.state === 'cached' ? 'yes' : m.state === 'corrupt' ? 'CORRUPT' : m.partialBytes ? 'partial' : 'no'
          lines.push(
            `${m.variant.padEnd(8)} ${mib(m.bytes).padStart(9)}  ${state.padEnd(7)}  ${m.sha256.slice(0, 16)}  ${m.file}`,
          )
        }
        if (listing.custom.length) {
          lines.push('', 'Other cached models (custom, by SHA-256):')
          for (const c of listing.custom) lines.push(`  ${c.sha256}  ${mib(c.bytes)}  ${c.path}`)
        }
        lines.push('', 'Licence of the MODNet weights:', MODNET_LICENSE_NOTICE, '')
        io.stdout.write(lines.join('\n'))
        return 0
      }
      case 'fetch': {
        const label = source && 'url' in source ? source.url : `MODNet ${source?.variant ?? 'fp32'}`
        const reporter = downloadReporter(io.stderr, { tty: Boolean(io.stderr.isTTY) && !json, label })
        const got = await ensureModel(source, { ...cache, signal: io.signal, onProgress: reporter.onProgress })
        if (json) out(got)
        else io.stdout.write(`${got.cached ? 'already cached' : 'downloaded'}: ${got.path} (${mib(got.bytes)}, sha256 ${got.sha256})\n`)
        return 0
      }
      case 'verify': {
        const results = await verifyModels({ ...cache, ...(source ? { source } : {}), signal: io.signal })
        if (json) out(results)
        else if (results.length === 0) io.stdout.write(`no cached models in ${resolveCacheDir(cache)}\n`)
        for (const r of json ? [] : results) {
          const name = r.variant ? `MODNet ${r.variant}` : r.sha256
          if (r.state === 'ok') io.stdout.write(`ok       ${name}  ${r.path}\n`)
          else if (r.state === 'missing') io.stdout.write(`missing  ${name}  ${r.path}\n`)
          else {
            io.stdout.write(`CORRUPT  ${name}  ${r.path}: ${r.reason}; removed\n`)
            say(
              `mattekit models: ${name} was corrupted and has been removed; ` +
                `run "mattekit models fetch${r.variant ? ` --variant ${r.variant}` : ''}" to download it again.\n`,
            )
          }
        }
        return results.some((r) => r.state !== 'ok') ? 1 : 0
      }
      default: {
        const removed = await clearModels({ ...cache, ...(source ? { source } : {}) })
        if (json) out({ removed })
        else io.stdout.write(removed.length ? removed.map((p) => `removed ${p}\n`).join('') : 'nothing to remove\n')
        return 0
      }
    }
  } catch (error) {
    if (io.signal?.aborted) {
      say('mattekit models: interrupted\n')
      return 130
    }
    if (!isMatteError(error)) throw error
    say(`mattekit models: ${error.code}: ${error.message}\n`)
    return error.code === 'INVALID_OPTION' ? 2 : 1
  }
}

/**
 * The delivery options the main command derives from the model flags and the environment.
 *
 * @param flags - the parsed flags
 * @returns cacheDir, offline and mirror, each only when set by a flag
 */
export function cacheOptionsFromFlags(flags: ModelFlags): { cacheDir?: string; offline?: boolean; mirror?: string } {
  return {
    ...(flags['cache-dir'] === undefined ? {} : { cacheDir: flags['cache-dir'] }),
    ...(flags.offline ? { offline: true } : {}),
    ...(flags.mirror === undefined ? {} : { mirror: flags.mirror }),
  }
}
