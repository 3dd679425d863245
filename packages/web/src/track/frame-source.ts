/**
 * Where live frames come from and where processed frames go:
 * - `track-processor`: MediaStreamTrackProcessor reads VideoFrames, MediaStreamTrackGenerator
 *   writes the output (Chromium);
 * - `video-frame-callback`: a hidden `<video>` plays the track, `requestVideoFrameCallback` calls
 *   back per presented frame, and a canvas's `captureStream(0)` carries the output (one
 *   `requestFrame()` per processed frame; Firefox, Safari).
 */
import type { InputPayload } from '../payload.js'
import type { LiveSource } from './compositor.js'
import type { PendingFrame } from './scheduler.js'

/** One input frame. */
export interface SourceFrame {
  /** What the compositor draws (valid during the handler only). */
  readonly image: LiveSource
  /** Width in pixels (display size). */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
  /** The frame's timestamp in milliseconds. */
  readonly timestamp: number
  /** `performance.now()` when the frame arrived. */
  readonly arrived: number
  /** This frame as a model input that may wait for the model (latest wins). */
  pending(): PendingFrame<InputPayload>
}

/** Draws one frame and returns what to emit (or nothing to skip it). */
export type FrameHandler = (frame: SourceFrame) => OffscreenCanvas | undefined

/** Called after each written frame with the milliseconds from drawing to the output frame (GPU work included). */
export type EmitHandler = (frame: SourceFrame, composeMs: number) => void

/** The canvas as a VideoFrame: via transferToImageBitmap (one copy fewer for WebGL canvases). */
function canvasFrame(canvas: OffscreenCanvas, timestamp: number): VideoFrame {
  const bitmap = canvas.transferToImageBitmap()
  try {
    return new VideoFrame(bitmap, { timestamp, alpha: 'keep' })
  } finally {
    bitmap.close()
  }
}

/** A running frame pump. */
export interface FramePump {
  /** The path in use. */
  readonly path: 'track-processor' | 'video-frame-callback'
  /** The processed track. */
  readonly output: MediaStreamTrack
  /** Starts reading; `onEmit` is called after each written frame, `onEnd` when the input ends or fails. */
  start(handler: FrameHandler, onEmit: EmitHandler, onEnd: (error?: unknown) => void): void
  /** Stops reading and writing; ends the output track. Idempotent. */
  stop(): void
}

type ProcessorCtor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<VideoFrame> }
type GeneratorCtor = new (init: { kind: 'video' }) => MediaStreamTrack & { writable: WritableStream<VideoFrame> }

/** Whether MediaStreamTrackProcessor and MediaStreamTrackGenerator exist on this thread. */
export function hasTrackProcessor(): boolean {
  const g = globalThis as { MediaStreamTrackProcessor?: unknown; MediaStreamTrackGenerator?: unknown; VideoFrame?: unknown }
  return typeof g.MediaStreamTrackProcessor === 'function' && typeof g.MediaStreamTrackGenerator === 'function' && typeof g.VideoFrame === 'function'
}

/** Whether the `<video>` + requestVideoFrameCallback + canvas.captureStream path can run here. */
export function hasVideoFrameCallback(): boolean {
  if (typeof document === 'undefined' || typeof HTMLVideoElement === 'undefined' || typeof HTMLCanvasElement === 'undefined') return false
  return 'requestVideoFrameCallback' in HTMLVideoElement.prototype && 'captureStream' in HTMLCanvasElement.prototype
}

/**
 * The track-processor pump.
 *
 * @param track - the input
 * @returns the pump
 */
