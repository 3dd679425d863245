import { describe, expect, it, vi } from 'vitest'
import { createExternalStore } from './store.js'

describe('createExternalStore', () => {
  it('returns the same frozen snapshot until a field changes', () => {
    const initial = { a: 1, b: 'x' }
    const store = createExternalStore(initial)
    const first = store.getSnapshot()
    expect(first).toEqual(initial)
    expect(first).not.toBe(initial) // copied, so the caller's object stays theirs
    expect(Object.isFrozen(first)).toBe(true)
    expect(store.getSnapshot()).toBe(first)

    expect(store.set({ a: 1 })).toBe(false)
    expect(store.getSnapshot()).toBe(first)

    expect(store.set({ a: 2 })).toBe(true)
    const second = store.getSnapshot()
    expect(second).not.toBe(first)
    expect(second).toEqual({ a: 2, b: 'x' })
    expect(Object.isFrozen(second)).toBe(true)
    expect(first).toEqual({ a: 1, b: 'x' }) // old snapshots never change
  })

  it('notifies subscribers on change only, and stops after unsubscribe', () => {
    const store = createExternalStore({ n: 0 })
    const listener = vi.fn()
    const unsubscribe = store.subscribe(listener)
    store.set({ n: 0 })
    expect(listener).not.toHaveBeenCalled()
    store.set((s) => ({ n: s.n + 1 }))
    expect(listener).toHaveBeenCalledTimes(1)
    unsubscribe()
    unsubscribe()
    store.set({ n: 5 })
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('compares with Object.is (NaN is unchanged, -0 is a change)', () => {
    const store = createExternalStore({ v: Number.NaN })
    expect(store.set({ v: Number.NaN })).toBe(false)
    expect(store.set({ v: 0 })).toBe(true)
    expect(store.set({ v: -0 })).toBe(true)
  })

  it('the same function subscribed twice is called twice, and each unsubscribe removes one', () => {
    const store = createExternalStore({ n: 0 })
    const listener = vi.fn()
    const off1 = store.subscribe(listener)
    store.subscribe(listener)
    store.set({ n: 1 })
    expect(listener).toHaveBeenCalledTimes(2)
    off1()
    store.set({ n: 2 })
    expect(listener).toHaveBeenCalledTimes(3)
  })

  it('a throwing listener does not starve the others; its error is rethrown after them', () => {
    const store = createExternalStore({ n: 0 })
    const after = vi.fn()
    store.subscribe(() => {
      throw new Error('boom')
    })
    store.subscribe(after)
    expect(() => store.set({ n: 1 })).toThrow('boom')
    expect(after).toHaveBeenCalledTimes(1)
    expect(store.getSnapshot().n).toBe(1)
  })

  it('a listener that unsubscribes another during a notification does not break the loop', () => {
    const store = createExternalStore({ n: 0 })
    const second = vi.fn()
    let offSecond = (): void => undefined
    store.subscribe(() => offSecond())
    offSecond = store.subscribe(second)
    store.set({ n: 1 }) // the copy taken before notifying still calls `second` this time
    store.set({ n: 2 })
    expect(second).toHaveBeenCalledTimes(1)
  })
})
