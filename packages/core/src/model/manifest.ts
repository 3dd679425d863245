/**
 * The model manifest: MODNet's official ONNX files, pinned by revision, size and SHA-256
 * (MODNET.md section 1), and the rules for custom models and mirrors.
 *
 * Platform-neutral: the Node and browser packages feed a {@link ResolvedModel} to
 * {@link deliverModel} with their own fetch, hasher and store.
 */
import { MatteError } from '../errors.js'

/** The official MODNet ONNX variants: `fp32` is the reference model; the others are smaller. */
export type ModelVariant = 'fp32' | 'fp16' | 'uint8'

/**
 * Every {@link ModelVariant}, default first.
 *
 * @example
 * ```ts
 * import { MODEL_VARIANTS } from '@mattekit/core'
 *
 * for (const variant of MODEL_VARIANTS) console.log(variant) // fp32, fp16, uint8
 * ```
 */
export const MODEL_VARIANTS: readonly ModelVariant[] = ['fp32', 'fp16', 'uint8']

/**
 * The variant used when none is asked for.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL_VARIANT, MODNET_MODELS } from '@mattekit/core'
 *
 * console.log(MODNET_MODELS[DEFAULT_MODEL_VARIANT].bytes) // the file createMatter() downloads by default
 * ```
 */
export const DEFAULT_MODEL_VARIANT: ModelVariant = 'fp32'

/**
 * The pinned Hugging Face revision of `Xenova/modnet` the official files are fetched from.
 *
 * @example
 * ```ts
 * import { MODNET_REVISION } from '@mattekit/core'
 *
 * console.log(`official weights pinned at Xenova/modnet@${MODNET_REVISION}`)
 * ```
 */
export const MODNET_REVISION = 'fa2fa546052fba4c08921230a26cc69a333fca12'

/**
 * Base URL of the official files: `<base>/<file>` is a file's URL. A mirror replaces this base.
 *
 * @example
 * ```ts
 * import { MODNET_BASE_URL, MODNET_MODELS } from '@mattekit/core'
 *
 * const url = `${MODNET_BASE_URL}/${MODNET_MODELS.uint8.file}` // what to mirror for the uint8 variant
 * ```
 */
export const MODNET_BASE_URL = `https://huggingface.co/Xenova/modnet/resolve/${MODNET_REVISION}`

/** One official file of the manifest. */
export interface OfficialModelFile {
  /** Which variant this is. */
  readonly variant: ModelVariant
  /** Path below the base URL (and below a mirror), e.g. `onnx/model.onnx`. */
  readonly file: string
  /** Exact size in bytes. */
  readonly bytes: number
  /** SHA-256 of the file, lowercase hex. */
  readonly sha256: string
  /** A one-line description for listings. */
  readonly description: string
}

/**
 * The official MODNet ONNX files (Hugging Face `Xenova/modnet` at {@link MODNET_REVISION}).
 * `fp32` is byte-identical to the MODNet authors' `modnet_photographic_portrait_matting.onnx`.
 *
 * @example
 * ```ts
 * import { MODNET_MODELS } from '@mattekit/web'
 *
 * // Self-host the official file and let MatteKit verify it against the pinned hash:
 * const model = { url: '/models/modnet.onnx', sha256: MODNET_MODELS.fp32.sha256, bytes: MODNET_MODELS.fp32.bytes }
 * const matter = await createMatter({ model })
 * ```
 */
export const MODNET_MODELS: Readonly<Record<ModelVariant, OfficialModelFile>> = Object.freeze({
  fp32: Object.freeze({
    variant: 'fp32',
    file: 'onnx/model.onnx',
    bytes: 25_888_640,
    sha256: '07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9',
    description: 'float32, the official photographic portrait matting model (reference)',
  }),
  fp16: Object.freeze({
    variant: 'fp16',
    file: 'onnx/model_fp16.onnx',
    bytes: 12_984_781,
    sha256: '25f165da9bfd30830a575f1f0490f1acd995975cb349bc02f3d79332e1fe5cf6',
    description: 'float16 weights, half the download',
  }),
  uint8: Object.freeze({
    variant: 'uint8',
    file: 'onnx/model_quantized.onnx',
    bytes: 6_632_188,
    sha256: '92e49898c3e05a6d7a944fc67a8cb87c4aad754ffb6ebd949528c7d1105fee3a',
    description: 'uint8-quantised weights, a quarter of the download',
  }),
})

/**
 * The licence notice of the MODNet weights. Show it wherever the weights are delivered
 * (`mattekit models list` prints it; `@mattekit/node` ships it as `MODEL-LICENSE.md`).
 *
 * @example
 * ```ts
 * import { MODNET_LICENSE_NOTICE } from '@mattekit/node'
 *
 * // Ship the weights' notice with your app when you redistribute the model file.
 * await writeFile('THIRD-PARTY-MODEL.txt', MODNET_LICENSE_NOTICE)
 * ```
 */
