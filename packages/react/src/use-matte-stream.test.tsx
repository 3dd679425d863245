/**
 * useMatteStream in jsdom with a fake Matter (processTrack is faked: the real one runs in
 * Chromium, see test/browser): start when both the input and the Matter are there, stats through
 * the store at statsIntervalMs, background changes without restart, restart on input or option
 * changes, stop and release on unmount, StrictMode, errors.
 */
import { MatteError, isMatteError } from '@mattekit/web'
import { act, renderHook } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeMediaStream, fakeLoader, fakeMatter, fakeTrack } from '../test/fakes.js'
import { useMatte } from './use-matte.js'
import { useMatteStream, type MatteStreamInput, type UseMatteStreamOptions } from './use-matte-stream.js'

const model = { url: 'https://example.com/m.onnx', sha256: 'a'.repeat(64) }
const settle = (): Promise<void> => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

beforeEach(() => {
  globalThis.MediaStream = FakeMediaStream as unknown as typeof MediaStream
})
afterEach(() => {
  delete (globalThis as { MediaStream?: unknown }).MediaStream
})

interface Props {
  readonly input: MatteStreamInput
  readonly options: UseMatteStreamOptions
}

describe('useMatteStream', () => {
  it('idle without input; processes a MediaStream\'s video track into a new MediaStream; stops on unmount', async () => {
    const matter = fakeMatter()
    const camera = fakeTrack('camera')
    const { result, rerender, unmount } = renderHook(({ input, options }: Props) => useMatteStream(input, options), {
      initialProps: { input: null, options: { matter, background: { type: 'blur' } } } as Props,
    })
    expect(result.current).toMatchObject({ status: 'idle', stream: null, track: null, stats: null, error: null })
    expect(matter.tracks).toHaveLength(0)

    rerender({ input: new FakeMediaStream([camera]) as unknown as MediaStream, options: { matter, background: { type: 'blur' } } })
    await settle()
    expect(matter.tracks).toHaveLength(1)
    const processed = matter.tracks[0]!
    expect(processed.input).toBe(camera)
    expect(processed.options).toEqual({ background: { type: 'blur' }, stopInput: false }) // the hook leaves the camera to its owner
    expect(result.current.status).toBe('running')
    expect(result.current.track).toBe(processed.track)
    expect((result.current.stream as unknown as FakeMediaStream).tracks).toEqual([processed.track])
    expect(result.current.stats?.framesOut).toBe(0)

    unmount()
    await settle()
    expect(processed.stopCalls).toEqual([{ stopInput: false }]) // the camera is the caller's
  })

  it('refreshes stats at statsIntervalMs through the store', async () => {
    const matter = fakeMatter()
    const camera = fakeTrack('cam')
    const { result, unmount } = renderHook(() => useMatteStream(camera, { matter, statsIntervalMs: 100 }))
    await settle()
    const processed = matter.tracks[0]!
    processed.framesOut = 7
    await act(() => new Promise<void>((resolve) => setTimeout(resolve, 250)))
    expect(result.current.stats?.framesOut).toBe(7)
    unmount()
  })

  it('a new background is applied without restarting; other options and a new input restart', async () => {
    const matter = fakeMatter()
    const camera = fakeTrack('camera')
    const { rerender, result } = renderHook(({ input, options }: Props) => useMatteStream(input, options), {
      initialProps: { input: camera, options: { matter, background: { type: 'blur' } } } as Props,
    })
    await settle()
    rerender({ input: camera, options: { matter, background: { type: 'color', color: '#00ff00' } } })
    rerender({ input: camera, options: { matter, background: { type: 'color', color: '#00ff00' } } }) // same again: nothing
    await settle()
    expect(matter.tracks).toHaveLength(1)
    expect(matter.tracks[0]!.stopCalls).toEqual([])
    expect(matter.tracks[0]!.backgrounds).toEqual([{ type: 'color', color: '#00ff00' }])

    act(() => result.current.setBackground({ type: 'transparent' }))
    expect(matter.tracks[0]!.backgrounds).toHaveLength(2)

    rerender({ input: camera, options: { matter, background: { type: 'blur' }, modelSize: 'official' } })
    await settle()
    expect(matter.tracks).toHaveLength(2)
    expect(matter.tracks[0]!.stopCalls).toHaveLength(1)
    expect(matter.tracks[1]!.options).toEqual({ background: { type: 'blur' }, modelSize: 'official', stopInput: false })

    const next = fakeTrack('screen')
    rerender({ input: next, options: { matter, background: { type: 'blur' }, modelSize: 'official' } })
    await settle()
    expect(matter.tracks).toHaveLength(3)
    expect(matter.tracks[1]!.stopCalls).toHaveLength(1)
    expect(matter.tracks[2]!.input).toBe(next)
    expect(result.current.track).toBe(matter.tracks[2]!.track)

    rerender({ input: null, options: { matter } })
    await settle()
    expect(matter.tracks[2]!.stopCalls).toHaveLength(1)
    expect(result.current).toMatchObject({ status: 'idle', stream: null })
  })

  it('StrictMode: one processTrack, not stopped by the development remount', async () => {
    const matter = fakeMatter()
    const camera = fakeTrack('camera')
    const { result, unmount } = renderHook(() => useMatteStream(camera, { matter, stopInput: true }), { reactStrictMode: true })
    await settle()
    expect(matter.tracks).toHaveLength(1)
    expect(matter.tracks[0]!.stopCalls).toEqual([])
    expect(result.current.status).toBe('running')
    unmount()
    await settle()
    expect(matter.tracks[0]!.stopCalls).toEqual([{ stopInput: true }])
  })

  it('waits for useMatte: loading, then running once the Matter is ready', async () => {
    const { calls, createMatter } = fakeLoader()
    const camera = fakeTrack('camera')
    const { result } = renderHook(() => {
      const m = useMatte({ model }, { createMatter })
      return useMatteStream(camera, { matter: m })
    })
    expect(result.current.status).toBe('loading')
    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    await settle()
    expect(result.current.status).toBe('running')
    expect(matter.tracks[0]!.input).toBe(camera)
  })

  it('matterOptions: a Matter of its own, disposed (and the track stopped) on unmount', async () => {
    const { calls, createMatter } = fakeLoader()
    const camera = fakeTrack('cam')
    const { result, unmount } = renderHook(() => useMatteStream(camera, { matterOptions: { model }, dependencies: { createMatter } }))
    expect(result.current.status).toBe('loading')
    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    await settle()
    expect(result.current.status).toBe('running')
    unmount()
    await settle()
    expect(matter.tracks[0]!.stopCalls).toHaveLength(1)
    expect(matter.disposeCalls).toBe(1)
  })

  it('errors: a failed model load, processTrack throwing, a stream without video, no Matter at all', async () => {
    const { calls, createMatter } = fakeLoader()
    const camera = fakeTrack('cam')
    const failed = renderHook(() => useMatteStream(camera, { matterOptions: { model }, dependencies: { createMatter } }))
    await act(async () => calls[0]!.load.reject(new MatteError('MODEL_FETCH', 'offline')))
    expect(failed.result.current).toMatchObject({ status: 'error', error: { code: 'MODEL_FETCH' }, stream: null })

    const typed = new MatteError('UNSUPPORTED_ENVIRONMENT', 'processTrack is not implemented yet.')
    const matter = fakeMatter({ processTrackThrows: typed })
    const throwing = renderHook(() => useMatteStream(camera, { matter }))
    await settle()
    expect(throwing.result.current).toMatchObject({ status: 'error', error: typed, stream: null })

    const audioOnly = new FakeMediaStream([{ kind: 'audio', id: 'mic' } as MediaStreamTrack]) as unknown as MediaStream
    const spare = fakeMatter()
    const noVideo = renderHook(() => useMatteStream(audioOnly, { matter: spare }))
    expect(noVideo.result.current.status).toBe('error')
    expect(isMatteError(noVideo.result.current.error, 'INVALID_INPUT')).toBe(true)

    const noMatter = renderHook(() => useMatteStream(camera))
    expect(noMatter.result.current.status).toBe('error')
    expect(isMatteError(noMatter.result.current.error, 'INVALID_OPTION')).toBe(true)
  })

  it('the input track ending: status ended, stream released', async () => {
    const matter = fakeMatter()
    const camera = fakeTrack('cam')
    const { result } = renderHook(() => useMatteStream(camera, { matter }))
    await settle()
    await act(async () => matter.tracks[0]!.endInput())
    await settle()
    expect(result.current).toMatchObject({ status: 'ended', stream: null, track: null })
    expect(matter.tracks).toHaveLength(1) // re-renders do not restart an ended input
  })
})
