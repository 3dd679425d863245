/**
 * `WebMatter.processTrack`: a live video track in, a processed track out. Every input frame is
 * composited at once with the last (stabilised) matte, so the output keeps the input's rate and
 * size; the model works on the newest frame it can get (latest wins, nothing queues), in the
 * worker, at a reduced input size, and returns a model-size matte that the compositor upsamples.
 */
import { MatteError, checkLongSide, createStabilizer, type Matte, type Stabilizer, type StabilizerOptions } from '@mattekit/core'
import { type InputPayload, releasePayload } from '../payload.js'
import type { LiveMatte } from '../protocol.js'
import type { ProcessedTrack, ProcessTrackOptions, TrackBackground, TrackStats } from '../types.js'
import { type CheckedBackground, checkBackground, loadBackgroundImage } from './background.js'
import type { LiveBackground, LiveCompositor } from './compositor.js'
import { createCpuCompositor } from './cpu-compositor.js'
import { type FramePump, type SourceFrame, hasTrackProcessor, hasVideoFrameCallback, trackProcessorPump, videoFrameCallbackPump } from './frame-source.js'
import { createGlCompositor } from './gl-compositor.js'
import { LatestFrameScheduler } from './scheduler.js'
import { MedianWindow, RateMeter } from './stats.js'

/** Mattes one live frame (the payload is handed over) at a model size; the model-size matte back. */
export type LiveMatteRunner = (payload: InputPayload, modelSize: number | 'official') => Promise<LiveMatte>

/** What `processTrack` needs from its Matter. */
export interface TrackHost {
  /** Runs the model on a live frame. */
  readonly matteLive: LiveMatteRunner
  /** Whether the pipeline runs in a worker. */
  readonly forWorker: boolean
  /** Registers a live track so that disposing the Matter stops it; returns the unregister function. */
  register(live: { stop(): void }): () => void
}

/** Undocumented test hooks, passed on the options object. */
interface TrackTestHooks {
  /** Forces a path (the fallback on Chromium). */
  readonly __path?: 'track-processor' | 'video-frame-callback'
  /** Called with each matte the compositor receives (after the stabiliser). */
  readonly __onMatte?: (matte: Matte) => void
  /** Called with each compositor in use (to check that stop() releases it). */
  readonly __onCompositor?: (compositor: LiveCompositor) => void
}

const option = (text: string): MatteError => new MatteError('INVALID_OPTION', text)

/** The default model input size for live frames (longer side). */
export const DEFAULT_LIVE_MODEL_SIZE = 256

function checkOptions(options: ProcessTrackOptions): {
  modelSize: number | 'official'
  stabilizer: StabilizerOptions | false
  foreground: 'observed' | 'estimate'
  compositor: 'auto' | 'webgl2' | 'cpu'
  background: CheckedBackground
} {
  if (typeof options !== 'object' || options === null) throw option('processTrack() options must be an object.')
  const { modelSize = DEFAULT_LIVE_MODEL_SIZE, stabilizer = {}, foreground = 'observed', compositor = 'auto', signal } = options
  if (modelSize !== 'official') checkLongSide(modelSize)
  if (stabilizer !== false && (typeof stabilizer !== 'object' || stabilizer === null)) {
    throw option("options.stabilizer must be stabiliser options (e.g. { mode: 'ofd' }) or false.")
  }
  if (foreground !== 'observed' && foreground !== 'estimate') throw option(`options.foreground must be 'observed' or 'estimate', got ${String(foreground)}.`)
  if (compositor !== 'auto' && compositor !== 'webgl2' && compositor !== 'cpu') {
    throw option(`options.compositor must be 'auto', 'webgl2' or 'cpu', got ${String(compositor)}.`)
  }
  if (options.stopInput !== undefined && typeof options.stopInput !== 'boolean') throw option('options.stopInput must be a boolean.')
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw option('options.signal must be an AbortSignal.')
  }
  // Validates the stabiliser options now (createStabilizer throws INVALID_OPTION).
  if (stabilizer !== false) createStabilizer(stabilizer)
  return { modelSize, stabilizer, foreground, compositor, background: checkBackground(options.background) }
}

function checkTrack(track: MediaStreamTrack): void {
  const isTrack = typeof MediaStreamTrack !== 'undefined' && track instanceof MediaStreamTrack
  if (!isTrack) throw new MatteError('INVALID_INPUT', 'processTrack() needs a video MediaStreamTrack (e.g. stream.getVideoTracks()[0]).')
  if (track.kind !== 'video') throw new MatteError('INVALID_INPUT', `processTrack() needs a video track, got a ${track.kind} track.`)
  if (track.readyState === 'ended') throw new MatteError('INVALID_INPUT', 'The track has ended; pass a live track.')
}

