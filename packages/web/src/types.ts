/**
 * The public types of `@mattekit/web`: options, inputs, results and the backend report.
 */
import type { Background, Matter, MatteOptions, MatteResult, MatteTimings, ModelProgressEvent, ModelSource, Rgb, StabilizerOptions } from '@mattekit/core'
import type { WasmPaths, WebDevice } from './ort-session.js'

export type { WasmPaths, WebDevice }

/**
 * What `matte()` accepts in a browser:
 * - `HTMLImageElement` (loaded; waited for when still loading), `HTMLCanvasElement`,
 *   `OffscreenCanvas`, `ImageBitmap`, `ImageData`, `VideoFrame`, `HTMLVideoElement` (its current
 *   frame);
 * - an encoded JPEG, PNG or WebP as a `Blob`/`File`, as bytes (`Uint8Array`, `ArrayBuffer`), or
 *   by URL (`string` or `URL`, relative URLs resolve against the page).
 *
 * Encoded inputs are decoded as OpenCV decodes them in MODNet's official script (EXIF orientation
 * applied, alpha dropped with the colour under it kept, no colour management); see
 * docs/getting-started-web.md for the few places where a browser cannot match it.
 */
export type WebImageInput =
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | ImageBitmap
  | ImageData
  | VideoFrame
  | Blob
  | ArrayBuffer
  | Uint8Array
  | URL
  | string

/**
 * The model to load:
 * - `{ url, sha256, bytes? }`: your own copy (self-hosted, e.g. `'/models/modnet.onnx'`; relative
 *   URLs resolve against the page), verified by SHA-256 before first use and cached;
 * - `{ variant: 'fp32' | 'fp16' | 'uint8' }`: an official MODNet file from the manifest, from
 *   `mirror` (your server) or, without one, the pinned Hugging Face revision;
 * - the `.onnx` bytes (`Uint8Array` or `ArrayBuffer`) you loaded yourself (not cached).
 */
export type WebModelSource = ModelSource | Uint8Array | ArrayBuffer

/**
 * Progress while {@link WebMatterOptions.model} loads: core's delivery events (`download`,
 * `retry`, `wait`, `verify`, `ready`), then `compile` while onnxruntime-web builds the session.
 */
export type WebProgressEvent = ModelProgressEvent | { readonly status: 'compile'; readonly device: WebDevice }

/** Options of `createMatter` from `@mattekit/web`. */
export interface WebMatterOptions {
  /** The MODNet model; see {@link WebModelSource}. */
  readonly model: WebModelSource
  /**
   * Where inference runs: `'wasm'` (WebAssembly with SIMD) or `'webgpu'`, which falls back to
   * `'wasm'` when the browser has no usable WebGPU adapter ({@link WebBackend.fallbackReason}).
   * @defaultValue `'wasm'`
   */
  readonly device?: WebDevice
  /**
   * WebAssembly threads. Used only when the page is cross-origin isolated (served with
   * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`);
   * otherwise onnxruntime-web runs single-threaded.
   * @defaultValue `min(4, navigator.hardwareConcurrency)` when isolated, else 1
   */
  readonly threads?: number
  /**
   * Where onnxruntime-web loads its `.wasm` and `.mjs` files from: a URL prefix ending in `/`
   * (e.g. `'/ort/'`, where you copied `node_modules/onnxruntime-web/dist/*.{wasm,mjs}`), or
   * `{ mjs, wasm }` URLs. Never a CDN unless you put one here.
   * @defaultValue next to onnxruntime-web in your bundle (bundlers emit the `.wasm` as an asset)
   */
  readonly wasmPaths?: WasmPaths
  /**
   * `'worker'` runs decoding and inference in a dedicated Web Worker (the page stays responsive);
   * `'inline'` runs them on the calling thread (for environments without workers, or inside your
   * own worker).
   * @defaultValue `'worker'`
   */
  readonly mode?: 'worker' | 'inline'
  /**
   * The worker script, when your bundler does not pick up `@mattekit/web/worker` by itself (or
   * for a CommonJS build): the URL of `node_modules/@mattekit/web/dist/worker.js` as you serve it.
   * @defaultValue `new URL('./worker.js', import.meta.url)`, which Vite, webpack 5 and Next.js bundle
   */
  readonly workerUrl?: string | URL
  /**
   * Base URL of a mirror serving the official files under the manifest's paths
   * (`<mirror>/onnx/model.onnx`), for `{ variant }` models.
   * @defaultValue the pinned Hugging Face revision
   */
  readonly mirror?: string
  /**
   * The Cache API cache that keeps verified models between visits, or `false` to keep nothing.
   * @defaultValue `'mattekit-models-v1'`
   */
  readonly cache?: string | false
  /**
   * Never download: use the cached model or fail with `MODEL_NOT_CACHED`.
   * @defaultValue false
   */
  readonly offline?: boolean
  /**
   * How a cached model is checked before each load: `'full'` re-hashes it with WebCrypto (about
   * 50 ms for 26 MB), `'size'` checks its length only. A download is always fully verified.
   * @defaultValue `'full'`
   */
  readonly verify?: 'size' | 'full'
  /**
   * Largest image accepted, in pixels; larger ones fail with `IMAGE_TOO_LARGE` before decoding.
   * @defaultValue 100 000 000
   */
  readonly maxPixels?: number
  /** Cancels loading: the promise rejects with `ABORTED` and the worker is stopped. */
  readonly signal?: AbortSignal
  /** Loading progress; see {@link WebProgressEvent}. */
  readonly onProgress?: (event: WebProgressEvent) => void
}

