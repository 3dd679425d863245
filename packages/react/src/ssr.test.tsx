// @vitest-environment node
/**
 * Server rendering: importing @mattekit/react and rendering components that use both hooks with
 * react-dom/server touches no browser global (there is none here), adds no global, starts no
 * load, and renders the idle state.
 */
import { describe, expect, it, vi } from 'vitest'

describe('@mattekit/react on a server', () => {
  it('imports and renders useMatte/useMatteStream components with renderToString: idle, nothing loaded', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined')
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined')
    const before = new Set(Object.getOwnPropertyNames(globalThis))

    const { renderToString } = await import('react-dom/server')
    const { createElement: h, StrictMode } = await import('react')
    const mk = await import('./index.js')
    expect(typeof mk.useMatte).toBe('function')
    expect(typeof mk.useMatteStream).toBe('function')
    expect(typeof mk.createMatter).toBe('function') // @mattekit/web is re-exported

    const createMatter = vi.fn(mk.createMatter)
    function Photo() {
      const { status, progress, error, matter } = mk.useMatte(
        { model: { url: 'https://example.com/m.onnx', sha256: 'a'.repeat(64) } },
        { createMatter },
      )
      return h('p', { id: 'photo' }, `${status}|${String(progress)}|${String(error)}|${String(matter)}`)
    }
    function Camera() {
      const matter = mk.useMatte({ model: { variant: 'fp16' } }, { createMatter })
      const { status, stream, stats } = mk.useMatteStream(null, { matter, background: { type: 'blur' } })
      return h('p', { id: 'camera' }, `${status}|${String(stream)}|${String(stats)}`)
    }
    function OwnMatter() {
      const { status } = mk.useMatteStream(null, { matterOptions: { model: { variant: 'uint8' } }, dependencies: { createMatter } })
      return h('p', { id: 'own' }, status)
    }

    const html = renderToString(h(StrictMode, null, h(Photo), h(Camera), h(OwnMatter)))
    expect(html).toBe('<p id="photo">idle|null|null|null</p><p id="camera">idle|null|null</p><p id="own">idle</p>')
    expect(createMatter).not.toHaveBeenCalled()

    const added = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name))
    expect(added).toEqual([])
  })
})
