/**
 * A tiny external store: the subscribe/snapshot contract that UI bindings (React's
 * `useSyncExternalStore`, Vue, Svelte, or a plain callback) read MatteKit's state through.
 * Framework-neutral: it holds no timers and touches no platform global.
 *
 * @packageDocumentation
 */

/**
 * Read access to a value that changes over time. Each change produces a new, frozen snapshot
 * object, so `getSnapshot()` returns the same object until something changes (what
 * `useSyncExternalStore` requires).
 */
export interface ExternalStore<T> {
  /**
   * Calls `listener` after every change, until the returned function is called.
   *
   * @param listener - called with no arguments; read the new value with {@link ExternalStore.getSnapshot}
   * @returns unsubscribes `listener` (idempotent)
   */
  subscribe(listener: () => void): () => void
  /** The current snapshot: frozen, and the same object until the next change. */
  getSnapshot(): T
}

/** An {@link ExternalStore} its owner can write to (see {@link createExternalStore}). */
export interface WritableExternalStore<T extends object> extends ExternalStore<T> {
  /**
   * Replaces the snapshot with a frozen copy of the current one with `patch` applied (or with
   * what `patch` returns, given the current snapshot). Listeners are called only when at least
   * one field changed (compared with `Object.is`).
   *
   * @param patch - the fields to change, or a function of the current snapshot
   * @returns whether anything changed
   */
  set(patch: Partial<T> | ((current: T) => Partial<T>)): boolean
}

/**
 * Creates a {@link WritableExternalStore} holding `initial`.
 *
 * A listener that throws does not stop the other listeners; the first error is rethrown after
 * all of them ran.
 *
 * @param initial - the first snapshot (copied and frozen)
 * @returns the store
 * @example
 * ```ts
 * const store = createExternalStore({ count: 0 })
 * const unsubscribe = store.subscribe(() => console.log(store.getSnapshot().count))
 * store.set((s) => ({ count: s.count + 1 })) // logs 1
 * unsubscribe()
 * ```
 */
export function createExternalStore<T extends object>(initial: T): WritableExternalStore<T> {
  let snapshot: T = Object.freeze({ ...initial })
  const listeners = new Set<() => void>()

  return {
    subscribe(listener) {
      // A wrapper per subscription: the same function may subscribe twice and unsubscribe once.
      const entry = (): void => listener()
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    getSnapshot: () => snapshot,
    set(patch) {
      const changes = typeof patch === 'function' ? patch(snapshot) : patch
      let changed = false
      for (const key of Object.keys(changes) as (keyof T)[]) {
        if (!Object.is(snapshot[key], changes[key])) {
          changed = true
          break
        }
      }
      if (!changed) return false
      snapshot = Object.freeze({ ...snapshot, ...changes })
      let failure: { error: unknown } | undefined
      for (const listener of [...listeners]) {
        try {
          listener()
        } catch (error) {
          failure ??= { error }
        }
      }
      if (failure) throw failure.error
      return true
    },
  }
}