export const MODNET_LICENSE_NOTICE = `MODNet model weights: Apache License 2.0
Copyright the MODNet authors: Zhanghan Ke, Jiayu Sun, Kaican Li, Qiong Yan, Rynson W.H. Lau
("MODNet: Real-Time Trimap-Free Portrait Matting via Objective Decomposition", AAAI 2022).
Source: https://github.com/ZHKKKe/MODNet (code and models under Apache-2.0).
ONNX files: https://huggingface.co/Xenova/modnet, revision ${MODNET_REVISION}.
Licensed under the Apache License, Version 2.0; you may not use these files except in compliance
with the License. You may obtain a copy at https://www.apache.org/licenses/LICENSE-2.0.
Distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.`

/** A model from your own server: its URL and the SHA-256 it must have. */
export interface CustomModelSource {
  /** Where to download it: `https://`, or `http://` on a loopback host only. */
  readonly url: string
  /** Its SHA-256, 64 hex digits. The download is rejected unless the bytes hash to this. */
  readonly sha256: string
  /** Its exact size in bytes, when known: checked before and during the download, and on every load. */
  readonly bytes?: number
}

/** Which model to deliver: an official variant, or a custom model pinned by hash. */
export type ModelSource = { readonly variant: ModelVariant } | CustomModelSource

/** Options of {@link resolveModel}. */
export interface ResolveModelOptions {
  /**
   * Base URL of a mirror serving the official files under the same paths (`<mirror>/onnx/model.onnx`).
   * Custom models ignore it.
   * @defaultValue {@link MODNET_BASE_URL}
   */
  readonly mirror?: string
}

/** A model ready for delivery: where it comes from, what it must be, and where it is stored. */
export interface ResolvedModel {
  /**
   * Store key: `<sha256>.onnx`. The cache is content-addressed, so the same bytes from the
   * official host, a mirror or a custom URL share one entry.
   */
  readonly key: string
  /** The URL to download from (checked by {@link checkModelUrl}). */
  readonly url: string
  /** Expected SHA-256, lowercase hex. */
  readonly sha256: string
  /** Expected size in bytes, when known. */
  readonly bytes?: number
  /** The official variant, when this is one. */
  readonly variant?: ModelVariant
  /** A human-readable name for messages, e.g. `MODNet fp32` or the URL's file name. */
  readonly label: string
}

/**
 * Whether `value` names an official variant.
 *
 * @param value - anything
 * @returns true for `'fp32'`, `'fp16'` and `'uint8'`
 *
 * @example
 * ```ts
 * import { isModelVariant } from '@mattekit/core'
 *
 * const variant: unknown = settings.modelVariant // from a config file, a form, a query string
 * if (!isModelVariant(variant)) throw new Error(`unknown variant ${String(variant)}`)
 * ```
 */
export function isModelVariant(value: unknown): value is ModelVariant {
  return typeof value === 'string' && (MODEL_VARIANTS as readonly string[]).includes(value)
}

interface UrlLike {
  readonly protocol: string
  readonly hostname: string
  readonly href: string
  readonly pathname: string
  readonly username: string
  readonly password: string
}
// URL is in every runtime MatteKit supports, but core compiles without DOM or Node types.
const UrlCtor = (globalThis as unknown as { URL: new (input: string) => UrlLike }).URL

/**
 * Whether `hostname` (as WHATWG URL parsing normalises it) is a loopback host:
 * `localhost`, `127.0.0.0/8` or `[::1]`.
 *
 * @param hostname - a URL's `hostname`
 * @returns true for loopback hosts
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from '@mattekit/core'
 *
 * isLoopbackHost(new URL('http://localhost:8080/m.onnx').hostname) // true
 * isLoopbackHost('models.example.com')                             // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Checks that `url` may be used to download a model: `https:` anywhere, `http:` only on a
 * loopback host (`localhost`, `127.0.0.0/8`, `[::1]`), no credentials in the URL.
 *
 * @param url - the URL to check
 * @param what - what the URL is, for the message (e.g. `the model URL`)
 * @returns the normalised URL
 * @throws {@link MatteError} `INVALID_OPTION` when the URL is malformed or not allowed
 *
 * @example
 * ```ts
 * import { checkModelUrl } from '@mattekit/core'
 *
 * checkModelUrl('https://models.example.com/modnet.onnx') // returns the normalised URL
 * checkModelUrl('http://127.0.0.1:8080/modnet.onnx')     // plain http is fine on loopback
 * checkModelUrl('http://models.example.com/modnet.onnx') // throws MatteError INVALID_OPTION
 * ```
 */
