/**
 * Fakes for the hook tests: a controllable `createMatter` and a `WebMatter` whose
 * `processTrack` returns a controllable processed track.
 */
import { MatteError, type ProcessedTrack, type ProcessTrackOptions, type TrackBackground, type TrackStats, type WebMatter, type WebMatterOptions, type WebMatteResult } from '@mattekit/web'
import { vi } from 'vitest'

/** A promise the test settles by hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** Creates a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** A processed track the test drives. */
export interface FakeProcessed extends ProcessedTrack {
  readonly input: MediaStreamTrack
  readonly options: ProcessTrackOptions | undefined
  readonly stopCalls: { readonly stopInput?: boolean }[]
  readonly backgrounds: TrackBackground[]
  framesOut: number
  /** Ends processing as if the input track ended. */
  endInput(): void
}

/** A WebMatter that counts disposals and records processTrack calls. */
export interface FakeMatter extends WebMatter {
  readonly id: number
  readonly disposeCalls: number
  readonly tracks: FakeProcessed[]
  readonly matted: unknown[]
}

let nextId = 1

/** Creates a {@link FakeMatter}. */
export function fakeMatter(options: { readonly processTrackThrows?: Error } = {}): FakeMatter {
  let disposeCalls = 0
  let disposed = false
  const tracks: FakeProcessed[] = []
  const matted: unknown[] = []
  const matter = {
    id: nextId++,
    backend: { mode: 'inline', device: 'wasm', threads: 1, simd: true, crossOriginIsolated: false, webgl2: false },
    get disposed() {
      return disposed
    },
    get disposeCalls() {
      return disposeCalls
    },
    tracks,
    matted,
    async matte(input: unknown) {
      if (disposed) throw new MatteError('DISPOSED', 'disposed')
      matted.push(input)
      return { input, matterId: matter.id } as unknown as WebMatteResult
    },
    processTrack(input: MediaStreamTrack, trackOptions?: ProcessTrackOptions): ProcessedTrack {
      if (options.processTrackThrows) throw options.processTrackThrows
      if (disposed) throw new MatteError('DISPOSED', 'disposed')
      const ended = deferred<void>()
      const stopCalls: { stopInput?: boolean }[] = []
      const stats = (framesOut: number): TrackStats => ({
        fpsIn: 30,
        fpsOut: 30,
        fpsModel: 10,
        framesIn: framesOut,
        framesOut,
        dropped: 0,
        queued: 0,
        medians: { model: 40, composite: 2, frame: 5 },
        compositor: 'cpu',
        path: 'track-processor',
      })
      const processed: FakeProcessed = {
        input,
        options: trackOptions,
        track: { kind: 'video', id: `out-${matter.id}-${tracks.length}`, readyState: 'live' } as MediaStreamTrack,
        stopCalls,
        backgrounds: [],
        framesOut: 0,
        get stats() {
          return stats(processed.framesOut)
        },
        setBackground(background) {
          processed.backgrounds.push(background)
        },
        stop(stopOptions = {}) {
          stopCalls.push(stopOptions)
          ended.resolve()
        },
        ended: ended.promise,
        endInput: () => ended.resolve(),
      }
      tracks.push(processed)
      return processed
    },
    async dispose() {
      disposeCalls++
      disposed = true
    },
    [Symbol.asyncDispose]() {
      return matter.dispose()
    },
  }
  return matter as unknown as FakeMatter
}

/** A fake `createMatter`: every call is recorded with a load the test settles. */
export function fakeLoader() {
  const calls: { readonly options: WebMatterOptions; readonly load: Deferred<WebMatter> }[] = []
  const createMatter = vi.fn((options: WebMatterOptions): Promise<WebMatter> => {
    const load = deferred<WebMatter>()
    calls.push({ options, load })
    return load.promise
  })
  return { calls, createMatter }
}

/** A stand-in for the browser's `MediaStream` (jsdom has none). */
export class FakeMediaStream {
  readonly tracks: MediaStreamTrack[]
  constructor(tracks: MediaStreamTrack[] = []) {
    this.tracks = tracks
  }
  getVideoTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'video')
  }
}

/** A fake input track. */
export const fakeTrack = (id: string): MediaStreamTrack => ({ kind: 'video', id, readyState: 'live' }) as MediaStreamTrack
