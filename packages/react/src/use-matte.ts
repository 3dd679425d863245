import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import {
  MatteError,
  createMatterStore,
  matterOptionsKey,
  type MatterProgress,
  type MatterState,
  type MatterStatus,
  type MatterStore,
  type MatterStoreDependencies,
  type WebImageInput,
  type WebMatteOptions,
  type WebMatter,
  type WebMatterOptions,
  type WebMatteResult,
} from '@mattekit/web'

/** Options of {@link useMatte}: `createMatter`'s options plus when to load. */
export interface UseMatteOptions extends WebMatterOptions {
  /**
   * Start loading the model when the component mounts. With false, loading starts at the first
   * `matte()` or `load()` call.
   * @defaultValue true
   */
  readonly autoLoad?: boolean
}

/** What {@link useMatte} returns. A new object only when something in it changed. */
export interface UseMatteResult {
  /** `'idle'` (nothing asked for yet, or on the server), `'loading'`, `'ready'` or `'error'`. */
  readonly status: MatterStatus
  /** Loading progress (stage, downloaded share); null before the first event. */
  readonly progress: MatterProgress | null
  /** Why loading failed, when `status` is `'error'` (a {@link MatteError}); null otherwise. */
  readonly error: MatteError | null
  /** The Matter once `status` is `'ready'`; null before that, and never a disposed one. */
  readonly matter: WebMatter | null
  /**
   * Mattes an image. Callable at any time after mount: before the model is ready it starts or
   * waits for the load. Stable until the Matter is recreated.
   *
   * @param input - any {@link WebImageInput}
   * @param options - `signal` (also cancels waiting for the model), `transfer`
   * @returns the result
   * @throws {@link MatteError} from loading or matting; `DISPOSED` once the component unmounted
   */
  matte(input: WebImageInput, options?: WebMatteOptions): Promise<WebMatteResult>
  /**
   * Starts loading now (with `autoLoad: false`), or tries again after an error.
   *
   * @returns the ready Matter
   * @throws {@link MatteError} as `createMatter` does
   */
  load(): Promise<WebMatter>
}

const IDLE: MatterState = Object.freeze({ status: 'idle', progress: null, error: null, matter: null })
const idleSnapshot = (): MatterState => IDLE
const noSubscription = (): (() => void) => () => undefined
const noOptions = (): MatteError =>
  new MatteError('INVALID_OPTION', 'useMatte(null) has no model: pass options such as { model: { url, sha256 } }.')

/** `useLayoutEffect` in a browser, `useEffect` on a server (where neither runs, without the warning). */
export const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect

/**
 * One {@link WebMatter} for this component: created lazily in the browser (never during server
 * rendering), loaded on mount, disposed on unmount (a pending load is aborted, and a Matter that
 * still arrives is disposed at once). Safe under StrictMode: the development remount reuses the
 * first load. A new Matter is created only when options that need one change (see
 * {@link matterOptionsKey}); a new `onProgress` or `signal` does not reload.
 *
 * @param options - `createMatter`'s options and `autoLoad`; null for no Matter (status stays `'idle'`)
 * @param dependencies - a replacement `createMatter`, read when the Matter is created (tests)
 * @returns status, progress, error, the Matter when ready, `matte()` and `load()`
 * @example
 * ```tsx
 * 'use client'
 * import { useMatte } from '@mattekit/react'
 *
 * const model = { url: '/models/modnet.onnx', sha256: '07c308cf…' }
 *
 * export function CutOut({ file }: { file: File }) {
 *   const { status, progress, error, matte } = useMatte({ model })
 *   const [url, setUrl] = useState<string>()
 *   useEffect(() => {
 *     let live = true
 *     matte(file)
 *       .then((result) => result.toCutoutBlob())
 *       .then((blob) => live && setUrl(URL.createObjectURL(blob)))
 *       .catch(() => undefined) // `error` shows loading failures
 *     return () => void (live = false)
 *   }, [file, matte])
 *   if (status === 'error') return <p>{error!.message}</p>
 *   if (!url) return <p>{status} {Math.round((progress?.fraction ?? 0) * 100)} %</p>
 *   return <img src={url} alt="" />
 * }
 * ```
 */
export function useMatte(options: UseMatteOptions | null, dependencies?: MatterStoreDependencies): UseMatteResult {
  const latest = useRef(options)
  useIsomorphicLayoutEffect(() => {
    latest.current = options
  })
  const key = matterOptionsKey(options)
  // Bumped when React re-shows a component whose store was destroyed (e.g. <Activity>).
  const [generation, setGeneration] = useState(0)

  const store = useMemo((): MatterStore | null => {
    if (options === null || options === undefined) return null
    const { autoLoad: _autoLoad, onProgress: _onProgress, signal: _signal, ...fixed } = options
    // `onProgress` and `signal` are read from the latest render when loading starts.
    const live: WebMatterOptions = {
      ...fixed,
      onProgress: (event) => latest.current?.onProgress?.(event),
      get signal() {
        return latest.current?.signal
      },
    }
    return createMatterStore(live, dependencies)
    // The key and the generation decide (the options object is new on every render).
  }, [key, generation])

  useEffect(() => {
    if (!store) return
    if (store.destroyed) {
      setGeneration((g) => g + 1)
      return
    }
    return store.connect({ autoLoad: latest.current?.autoLoad !== false })
  }, [store])

  const state = useSyncExternalStore(
    store ? store.subscribe : noSubscription,
    store ? store.getSnapshot : idleSnapshot,
    store ? store.getSnapshot : idleSnapshot,
  )
  const matte = useCallback(
    (input: WebImageInput, matteOptions?: WebMatteOptions) => (store ? store.matte(input, matteOptions) : Promise.reject(noOptions())),
    [store],
  )
  const load = useCallback(() => (store ? store.load() : Promise.reject(noOptions())), [store])
  return useMemo(
    () => ({ status: state.status, progress: state.progress, error: state.error, matter: state.matter, matte, load }),
    [state, matte, load],
  )
}