/** Options of one `matte()` call in the browser. */
export interface WebMatteOptions extends MatteOptions {
  /** Cancels the call: it rejects with `ABORTED` at once, and the worker stops at its next stage. */
  readonly signal?: AbortSignal
  /**
   * Hand your `ImageBitmap`, `VideoFrame`, `ImageData` or bytes to the worker instead of copying
   * them (zero-copy). Your object is unusable afterwards (closed, or its buffer detached).
   * Objects MatteKit creates itself (from elements and canvases) are always transferred.
   * @defaultValue false
   */
  readonly transfer?: boolean
}

/** Milliseconds per stage; the stages are core's, measured where the pipeline runs. */
export interface WebMatteTimings extends MatteTimings {
  /** The whole call as the caller saw it: input preparation, messaging and the pipeline. */
  readonly roundTrip: number
}

/**
 * A background for {@link WebMatteResult.drawComposite}: core's {@link Background}, or a colour
 * as CSS-like text (`'#00b140'`, `'rgb(0, 177, 64)'`, `'white'`), or an image given as any
 * {@link WebImageInput} (scaled to cover, as CSS `object-fit: cover`).
 */
export type WebBackground =
  | Background
  | { readonly type: 'color'; readonly color: Rgb | string }
  | { readonly type: 'image'; readonly image: WebImageInput }

/**
 * What `matte()` returns in the browser: core's {@link MatteResult} (the 8-bit matte, the decoded
 * RGB, the model size, timings) plus conveniences. The conveniences run on the calling thread
 * with core's pixel code (a 1080p cut-out takes a few milliseconds).
 */
export interface WebMatteResult extends MatteResult {
  /** Per-stage timings, plus the round trip. */
  readonly timings: WebMatteTimings
  /** The matte as opaque grey `ImageData` (R = G = B = alpha level), e.g. to `putImageData`. */
  toImageData(): ImageData
  /** The cut-out as `ImageData`: the image's RGB with the matte as straight alpha. */
  toCutoutImageData(): ImageData
  /** The cut-out as an `ImageBitmap` (straight alpha), ready for `drawImage`. */
  toCutoutBitmap(): Promise<ImageBitmap>
  /**
   * The cut-out encoded: `'image/png'` (default) is written by MatteKit's own encoder, so the
   * alpha and the colour of every pixel are exact; `'image/webp'` goes through the browser's
   * canvas encoder (premultiplied, lossy).
   */
  toCutoutBlob(options?: { readonly type?: 'image/png' | 'image/webp'; readonly quality?: number }): Promise<Blob>
  /**
   * Draws the subject over `background` onto `canvas` (resized to the image's size), with core's
   * `composite`: the same pixels `@mattekit/node`'s `composite()` gives. `{ foreground: 'estimate' }`
   * removes the old background's tint from soft edges (core's `estimateForeground`).
   */
  drawComposite(
    canvas: HTMLCanvasElement | OffscreenCanvas,
    background: WebBackground,
    options?: { readonly foreground?: 'observed' | 'estimate' },
  ): Promise<void>
}