export function checkModelUrl(url: string, what = 'the model URL'): string {
  let parsed: UrlLike
  try {
    if (typeof url !== 'string') throw new TypeError('not a string')
    parsed = new UrlCtor(url)
  } catch {
    throw new MatteError('INVALID_OPTION', `${what} is not a valid URL: ${String(url)}`)
  }
  if (parsed.username || parsed.password) {
    throw new MatteError('INVALID_OPTION', `${what} must not contain credentials: ${redactUrl(url)}`)
  }
  if (parsed.protocol === 'https:') return parsed.href
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed.href
  if (parsed.protocol === 'http:') {
    throw new MatteError(
      'INVALID_OPTION',
      `${what} must use https (plain http is accepted only for localhost, 127.0.0.0/8 and [::1]): ${parsed.href}`,
    )
  }
  throw new MatteError('INVALID_OPTION', `${what} must be an https URL, got ${parsed.protocol} in ${parsed.href}`)
}

/** `url` with any user:password removed, for messages. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@')
}

/**
 * Whether `value` is a SHA-256 in hex (64 digits, either case).
 *
 * @param value - anything
 * @returns true for 64 hex digits
 *
 * @example
 * ```ts
 * import { isSha256 } from '@mattekit/core'
 *
 * isSha256('07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9') // true
 * isSha256('abc')                                                                // false
 * ```
 */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value)
}

function joinUrl(base: string, file: string): string {
  return `${base.replace(/\/+$/, '')}/${file}`
}

/**
 * Turns what the caller asked for into a {@link ResolvedModel}: the official `fp32` model when
 * `source` is undefined, an official variant (from the pinned revision, or `<mirror>/<file>`),
 * or a custom `{ url, sha256, bytes? }`.
 *
 * @param source - the variant or custom model; `undefined` means the official `fp32`
 * @param options - a mirror for the official files
 * @returns the model to deliver
 * @throws {@link MatteError} `INVALID_OPTION` for an unknown variant, a malformed or non-https URL,
 *   a missing or malformed SHA-256, or a bad size
 * @example
 * ```ts
 * resolveModel()                                   // official fp32 from Hugging Face, pinned
 * resolveModel({ variant: 'uint8' }, { mirror: 'https://models.example.com/modnet' })
 * resolveModel({ url: 'https://example.com/m.onnx', sha256: '…64 hex…' })
 * ```
 */
export function resolveModel(source?: ModelSource, options: ResolveModelOptions = {}): ResolvedModel {
  if (source === undefined || source === null) source = { variant: DEFAULT_MODEL_VARIANT }
  if (typeof source !== 'object') {
    throw new MatteError('INVALID_OPTION', 'The model must be { variant } or { url, sha256, bytes? }.')
  }
  if ('variant' in source && !('url' in source)) {
    const { variant } = source
    if (!isModelVariant(variant)) {
      throw new MatteError(
        'INVALID_OPTION',
        `Unknown model variant ${JSON.stringify(variant)}; use one of ${MODEL_VARIANTS.join(', ')}.`,
      )
    }
    const entry = MODNET_MODELS[variant]
    const base = options.mirror === undefined || options.mirror === '' ? MODNET_BASE_URL : options.mirror
    const url = checkModelUrl(joinUrl(base, entry.file), options.mirror ? 'the model mirror URL' : 'the model URL')
    return { key: `${entry.sha256}.onnx`, url, sha256: entry.sha256, bytes: entry.bytes, variant, label: `MODNet ${variant}` }
  }
  const custom = source as CustomModelSource
  if (typeof custom.url !== 'string') {
    throw new MatteError('INVALID_OPTION', 'A custom model needs { url, sha256 }: url is missing.')
  }
  const url = checkModelUrl(custom.url)
  if (!isSha256(custom.sha256)) {
    throw new MatteError(
      'INVALID_OPTION',
      `A custom model needs its SHA-256 (64 hex digits) next to the URL, got ${JSON.stringify(custom.sha256)}; ` +
        'a model downloaded without a pinned hash is never trusted.',
    )
  }
  if (custom.bytes !== undefined && !(Number.isSafeInteger(custom.bytes) && custom.bytes > 0)) {
    throw new MatteError('INVALID_OPTION', `The model size (bytes) must be a positive integer, got ${String(custom.bytes)}.`)
  }
  const sha256 = custom.sha256.toLowerCase()
  const name = url.split(/[?#]/)[0]!.split('/').filter(Boolean).pop() ?? url
  return {
    key: `${sha256}.onnx`,
    url,
    sha256,
    ...(custom.bytes === undefined ? {} : { bytes: custom.bytes }),
    label: name,
  }
}
