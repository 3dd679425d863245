import { useEffect, useMemo, useState, useSyncExternalStore } from 'react'
import {
  MatteError,
  createProcessedStreamStore,
  type MatterStoreDependencies,
  type ProcessStreamOptions,
  type TrackBackground,
  type TrackStats,
  type WebMatter,
} from '@mattekit/web'
import { useMatte, type UseMatteOptions, type UseMatteResult } from './use-matte.js'

/** What {@link useMatteStream} processes: a camera or screen stream (its first video track), a track, or nothing yet. */
export type MatteStreamInput = MediaStream | MediaStreamTrack | null | undefined

/**
 * Options of {@link useMatteStream}: which Matter to use, plus `processTrack`'s options
 * (background, stabiliser, model size, foreground, compositor) and the stream's own
 * (`stopInput`, `statsIntervalMs`).
 *
 * A change of background is applied to the running track; a change of the other processing
 * options restarts it.
 */
export interface UseMatteStreamOptions extends ProcessStreamOptions {
  /**
   * The Matter to process with: what {@link useMatte} returned (the stream starts when it is
   * ready), or a {@link WebMatter} you created. Takes precedence over `matterOptions`.
   */
  readonly matter?: UseMatteResult | WebMatter | null
  /**
   * Options for a Matter of this hook's own (created, loaded and disposed with the component, as
   * {@link useMatte} does), when `matter` is not given.
   */
  readonly matterOptions?: UseMatteOptions
  /** A replacement `createMatter` for the hook's own Matter (tests). */
  readonly dependencies?: MatterStoreDependencies
}

/**
 * Where {@link useMatteStream} is: `'idle'` (no input, or on the server), `'loading'` (waiting
 * for the Matter), `'running'`, `'ended'` (the input track ended) or `'error'`.
 */
export type MatteStreamStatus = 'idle' | 'loading' | 'running' | 'ended' | 'error'

/** What {@link useMatteStream} returns. */
export interface UseMatteStreamResult {
  /** The processed video as a `MediaStream` (for `<video srcObject>` or a call); null unless running. */
  readonly stream: MediaStream | null
  /** The processed track itself; null unless running. */
  readonly track: MediaStreamTrack | null
  /** Live figures (fps in/out/model, dropped frames, medians), refreshed every `statsIntervalMs`. */
  readonly stats: TrackStats | null
  /** What failed (loading the Matter, or processing), when `status` is `'error'`; null otherwise. */
  readonly error: MatteError | null
  /** See {@link MatteStreamStatus}. */
  readonly status: MatteStreamStatus
  /**
   * Changes the background of the running track without restarting it (changing the
   * `background` option does the same).
   *
   * @param background - the new background
   */
  setBackground(background: TrackBackground): void
}

const isWebMatter = (value: UseMatteResult | WebMatter): value is WebMatter =>
  typeof (value as Partial<WebMatter>).processTrack === 'function'

/** The video track of `input`, or an error for a stream without one. */
function videoTrack(input: MatteStreamInput): { track: MediaStreamTrack | null; error: MatteError | null } {
  if (input === null || input === undefined) return { track: null, error: null }
  if (typeof (input as MediaStream).getVideoTracks === 'function') {
    const track = (input as MediaStream).getVideoTracks()[0]
    return track
      ? { track, error: null }
      : { track: null, error: new MatteError('INVALID_INPUT', 'useMatteStream: the MediaStream has no video track.') }
  }
  return { track: input as MediaStreamTrack, error: null }
}

/**
 * Replaces the background of a live video (a camera, a screen) with `matter.processTrack()`:
 * returns the processed `MediaStream` and its stats, refreshed at a modest rate (2 Hz by
 * default). Processing stops and releases everything when the component unmounts, when the input
 * or the Matter changes, or when restart-relevant options change. The input track is left
 * running (it is yours) unless `stopInput` is true. Nothing runs during server rendering.
 *
 * @param input - a `MediaStream` (its first video track is used), a video `MediaStreamTrack`, or null
 * @param options - the Matter (`matter` or `matterOptions`) and the processing options
 * @returns the processed stream, stats, error and status
 * @example
 * ```tsx
 * 'use client'
 * import { useEffect, useRef, useState } from 'react'
 * import { useMatte, useMatteStream } from '@mattekit/react'
 *
 * export function Camera() {
 *   const [camera, setCamera] = useState<MediaStream | null>(null)
 *   const matter = useMatte({ model: { url: '/models/modnet.onnx', sha256: '07c308cf…' } })
 *   const { stream, stats, status } = useMatteStream(camera, { matter, background: { type: 'blur' } })
 *   const video = useRef<HTMLVideoElement>(null)
 *   useEffect(() => {
 *     if (video.current) video.current.srcObject = stream
 *   }, [stream])
 *   return (
 *     <>
 *       <button onClick={async () => setCamera(await navigator.mediaDevices.getUserMedia({ video: true }))}>Start</button>
 *       <video ref={video} autoPlay muted playsInline />
 *       <p>{status} {stats?.fpsOut.toFixed(0)} fps</p>
 *     </>
 *   )
 * }
 * ```
 */
export function useMatteStream(input: MatteStreamInput, options: UseMatteStreamOptions = {}): UseMatteStreamResult {
  const { matter: given, matterOptions, dependencies, ...processOptions } = options
  const own = useMatte(given === undefined ? (matterOptions ?? null) : null, dependencies)
  const source: UseMatteResult | WebMatter | null = given === undefined ? (matterOptions ? own : null) : given
  const matter = source === null ? null : isWebMatter(source) ? source : source.matter
  const { track, error: inputError } = useMemo(() => videoTrack(input), [input])

  const [store] = useState(createProcessedStreamStore)
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot)

  // Runs after every render: the store reuses the running track when nothing that needs a
  // restart changed (it applies a new background itself), and stops it once no render asks
  // for it any more (unmount, input gone).
  useEffect(() => {
    if (!matter || !track) return
    return store.run(matter, track, processOptions)
  })

  return useMemo((): UseMatteStreamResult => {
    const setBackground = store.setBackground
    const none = { stream: null, track: null, stats: null, setBackground }
    if (!track) {
      if (inputError) return { ...none, error: inputError, status: 'error' }
      return { ...none, error: null, status: 'idle' }
    }
    if (!matter) {
      if (source === null) {
        const error = new MatteError('INVALID_OPTION', 'useMatteStream needs options.matter (from useMatte) or options.matterOptions.')
        return { ...none, error, status: 'error' }
      }
      const pending = source as UseMatteResult
      if (pending.status === 'error') return { ...none, error: pending.error, status: 'error' }
      return { ...none, error: null, status: pending.status === 'idle' ? 'idle' : 'loading' }
    }
    return { stream: state.stream, track: state.track, stats: state.stats, error: state.error, status: state.status, setBackground }
  }, [store, track, inputError, matter, source, state])
}
