/**
 * A pool of inference sessions for machines with many cores: onnxruntime's intra-op threading
 * stops scaling well for one MODNet run past a handful of cores, so big machines run several
 * sessions (each in its own worker thread, with its share of the cores) and spread the runs.
 */
import { availableParallelism } from 'node:os'
import { abortError, type Float32Tensor, type ModelSession, type RunOptions, type RunResult } from '@mattekit/core'

/** Cores one session uses well before another session pays off more. */
const CORES_PER_SESSION = 4
/** Most sessions the `'throughput'` layout opens on its own (each holds its own activations). */
const MAX_THROUGHPUT_SESSIONS = 4

/**
 * How a Matter spreads the cores over onnxruntime sessions:
 * - `'latency'`: as few sessions as run one image fast (one per 4 cores), so a single call
 *   finishes soonest: the right layout for one image at a time, servers and live use.
 * - `'throughput'`: more sessions with fewer threads each (one per core up to 4, then one per 4
 *   cores), for batches and video files: a single-threaded run never waits for another thread
 *   inside an operator, so the same CPU time mattes more images per second when several are in
 *   flight (on 2 cores: 0.90 of the bare model's rate instead of 0.85), while each call takes
 *   longer alone. Keep at least sessions + 1 calls in flight.
 */
export type SessionLayout = 'latency' | 'throughput'

/**
 * The default number of sessions for this machine: for `'latency'`, one per 4 cores (at least
 * one); for `'throughput'`, one per core up to 4, and one per 4 cores past 16.
 *
 * @param cores - the core count
 * @param layout - what to optimise, see {@link SessionLayout}
 * @returns how many sessions to run
 *
 * @example
 * ```ts
 * import { createMatter, defaultPoolSize } from '@mattekit/node'
 *
 * defaultPoolSize(16) // 4 sessions on a 16-core machine
 * defaultPoolSize(2, 'throughput') // 2 single-threaded sessions on 2 cores
 * const matter = await createMatter({ sessions: defaultPoolSize() * 2 }) // more, for small images
 * ```
 */
export function defaultPoolSize(cores: number = availableParallelism(), layout: SessionLayout = 'latency'): number {
  const latency = Math.max(1, Math.floor(cores / CORES_PER_SESSION))
  return layout === 'throughput' ? Math.max(latency, Math.min(Math.max(1, Math.floor(cores)), MAX_THROUGHPUT_SESSIONS)) : latency
}

/**
 * Combines sessions into one. A run goes to an idle session; when all are busy it waits in one
 * shared queue and goes to whichever session frees up first (so a queued run never waits behind a
 * slow one while another session idles). A run whose signal aborts while queued is dropped.
 *
 * @param sessions - the sessions (the pool owns them and disposes them)
 * @returns a {@link ModelSession}
 *
 * @example
 * ```ts
 * import { createOrtWorkerSession, poolSessions } from '@mattekit/node'
 *
 * const session = poolSessions(await Promise.all([1, 2, 3].map(() => createOrtWorkerSession('modnet.onnx'))))
 * // each run goes to the first free one of the three; disposing the pool disposes them all
 * ```
 */
export function poolSessions(sessions: readonly ModelSession[]): ModelSession {
  if (sessions.length === 1) return sessions[0]!
  const idle = sessions.map((_, i) => i)
  interface Queued {
    readonly input: Float32Tensor
    readonly options: RunOptions | undefined
    readonly resolve: (out: RunResult) => void
    readonly reject: (error: unknown) => void
  }
  const queue: Queued[] = []
  const start = (index: number, job: Queued): Promise<RunResult> => {
    try {
      return sessions[index]!.run(job.input, job.options)
    } catch (error) {
      return Promise.reject(error) // a session that throws instead of rejecting
    }
  }
  const dispatch = (index: number, job: Queued): void => {
    void start(index, job).then(job.resolve, job.reject).finally(() => {
      // Hand the session the next queued run that is still wanted, else mark it idle.
      let next = queue.shift()
      while (next?.options?.signal?.aborted) {
        next.reject(abortError(next.options.signal))
        next = queue.shift()
      }
      if (next) dispatch(index, next)
      else idle.push(index)
    })
  }
  // An input any of the sessions reads cheaply (the worker sessions' shared memory), where all can.
  const create = sessions.every((s) => s.createInput) ? sessions[0]!.createInput!.bind(sessions[0]) : undefined
  return {
    ...(create ? { createInput: create } : {}),
    run(input: Float32Tensor, options?: RunOptions): Promise<RunResult> {
      return new Promise<RunResult>((resolve, reject) => {
        const job = { input, options, resolve, reject }
        const free = idle.shift()
        if (free === undefined) queue.push(job)
        else dispatch(free, job)
      })
    },
    async dispose(): Promise<void> {
      await Promise.all(sessions.map((s) => s.dispose()))
    },
  }
}