export function trackProcessorPump(track: MediaStreamTrack): FramePump {
  const g = globalThis as unknown as { MediaStreamTrackProcessor: ProcessorCtor; MediaStreamTrackGenerator: GeneratorCtor }
  const processor = new g.MediaStreamTrackProcessor({ track, maxBufferSize: 1 })
  const generator = new g.MediaStreamTrackGenerator({ kind: 'video' })
  const reader = processor.readable.getReader()
  const writer = generator.writable.getWriter()
  let stopped = false
  let current: VideoFrame | undefined

  const pump: FramePump = {
    path: 'track-processor',
    output: generator,
    start(handler, onEmit, onEnd) {
      void (async () => {
        try {
          for (;;) {
            const { value: frame, done } = await reader.read()
            if (done || stopped) {
              frame?.close()
              break
            }
            current = frame
            const arrived = performance.now()
            const source: SourceFrame = {
              image: frame,
              width: frame.displayWidth,
              height: frame.displayHeight,
              timestamp: frame.timestamp / 1000,
              arrived,
              pending: () => {
                const copy = frame.clone()
                return { take: () => ({ kind: 'frame', frame: copy, owned: true }), release: () => copy.close() }
              },
            }
            let out: VideoFrame | undefined
            const t0 = performance.now()
            let composeMs = 0
            try {
              const canvas = handler(source)
              if (canvas && !stopped) out = canvasFrame(canvas, frame.timestamp)
              composeMs = performance.now() - t0
            } finally {
              frame.close()
              current = undefined
            }
            if (out) {
              // The generator closes what it writes; one frame in flight at most.
              try {
                await writer.ready
                if (stopped) {
                  out.close()
                  break
                }
                await writer.write(out)
              } catch (error) {
                out.close() // not taken by the generator: release it here
                throw error
              }
              onEmit(source, composeMs)
            }
          }
          onEnd()
        } catch (error) {
          // Stopped, or the output track was stopped by its consumer: a normal end.
          onEnd(stopped || generator.readyState === 'ended' ? undefined : error)
        }
      })()
    },
    stop() {
      if (stopped) return
      stopped = true
      current?.close()
      void reader.cancel().catch(() => undefined)
      void writer.close().catch(() => undefined)
      generator.stop()
    },
  }
  return pump
}

/**
 * The `<video>` + requestVideoFrameCallback pump.
 *
 * @param track - the input
 * @returns the pump
 */
export function videoFrameCallbackPump(track: MediaStreamTrack): FramePump {
  const video = document.createElement('video')
  video.muted = true
  video.playsInline = true
  video.autoplay = true
  // Present but invisible: some browsers pause callbacks of detached or hidden videos.
  video.setAttribute('aria-hidden', 'true')
  video.style.cssText = 'position:fixed;left:0;top:0;width:2px;height:2px;opacity:0.01;pointer-events:none;z-index:-1'
  video.srcObject = new MediaStream([track])
  const sink = document.createElement('canvas')
  const ctx = sink.getContext('2d')
  const stream = sink.captureStream(0)
  const output = stream.getVideoTracks()[0]! as MediaStreamTrack & { requestFrame(): void }
  let stopped = false
  let handle: number | undefined

  const pump: FramePump = {
    path: 'video-frame-callback',
    output,
    start(handler, onEmit, onEnd) {
      if (!ctx) {
        onEnd(new Error('No 2D canvas context for the output track.'))
        return
      }
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
        if (stopped) return
        if (output.readyState === 'ended') {
          onEnd() // the consumer stopped the output track
          return
        }
        handle = video.requestVideoFrameCallback(onFrame)
        const width = meta.width || video.videoWidth
        const height = meta.height || video.videoHeight
        if (!width || !height) return
        const source: SourceFrame = {
          image: video,
          width,
          height,
          timestamp: meta.mediaTime * 1000,
          arrived: performance.now(),
          // The <video> shows the newest frame: snapshot it only when the model is free.
          pending: () => ({
            take: async () => ({ kind: 'bitmap', bitmap: await createImageBitmap(video), owned: true }),
            release: () => undefined,
          }),
        }
        try {
          const t0 = performance.now()
          const canvas = handler(source)
          if (!canvas) return
          if (sink.width !== width || sink.height !== height) {
            sink.width = width
            sink.height = height
          }
          ctx.globalCompositeOperation = 'copy'
          ctx.drawImage(canvas, 0, 0)
          output.requestFrame()
          onEmit(source, performance.now() - t0)
        } catch (error) {
          onEnd(error)
        }
      }
      handle = video.requestVideoFrameCallback(onFrame)
      ;(document.body ?? document.documentElement).append(video)
      video.play().catch((error: unknown) => {
        if (!stopped) onEnd(error)
      })
    },
    stop() {
      if (stopped) return
      stopped = true
      if (handle !== undefined) video.cancelVideoFrameCallback(handle)
      video.pause()
      video.srcObject = null
      video.remove()
      output.stop()
      sink.width = 1
      sink.height = 1
    },
  }
  return pump
}
