/**
 * useMatte's lifecycle in jsdom with a fake createMatter: load on mount, StrictMode's double
 * mount, unmount during load, option changes (recreate or not), errors, and matte() before ready.
 */
import { isMatteError, type MatteError, type WebMatterOptions } from '@mattekit/web'
import { act, render, renderHook, waitFor } from '@testing-library/react'
import { StrictMode, useEffect } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { fakeLoader, fakeMatter } from '../test/fakes.js'
import { useMatte, type UseMatteOptions } from './use-matte.js'

const SHA = 'a'.repeat(64)
const model = { url: 'https://example.com/m.onnx', sha256: SHA }

/** Lets microtasks and effects settle. */
const settle = (): Promise<void> => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

describe('useMatte', () => {
  it('loads once on mount: idle → loading → ready, with progress and the Matter', async () => {
    const { calls, createMatter } = fakeLoader()
    const { result } = renderHook(() => useMatte({ model }, { createMatter }))
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(result.current.status).toBe('loading')
    expect(result.current.matter).toBeNull()

    act(() => calls[0]!.options.onProgress!({ status: 'download', url: model.url, loaded: 25, total: 100 }))
    expect(result.current.progress).toMatchObject({ stage: 'download', fraction: 0.25 })

    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    expect(result.current.status).toBe('ready')
    expect(result.current.matter).toBe(matter)
    expect(result.current.error).toBeNull()
    expect(createMatter).toHaveBeenCalledTimes(1)
  })

  it('StrictMode: the double mount loads once (nothing aborted), hands out a live Matter, and disposes it on unmount', async () => {
    const { calls, createMatter } = fakeLoader()
    const { result, unmount } = renderHook(() => useMatte({ model }, { createMatter }), { reactStrictMode: true })
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(calls[0]!.options.signal!.aborted).toBe(false)
    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    expect(result.current.status).toBe('ready')
    expect(result.current.matter).toBe(matter)
    expect(matter.disposed).toBe(false)
    await expect(result.current.matte('a.png')).resolves.toMatchObject({ input: 'a.png' })

    unmount()
    await settle()
    expect(matter.disposeCalls).toBe(1)
  })

  it('unmount during load aborts the load; a Matter that still arrives is disposed once', async () => {
    const { calls, createMatter } = fakeLoader()
    const { result, unmount } = renderHook(() => useMatte({ model }, { createMatter }))
    const pending = result.current.matte('a.png')
    unmount()
    await settle()
    expect(calls[0]!.options.signal!.aborted).toBe(true)
    const matter = fakeMatter()
    calls[0]!.load.resolve(matter) // a loader that ignored the abort
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' })
    await settle()
    expect(matter.disposeCalls).toBe(1)
    expect(matter.matted).toEqual([]) // never used after unmount
  })

  it('recreates only when an option that needs it changes', async () => {
    const { calls, createMatter } = fakeLoader()
    const props: { options: UseMatteOptions } = { options: { model, onProgress: () => undefined } }
    const { result, rerender } = renderHook(({ options }) => useMatte(options, { createMatter }), { initialProps: props })
    const first = fakeMatter()
    await act(async () => calls[0]!.load.resolve(first))
    const firstMatte = result.current.matte

    // New objects, new callbacks, a new signal: same model, same Matter.
    const onProgress = vi.fn()
    rerender({ options: { model: { ...model }, onProgress, signal: new AbortController().signal } })
    rerender({ options: { model: { url: model.url, sha256: SHA }, onProgress } })
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(result.current.matter).toBe(first)
    expect(result.current.matte).toBe(firstMatte)

    // A different model: the old Matter is disposed, a new one loads.
    rerender({ options: { model: { ...model, url: 'https://example.com/other.onnx' } } })
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(2)
    expect(first.disposeCalls).toBe(1)
    expect(result.current.status).toBe('loading')
    expect(result.current.matter).toBeNull() // never the disposed one
    const second = fakeMatter()
    await act(async () => calls[1]!.load.resolve(second))
    expect(result.current.matter).toBe(second)

    // A different device: again.
    rerender({ options: { model: { ...model, url: 'https://example.com/other.onnx' }, device: 'webgpu' } })
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(3)
    expect(calls[2]!.options.device).toBe('webgpu')
    expect(second.disposeCalls).toBe(1)
  })

  it('a change during loading aborts the pending load', async () => {
    const { calls, createMatter } = fakeLoader()
    const { rerender } = renderHook(({ options }) => useMatte(options, { createMatter }), { initialProps: { options: { model } as UseMatteOptions } })
    rerender({ options: { model, threads: 2 } })
    await settle()
    expect(calls[0]!.options.signal!.aborted).toBe(true)
    expect(calls[1]!.options.signal!.aborted).toBe(false)
  })

  it('onProgress and signal are read from the latest render', async () => {
    const { calls, createMatter } = fakeLoader()
    const first = vi.fn()
    const latest = vi.fn()
    const controller = new AbortController()
    const { result, rerender } = renderHook(({ options }) => useMatte(options, { createMatter }), {
      initialProps: { options: { model, onProgress: first, autoLoad: false } as UseMatteOptions },
    })
    rerender({ options: { model, onProgress: latest, autoLoad: false, signal: controller.signal } })
    let loading!: Promise<unknown>
    act(() => {
      loading = result.current.load()
    })
    act(() => calls[0]!.options.onProgress!({ status: 'verify', location: 'x' }))
    expect(first).not.toHaveBeenCalled()
    expect(latest).toHaveBeenCalledTimes(1)
    controller.abort()
    expect(calls[0]!.options.signal!.aborted).toBe(true)
    calls[0]!.load.reject(new Error('aborted'))
    await expect(loading).rejects.toBeTruthy()
  })

  it('a failed load: status error with a MatteError; load() tries again', async () => {
    const { calls, createMatter } = fakeLoader()
    const { result } = renderHook(() => useMatte({ model }, { createMatter }))
    await act(async () => calls[0]!.load.reject(new Error('HTTP 404')))
    expect(result.current.status).toBe('error')
    const error = result.current.error as MatteError
    expect(isMatteError(error)).toBe(true)
    expect(error.code).toBe('MODEL_LOAD')
    expect(error.message).toContain('HTTP 404')
    const matting = result.current.matte('a.png').catch((e: unknown) => e) // retries the load, which fails again
    await act(async () => calls[1]!.load.reject(new Error('again')))
    expect(await matting).toMatchObject({ code: 'MODEL_LOAD', message: expect.stringContaining('again') })

    let retry!: Promise<unknown>
    act(() => {
      retry = result.current.load()
    })
    expect(result.current.status).toBe('loading')
    const matter = fakeMatter()
    await act(async () => calls[2]!.load.resolve(matter))
    await expect(retry).resolves.toBe(matter)
    expect(result.current).toMatchObject({ status: 'ready', error: null, matter })
  })

  it('matte() before ready waits for the model (autoLoad false: it starts the load)', async () => {
    const { calls, createMatter } = fakeLoader()
    const { result } = renderHook(() => useMatte({ model, autoLoad: false }, { createMatter }))
    await settle()
    expect(createMatter).not.toHaveBeenCalled()
    expect(result.current.status).toBe('idle')
    let done = false
    const pending = result.current.matte('photo.jpg').then((r) => {
      done = true
      return r
    })
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(1)
    expect(result.current.status).toBe('loading')
    expect(done).toBe(false)
    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    await expect(pending).resolves.toMatchObject({ input: 'photo.jpg', matterId: matter.id })
  })

  it('matte() from an effect on the first render waits and resolves (the usual component shape)', async () => {
    const { calls, createMatter } = fakeLoader()
    const results: unknown[] = []
    function Component(): null {
      const { matte } = useMatte({ model }, { createMatter })
      useEffect(() => {
        matte('fixture.png').then(
          (r) => results.push(r),
          (e: unknown) => results.push(e),
        )
      }, [matte])
      return null
    }
    render(
      <StrictMode>
        <Component />
      </StrictMode>,
    )
    await settle()
    expect(createMatter).toHaveBeenCalledTimes(1)
    const matter = fakeMatter()
    await act(async () => calls[0]!.load.resolve(matter))
    await waitFor(() => expect(results).toHaveLength(2)) // StrictMode ran the effect twice
    expect(results).toEqual([
      { input: 'fixture.png', matterId: matter.id },
      { input: 'fixture.png', matterId: matter.id },
    ])
  })

  it('null options: idle, nothing created, matte() rejects with INVALID_OPTION', async () => {
    const { createMatter } = fakeLoader()
    const { result } = renderHook(() => useMatte(null, { createMatter }))
    await settle()
    expect(result.current).toMatchObject({ status: 'idle', progress: null, error: null, matter: null })
    expect(createMatter).not.toHaveBeenCalled()
    await expect(result.current.matte('a.png')).rejects.toMatchObject({ code: 'INVALID_OPTION' })
  })

  it('the real createMatter without a model reports INVALID_OPTION through error, not a throw', async () => {
    const { result } = renderHook(() => useMatte({ model: {} } as unknown as WebMatterOptions))
    await waitFor(() => expect(result.current.status).toBe('error'))
    expect(result.current.error?.code).toBe('INVALID_OPTION')
  })
})