/** What a {@link WebMatter} runs on. */
export interface WebBackend {
  /** `'worker'` or `'inline'`. */
  readonly mode: 'worker' | 'inline'
  /** The device in use, after any fallback. */
  readonly device: WebDevice
  /** WebAssembly threads in use. */
  readonly threads: number
  /** WebAssembly SIMD (always on: onnxruntime-web 1.30 requires it). */
  readonly simd: boolean
  /** Whether the context that runs the pipeline is cross-origin isolated (threads need it). */
  readonly crossOriginIsolated: boolean
  /** Whether WebGL2 is available for exact pixel readback (ImageData inputs work without it). */
  readonly webgl2: boolean
  /** Why `device: 'webgpu'` fell back to `'wasm'`, when it did. */
  readonly fallbackReason?: string
}

/** A {@link Matter} for browser inputs, with results that draw and encode themselves. */
export interface WebMatter extends Matter<WebImageInput> {
  /**
   * Computes the alpha matte of one image, off the main thread in worker mode.
   *
   * @param input - any {@link WebImageInput}
   * @param options - signal and transfer
   * @returns the result with its browser conveniences
   * @throws {@link MatteError} with codes such as `INVALID_INPUT`, `UNSUPPORTED_FORMAT`,
   *   `CORRUPT_IMAGE`, `IMAGE_TOO_SMALL`, `IMAGE_TOO_LARGE`, `INFERENCE`, `ABORTED`, `DISPOSED`
   */
  matte(input: WebImageInput, options?: WebMatteOptions): Promise<WebMatteResult>
  /** Where the pipeline runs: mode, device, threads. */
  readonly backend: WebBackend
  /**
   * Replaces the background of a live video track (a camera, a screen, a canvas capture): frames
   * in, processed frames out at the input's size. The latest frame always wins: while the model
   * works, newer frames replace older ones and the output reuses the last matte, so nothing
   * queues. Stabilised over time by default.
   *
   * @param track - a live video `MediaStreamTrack`
   * @param options - background, stabiliser, model input size, compositor
   * @returns the processed track, its stats, and `stop()`
   * @throws {@link MatteError} `INVALID_INPUT` (not a live video track), `INVALID_OPTION`,
   *   `UNSUPPORTED_ENVIRONMENT`, `DISPOSED`
   */
  processTrack(track: MediaStreamTrack, options?: ProcessTrackOptions): ProcessedTrack
}

/**
 * What replaces the background of a live track ({@link WebMatter.processTrack}):
 * - `{ type: 'blur', radius? }`: the frame itself, blurred (radius in output pixels, default
 *   scales with the frame size);
 * - `{ type: 'transparent' }`: the subject on transparent pixels (an RGBA track, for your own
 *   compositing; where the sink drops alpha, it shows black);
 * - `{ type: 'color', color }`: a solid colour (`'#00b140'`, `'rgb(0, 177, 64)'`, `[r, g, b]`);
 * - `{ type: 'image', image }`: an image, scaled to cover the frame (CSS `object-fit: cover`).
 */
export type TrackBackground =
  | { readonly type: 'blur'; readonly radius?: number }
  | { readonly type: 'transparent' }
  | { readonly type: 'color'; readonly color: Rgb | string }
  | { readonly type: 'image'; readonly image: WebImageInput }

