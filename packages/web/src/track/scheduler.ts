/**
 * Latest frame wins: at most one frame with the model, at most one waiting. A frame that arrives
 * while one is waiting replaces it (the older one is released at once and counted as dropped).
 * Nothing ever queues, whatever the model's speed.
 */

/** A frame offered to the model: `take()` hands over its model input, `release()` discards it. */
export interface PendingFrame<T> {
  /** Produces the model input (called once, when the model is free). */
  take(): T | Promise<T>
  /** Releases the frame without using it (dropped, or stopped). */
  release(): void
}

/** The model side of the scheduler. */
export type ModelRun<T, R> = (input: T) => Promise<R>

/** Latest-wins scheduling of frames to one model. */
export class LatestFrameScheduler<T, R> {
  private busy = false
  private waiting: PendingFrame<T> | undefined
  private stopped = false
  /** Frames replaced before reaching the model. */
  dropped = 0
  /** Frames handed to the model. */
  submitted = 0

  /**
   * @param run - runs the model on one input
   * @param onResult - called with each result, in order
   * @param onError - called when a run fails (the scheduler stops)
   */
  constructor(
    private readonly run: ModelRun<T, R>,
    private readonly onResult: (result: R) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Frames waiting for the model: 0 or 1. */
  get queued(): number {
    return this.waiting ? 1 : 0
  }

  /** Whether the model is working on a frame. */
  get running(): boolean {
    return this.busy
  }

  /** Offers a frame: runs it now if the model is free, else it waits, replacing any waiting one. */
  offer(frame: PendingFrame<T>): void {
    if (this.stopped) {
      frame.release()
      return
    }
    if (!this.busy) {
      this.start(frame)
      return
    }
    if (this.waiting) {
      this.waiting.release()
      this.dropped++
    }
    this.waiting = frame
  }

  /** Stops: releases the waiting frame; a result still in flight is ignored. */
  stop(): void {
    this.stopped = true
    this.waiting?.release()
    this.waiting = undefined
  }

  private start(frame: PendingFrame<T>): void {
    this.busy = true
    this.submitted++
    void (async () => {
      try {
        const result = await this.run(await frame.take())
        if (this.stopped) return
        this.onResult(result)
      } catch (error) {
        if (this.stopped) return
        this.stop()
        this.onError(error)
        return
      } finally {
        this.busy = false
      }
      const next = this.waiting
      this.waiting = undefined
      if (next && !this.stopped) this.start(next)
    })()
  }
}
