/**
 * `@mattekit/node/queue`: matting jobs on BullMQ (Redis), the standard job queue of the Node
 * ecosystem, for running MatteKit on N workers across M machines.
 *
 * A job names an input and an output location (paths on storage every worker sees); workers
 * write outputs atomically, report progress, and failed jobs are retried with backoff. A worker
 * killed mid-job leaves no partial output: BullMQ's stalled-job check hands the job to another
 * worker, which removes the dead worker's temp file and does the job again.
 *
 * @packageDocumentation
 */
import { stat } from 'node:fs/promises'
import { MatteError, isMatteError, type StabilizerOptions } from '@mattekit/core'
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq'
import { createMatter, type NodeMatter, type NodeMatterOptions } from './create-matter.js'
import { renderOutput, type OutputKind } from './encode.js'
import { removeStaleTemps, writeFileAtomic } from './fs-atomic.js'
import { matteVideo, type VideoOutputKind } from './video.js'

/**
 * The queue name MatteKit uses unless told otherwise.
 *
 * @example
 * ```ts
 * import { DEFAULT_QUEUE, createMatteQueue } from '@mattekit/node/queue'
 *
 * const queue = createMatteQueue({ host: '127.0.0.1', port: 6379 }) // named DEFAULT_QUEUE ('mattekit')
 * console.log(queue.name === DEFAULT_QUEUE) // true
 * ```
 */
export const DEFAULT_QUEUE = 'mattekit'

/** One matting job. */
export type MatteJob =
  | {
      readonly kind: 'image'
      /** Input image path (visible to every worker). */
      readonly input: string
      /** Output PNG path; written atomically. */
      readonly output: string
      /** @defaultValue `'alpha'` */
      readonly outputKind?: OutputKind
      /** For `composite`: `blur`, a colour or an image path. */
      readonly background?: string
      /** Foreground colours at soft edges. */
      readonly foreground?: 'observed' | 'estimate'
    }
  | {
      readonly kind: 'video'
      /** Input video path. */
      readonly input: string
      /** Output video path (its extension picks the container); written atomically. */
      readonly output: string
      /** @defaultValue `'composite'` */
      readonly outputKind?: VideoOutputKind
      /** For `composite`: `blur`, a colour or an image path. */
      readonly background?: string
      /** Foreground colours at soft edges. */
      readonly foreground?: 'observed' | 'estimate'
      /** Stabiliser options, or `false`. */
      readonly stabilizer?: StabilizerOptions | false
    }

/** What a finished job returns (stored by BullMQ as the job's return value). */
export interface MatteJobResult {
  /** The output path written. */
  readonly output: string
  /** Width of the image or video frames. */
  readonly width: number
  /** Height of the image or video frames. */
  readonly height: number
  /** Frames written (videos). */
  readonly frames?: number
  /** Milliseconds the job took on the worker. */
  readonly ms: number
}

/**
 * Job options MatteKit recommends: 3 attempts with exponential backoff from 2 s, completed jobs
 * kept for a day, failed ones for a week.
 *
 * @example
 * ```ts
 * import { DEFAULT_JOB_OPTIONS, createMatteQueue } from '@mattekit/node/queue'
 *
 * const queue = createMatteQueue({ host: 'redis', port: 6379 })
 * // Five attempts instead of three, the rest as recommended:
 * await queue.add('matte', job, { ...DEFAULT_JOB_OPTIONS, attempts: 5 })
 * ```
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

/**
 * Opens the MatteKit queue for producers.
 *
 * @param connection - Redis connection options (e.g. `{ host: '127.0.0.1', port: 6379 }`)
 * @param name - the queue name
 * @returns a BullMQ `Queue` whose jobs default to {@link DEFAULT_JOB_OPTIONS}
 * @example
 * ```ts
 * const queue = createMatteQueue({ host: 'redis', port: 6379 })
 * await queue.add('matte', { kind: 'image', input: '/data/in/a.jpg', output: '/data/out/a.png' })
 * ```
 */
export function createMatteQueue(connection: ConnectionOptions, name = DEFAULT_QUEUE): Queue<MatteJob, MatteJobResult> {
  return new Queue<MatteJob, MatteJobResult>(name, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS })
}