/** Options of {@link WebMatter.processTrack}. */
export interface ProcessTrackOptions {
  /**
   * What to put behind the subject.
   * @defaultValue `{ type: 'blur' }`
   */
  readonly background?: TrackBackground
  /**
   * The temporal stabiliser: core's {@link StabilizerOptions}, or `false` for none. `'adaptive'`
   * adds no latency; `'ofd'` (MODNet's one-frame delay) shows each matte one model result late.
   * @defaultValue `{ mode: 'adaptive' }`
   */
  readonly stabilizer?: StabilizerOptions | false
  /**
   * The model's input size for live frames: the longer side, in pixels, before MODNet's
   * multiple-of-32 rule (smaller is faster; the matte is upsampled to the frame on the GPU).
   * Use `'official'` for MODNet's own size rule (the same input `matte()` uses).
   * @defaultValue 256
   */
  readonly modelSize?: number | 'official'
  /**
   * Edge colours: `'observed'` keeps the frame's own colours; `'estimate'` removes the old
   * background's tint at soft edges (blur-fusion foreground estimation, on the GPU when it can).
   * @defaultValue `'observed'`
   */
  readonly foreground?: 'observed' | 'estimate'
  /**
   * Where compositing runs: `'auto'` uses WebGL2 on a hardware GPU and the CPU otherwise
   * (including where WebGL2 is software-rendered, e.g. SwiftShader, on which the CPU compositor
   * is faster); `'webgl2'` uses WebGL2 wherever it exists.
   * @defaultValue `'auto'`
   */
  readonly compositor?: 'auto' | 'webgl2' | 'cpu'
  /**
   * Whether the input track is stopped when processing ends: by `stop()` without arguments, the
   * signal, the output track being stopped, an error, or `matter.dispose()`. Pass `false` when
   * you own the camera elsewhere (e.g. it is also shown unprocessed).
   * @defaultValue true
   */
  readonly stopInput?: boolean
  /** Stops processing (as {@link ProcessedTrack.stop}) when it fires. */
  readonly signal?: AbortSignal
}

/** Live figures of a {@link ProcessedTrack}; medians over the last few seconds. */
export interface TrackStats {
  /** Frames per second arriving from the input track. */
  readonly fpsIn: number
  /** Frames per second written to the output track. */
  readonly fpsOut: number
  /** Model results per second. */
  readonly fpsModel: number
  /** Frames received so far. */
  readonly framesIn: number
  /** Frames written so far. */
  readonly framesOut: number
  /** Input frames that never reached the model because a newer frame replaced them (latest wins). */
  readonly dropped: number
  /** Frames waiting for the model right now: 0 or 1, never more. */
  readonly queued: number
  /**
   * Median milliseconds per stage: `model` (the whole matte round trip), `composite` (drawing the
   * output frame, GPU work included), `frame` (input to output).
   */
  readonly medians: { readonly model: number; readonly composite: number; readonly frame: number }
  /**
   * Median milliseconds of the model's own stages where the pipeline runs (the worker): reading
   * the frame's pixels, preprocessing, inference, quantisation. Absent before the first result.
   */
  readonly pipeline?: { readonly decode: number; readonly preprocess: number; readonly inference: number; readonly postprocess: number }
  /** `'webgl2'` or `'cpu'`: where compositing runs. */
  readonly compositor: 'webgl2' | 'cpu'
  /** The path that reads frames: `'track-processor'` (MediaStreamTrackProcessor/Generator) or `'video-frame-callback'`. */
  readonly path: 'track-processor' | 'video-frame-callback'
}

/** A live, processed video track from {@link WebMatter.processTrack}. */
export interface ProcessedTrack {
  /** The processed track, the input's size: add it to a `MediaStream`, a `<video>`, or a call. */
  readonly track: MediaStreamTrack
  /** A snapshot of the live figures (a new object each read). */
  readonly stats: TrackStats
  /** Changes the background without restarting. */
  setBackground(background: TrackBackground): void
  /**
   * Stops processing and releases everything it holds: the output track, the frame reader, GPU
   * resources. The input track is stopped too unless `stopInput` is false (here, or else in
   * {@link ProcessTrackOptions.stopInput}).
   */
  stop(options?: { readonly stopInput?: boolean }): void
  /** Settles when processing has ended (after `stop()`, the input track ending, or an error). */
  readonly ended: Promise<void>
}
