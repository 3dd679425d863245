/**
 * A pool of inference sessions for machines with many cores: onnxruntime's intra-op threading
 * stops scaling well for one MODNet run past a handful of cores, so big machines run several
 * sessions (each in its own worker thread, with its share of the cores) and spread the runs.
 */
import { availableParallelism } from 'node:os'
import type { Float32Tensor, ModelSession, RunOptions } from '@mattekit/core'

/** Cores one session uses well before another session pays off more. */
const CORES_PER_SESSION = 4

/**
 * The default number of sessions for this machine: one per 4 cores (at least one).
 *
 * @param cores - the core count
 * @returns how many sessions to run
 *
 * @example
 * ```ts
 * import { createMatter, defaultPoolSize } from '@mattekit/node'
 *
 * defaultPoolSize(16) // 4 sessions on a 16-core machine
 * const matter = await createMatter({ sessions: defaultPoolSize() * 2 }) // more, for small images
 * ```
 */
export function defaultPoolSize(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / CORES_PER_SESSION))
}

/**
 * Combines sessions into one: each run goes to the session with the fewest runs in flight.
 *
 * @param sessions - the sessions (the pool owns them and disposes them)
 * @returns a {@link ModelSession}
 *
 * @example
 * ```ts
 * import { createOrtWorkerSession, poolSessions } from '@mattekit/node'
 *
 * const session = poolSessions(await Promise.all([1, 2, 3].map(() => createOrtWorkerSession('modnet.onnx'))))
 * // each run goes to the least busy of the three; disposing the pool disposes them all
 * ```
 */
export function poolSessions(sessions: readonly ModelSession[]): ModelSession {
  if (sessions.length === 1) return sessions[0]!
  const busy = sessions.map(() => 0)
  return {
    async run(input: Float32Tensor, options?: RunOptions): Promise<Float32Tensor> {
      let pick = 0
      for (let i = 1; i < sessions.length; i++) if (busy[i]! < busy[pick]!) pick = i
      busy[pick]!++
      try {
        return await sessions[pick]!.run(input, options)
      } finally {
        busy[pick]!--
      }
    },
    async dispose(): Promise<void> {
      await Promise.all(sessions.map((s) => s.dispose()))
    },
  }
}