/** Error codes that retrying cannot fix. */
const PERMANENT = new Set(['INVALID_INPUT', 'CORRUPT_IMAGE', 'UNSUPPORTED_FORMAT', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_SMALL', 'INVALID_OPTION'])

/** Options of {@link runMatteWorker}. */
export interface MatteWorkerOptions {
  /** Redis connection options. */
  readonly connection: ConnectionOptions
  /** @defaultValue {@link DEFAULT_QUEUE} */
  readonly queue?: string
  /** How the worker loads the model (`createMatter` options); default: the official fp32 model. */
  readonly matter?: NodeMatterOptions
  /**
   * Jobs processed at once by this worker. One is right for CPU inference (onnxruntime already
   * uses every core); more overlaps decoding and encoding with inference.
   * @defaultValue 1
   */
  readonly concurrency?: number
  /**
   * How long a job's lock lasts without renewal: a worker that dies loses its jobs after this.
   * @defaultValue 30000
   */
  readonly lockDuration?: number
  /**
   * How often the worker checks for jobs whose worker died.
   * @defaultValue 30000
   */
  readonly stalledInterval?: number
}

/** A running worker. */
export interface MatteWorker {
  /** The BullMQ worker (events: `completed`, `failed`, `progress`...). */
  readonly worker: Worker<MatteJob, MatteJobResult>
  /** Stops taking jobs, waits for the current ones, and releases the model. */
  close(): Promise<void>
}

async function runJob(matter: NodeMatter, job: Job<MatteJob, MatteJobResult>): Promise<MatteJobResult> {
  const started = Date.now()
  const data = job.data
  // A worker that died mid-job may have left its temp file: remove it before redoing the job.
  // Only on a re-run: listing the output directory for every job would be quadratic in big batches.
  if (job.attemptsStarted > 1 || job.stalledCounter > 0) await removeStaleTemps(data.output)
  if (data.kind === 'video') {
    let last = -1
    const result = await matteVideo(data.input, data.output, {
      matter,
      output: data.outputKind,
      background: data.background,
      foreground: data.foreground,
      stabilizer: data.stabilizer,
      onProgress: (p) => {
        const pct = p.totalFrames ? Math.floor((100 * p.frames) / p.totalFrames) : 0
        if (pct !== last) void job.updateProgress((last = pct))
      },
    })
    return { output: data.output, width: result.width, height: result.height, frames: result.frames, ms: Date.now() - started }
  }
  const result = await matter.matte(data.input)
  await job.updateProgress(50)
  const png = await renderOutput(result, data.outputKind ?? 'alpha', data.background ?? 'blur', { foreground: data.foreground })
  await writeFileAtomic(data.output, png)
  await job.updateProgress(100)
  return { output: data.output, width: result.matte.width, height: result.matte.height, ms: Date.now() - started }
}

/**
 * Starts a worker that consumes MatteKit jobs from the queue. Run one per machine (or one per
 * GPU); see docs/scaling.md for sizing.
 *
 * Input errors (a corrupt image, an unsupported format) fail the job at once, without retries;
 * other failures (storage, a crashed runtime) are retried with the queue's backoff.
 *
 * @param options - Redis connection, queue name, model options, concurrency
 * @returns the running worker; call `close()` on shutdown (e.g. on SIGTERM)
 * @example
 * ```ts
 * import { runMatteWorker } from '@mattekit/node/queue'
 * const { close } = await runMatteWorker({ connection: { host: 'redis', port: 6379 } })
 * process.on('SIGTERM', () => void close())
 * ```
 */
export async function runMatteWorker(options: MatteWorkerOptions): Promise<MatteWorker> {
  const matter = await createMatter(options.matter ?? {})
  const worker = new Worker<MatteJob, MatteJobResult>(
    options.queue ?? DEFAULT_QUEUE,
    async (job) => {
      try {
        await stat(job.data.input).catch((error: unknown) => {
          throw new MatteError('INVALID_INPUT', `Cannot read ${job.data.input}: ${(error as Error).message}`, { cause: error })
        })
        return await runJob(matter, job)
      } catch (error) {
        // Bad input will not get better by retrying: fail the job for good.
        if (isMatteError(error) && PERMANENT.has(error.code)) {
          throw new UnrecoverableError(`${error.code}: ${error.message}`)
        }
        throw error
      }
    },
    {
      connection: options.connection,
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
    },
  )
  let closing: Promise<void> | undefined
  return {
    worker,
    close() {
      closing ??= (async () => {
        await worker.close()
        await matter.dispose()
      })()
      return closing
    },
  }
}