/**
 * Starts processing a live video track (see {@link WebMatter.processTrack}).
 *
 * @param host - the Matter's model runner and registry
 * @param track - the input track
 * @param options - background, stabiliser, model size, compositor, signal
 * @returns the processed track
 * @throws {@link MatteError} `INVALID_INPUT`, `INVALID_OPTION`, `UNSUPPORTED_ENVIRONMENT`
 */
export function processTrack(host: TrackHost, track: MediaStreamTrack, options: ProcessTrackOptions = {}): ProcessedTrack {
  const checked = checkOptions(options)
  checkTrack(track)
  const hooks = options as TrackTestHooks
  const signal = options.signal
  if (signal?.aborted) throw new MatteError('ABORTED', 'The signal was already aborted.')
  const wanted = hooks.__path ?? (hasTrackProcessor() ? 'track-processor' : 'video-frame-callback')
  if (wanted === 'track-processor' ? !hasTrackProcessor() : !hasVideoFrameCallback()) {
    throw new MatteError(
      'UNSUPPORTED_ENVIRONMENT',
      'Live tracks need MediaStreamTrackProcessor/Generator, or <video> with requestVideoFrameCallback and canvas.captureStream.',
    )
  }

  const makeCompositor = (kind: 'auto' | 'webgl2' | 'cpu'): LiveCompositor => {
    if (kind !== 'cpu') {
      let gl: LiveCompositor | undefined
      try {
        // 'auto' takes WebGL2 on a hardware GPU only: on a software renderer the CPU compositor
        // is faster and leaves more of the cores to the model (measured with Chromium's
        // SwiftShader on 2 cores: 720p at 27 frames/s against 8, the model at 0.63x its bare
        // rate against 0.39x).
        gl = createGlCompositor({ foreground: checked.foreground, hardwareOnly: kind === 'auto' })
      } catch (error) {
        // A driver that cannot compile or link the shaders: the CPU compositor does the same work.
        if (kind === 'webgl2') throw error
      }
      if (gl) return gl
      if (kind === 'webgl2') {
        throw new MatteError(
          'UNSUPPORTED_ENVIRONMENT',
          checked.foreground === 'estimate'
            ? "WebGL2 with float render targets (EXT_color_buffer_float) is not available; use compositor: 'auto' or 'cpu'."
            : "WebGL2 is not available here; use compositor: 'auto' or 'cpu'.",
        )
      }
    }
    return createCpuCompositor({ foreground: checked.foreground })
  }
  let compositor = makeCompositor(checked.compositor)
  hooks.__onCompositor?.(compositor)
  let pump: FramePump
  try {
    pump = wanted === 'track-processor' ? trackProcessorPump(track) : videoFrameCallbackPump(track)
  } catch (error) {
    compositor.dispose()
    throw new MatteError('UNSUPPORTED_ENVIRONMENT', `The track could not be read: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }

  // State.
  let stopped = false
  let matte: Matte | undefined
  let background: LiveBackground = { kind: 'blur' }
  let ownedBitmap: ImageBitmap | undefined
  let backgroundVersion = 0
  let stabilizer: Stabilizer | undefined
  let stabilizerKey = ''
  let framesIn = 0
  let framesOut = 0
  const rateIn = new RateMeter()
  const rateOut = new RateMeter()
  const rateModel = new RateMeter()
  const modelMs = new MedianWindow()
  const compositeMs = new MedianWindow()
  const frameMs = new MedianWindow()
  const stageMs = { decode: new MedianWindow(), preprocess: new MedianWindow(), inference: new MedianWindow(), postprocess: new MedianWindow() }
  let results = 0
  let resolveEnded!: () => void
  let rejectEnded!: (error: Error) => void
  const ended = new Promise<void>((resolve, reject) => {
    resolveEnded = resolve
    rejectEnded = reject
  })
  ended.catch(() => undefined) // an error is reported through `ended` only to those who listen

  const applyBackground = (bg: LiveBackground): void => {
    background = bg
    compositor.setBackground(bg)
  }
  const setBackground = (next: TrackBackground): void => {
    const bg = checkBackground(next)
    const version = ++backgroundVersion
    if (bg.kind !== 'image') {
      releaseBitmap()
      applyBackground(bg)
      return
    }
    loadBackgroundImage(bg.image).then(
      ({ bitmap, owned }) => {
        if (stopped || version !== backgroundVersion) {
          if (owned) bitmap.close()
          return
        }
        releaseBitmap()
        if (owned) ownedBitmap = bitmap
        applyBackground({ kind: 'image', bitmap })
      },
      () => undefined, // keep the previous background
    )
  }
  const releaseBitmap = (): void => {
    ownedBitmap?.close()
    ownedBitmap = undefined
  }

  // Latest wins, on this thread: the worker's thread is busy during inference (onnxruntime-web's
  // WebAssembly run blocks it), so frames posted there would wait in its message queue, holding
  // camera buffers; here the one waiting frame is replaced and released at once.
  const scheduler = new LatestFrameScheduler<InputPayload, { live: LiveMatte; started: number }>(
    async (payload) => {
      if (stopped) {
        // Stopped while the frame was being taken: release it here, nobody else will.
        releasePayload(payload)
        throw new MatteError('ABORTED', 'Processing stopped.')
      }
      const started = performance.now()
      const live = await host.matteLive(payload, checked.modelSize)
      return { live, started }
    },
    ({ live, started }) => {
      const now = performance.now()
      modelMs.add(now - started)
      rateModel.tick(now)
      for (const key of ['decode', 'preprocess', 'inference', 'postprocess'] as const) stageMs[key].add(live.timings[key])
      results++
      let next: Matte | undefined = live.matte
      if (checked.stabilizer !== false) {
        const key = `${live.matte.width}x${live.matte.height}`
        if (!stabilizer || key !== stabilizerKey) {
          stabilizer = createStabilizer(checked.stabilizer)
          stabilizerKey = key
        }
        next = stabilizer.push(live.matte, now)?.matte
      }
      if (!next) return // 'ofd': the first matte comes out with the second
      matte = next
      compositor.setMatte(next)
      try {
        hooks.__onMatte?.(next)
      } catch {
        // A faulty test hook must not break processing.
      }
    },
    (error) => finish(error),
  )

  const switchToCpu = (): void => {
    compositor.dispose()
    compositor = createCpuCompositor({ foreground: checked.foreground })
    hooks.__onCompositor?.(compositor)
    compositor.setBackground(background)
    compositor.setMatte(matte)
  }

  const onFrame = (frame: SourceFrame): OffscreenCanvas | undefined => {
    if (stopped) return undefined
    framesIn++
    rateIn.tick(frame.arrived)
    scheduler.offer(frame.pending())
    if (compositor.lost) {
      if (checked.compositor !== 'auto') throw new MatteError('UNSUPPORTED_ENVIRONMENT', 'The WebGL2 context was lost.')
      switchToCpu()
    }
    compositor.render(frame.image, frame.width, frame.height)
    return compositor.canvas
  }
  const onEmit = (frame: SourceFrame, composeMs: number): void => {
    const now = performance.now()
    compositeMs.add(composeMs)
    framesOut++
    rateOut.tick(now)
    frameMs.add(now - frame.arrived)
  }

  let unregister: () => void = () => undefined
  const onInputEnded = (): void => finish()
  const onAbort = (): void => finish()

  const stopInputByDefault = options.stopInput !== false
  function finish(error?: unknown, stopInput = stopInputByDefault): void {
    if (stopped) return
    stopped = true
    scheduler.stop()
    pump.stop()
    compositor.dispose()
    releaseBitmap()
    stabilizer = undefined
    matte = undefined
    track.removeEventListener('ended', onInputEnded)
    signal?.removeEventListener('abort', onAbort)
    unregister()
    if (stopInput) track.stop()
    if (error === undefined) resolveEnded()
    else
      rejectEnded(
        error instanceof MatteError
          ? error
          : new MatteError('INFERENCE', `Live processing failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }),
      )
  }

  if (checked.background.kind === 'image') setBackground(options.background!)
  else applyBackground(checked.background)

  const processed: ProcessedTrack = {
    track: pump.output,
    get stats(): TrackStats {
      const now = performance.now()
      return {
        fpsIn: rateIn.rate(now),
        fpsOut: rateOut.rate(now),
        fpsModel: rateModel.rate(now),
        framesIn,
        framesOut,
        dropped: scheduler.dropped,
        queued: scheduler.queued,
        medians: { model: modelMs.median(), composite: compositeMs.median(), frame: frameMs.median() },
        ...(results === 0
          ? {}
          : {
              pipeline: {
                decode: stageMs.decode.median(),
                preprocess: stageMs.preprocess.median(),
                inference: stageMs.inference.median(),
                postprocess: stageMs.postprocess.median(),
              },
            }),
        compositor: compositor.kind,
        path: pump.path,
      }
    },
    setBackground(next) {
      if (stopped) return
      setBackground(next)
    },
    stop(stopOptions) {
      finish(undefined, stopOptions?.stopInput ?? stopInputByDefault)
    },
    ended,
  }
  unregister = host.register(processed)
  track.addEventListener('ended', onInputEnded)
  signal?.addEventListener('abort', onAbort, { once: true })
  pump.start(onFrame, onEmit, (error) => finish(error))
  return processed
}
