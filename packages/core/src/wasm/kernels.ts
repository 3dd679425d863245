/**
 * The WebAssembly twins of core's heaviest loops: the model tensor (`toModelTensor`: the area
 * reduction fused with normalisation, and the plain normalisation when no resize is needed), the
 * 8-bit enlargement of the matte (`resizeMatte`) and the composite over a background enlarged on the
 * fly (`compositeScaled`, the video blur background). Source:
 * `packages/core/wasm/kernels.ts` (AssemblyScript), compiled by `npm run wasm`.
 *
 * They perform the same IEEE operations in the same order as the JavaScript kernels, so the
 * results are bit-identical (tested on random sizes against the JavaScript path, and against
 * OpenCV through the reference tests); they run 2.5-3x faster because WebAssembly has no
 * per-access bounds checks or element conversions. Where WebAssembly is missing or refused (a
 * page whose Content-Security-Policy lacks `'wasm-unsafe-eval'`), core uses the JavaScript kernels.
 *
 * @packageDocumentation
 */

import type { AreaAxis, LinearAxis } from '../resample/area.js'
import type { PaddedAxis } from '../preprocess/tensor.js'
import { KERNELS_WASM_BASE64 } from './kernels.generated.js'

/** The kernels, bound to one WebAssembly instance. */
export interface WasmKernels {
  /**
   * `areaPlanar`'s work: output rows `rowStart` to `rowEnd - 1` of the tensor (three planes of
   * `dw * dh`) from `src` (source rows from `srcRow0` on).
   */
  areaTensor(
    src: Uint8Array,
    sw: number,
    srcRow0: number,
    px: PaddedAxis,
    y: AreaAxis,
    normalised: Float64Array,
    dst: Float32Array,
    dw: number,
    dh: number,
    rowStart: number,
    rowEnd: number,
  ): void
  /**
   * `linearKernelU8`'s work for one channel: destination rows `dy0` to `dy1 - 1`, written to `dst`
   * from index `(dy - dstRow0) * dw`.
   */
  linearU8(src: Uint8Array, sw: number, sh: number, x: LinearAxis, y: LinearAxis, dst: Uint8Array, dw: number, dy0: number, dy1: number, dstRow0: number): void
  /**
   * `compositeScaled`'s work: `fg` (RGB, `dw` x `dh`) with alpha `a` over `bg` (RGB, `sw` x `sh`)
   * enlarged bilinearly with the horizontal table `a0`, `a1`, `wx`, into `out`.
   */
  compositeScaled(
    fg: Uint8Array,
    a: Uint8Array,
    bg: Uint8Array,
    sw: number,
    sh: number,
    dw: number,
    dh: number,
    table: { readonly a0: Int32Array; readonly a1: Int32Array; readonly wx: Float32Array },
    out: Uint8Array,
  ): void
  /** `copyPlanar`'s work: `n` RGB pixels (at the model's size) to three planes of `n` values. */
  copyTensor(src: Uint8Array, normalised: Float64Array, dst: Float32Array, n: number): void
}

/**
 * Instantiates the kernels from their base64 binary, or returns `undefined` where WebAssembly is
 * unavailable or refused. Self-contained (it uses nothing outside its own body but language
 * globals), because the worker kernels of `@mattekit/node` ship its source as text.
 *
 * Memory: each call lays out its inputs from the module's heap base and grows the memory as
 * needed; an instance whose memory grew past 64 MiB (an image of about 20 megapixels) is dropped
 * after the call, and the next call starts a fresh one, so a single huge photo does not pin its
 * size for the life of the page.
 *
 * @param base64 - the module's bytes
 */
export function createWasmKernels(base64: string): WasmKernels | undefined {
  interface Exports {
    readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
    heapBase(): number
    areaTensor(...args: number[]): void
    linearU8(...args: number[]): void
    copyTensor(...args: number[]): void
    compositeScaled(...args: number[]): void
  }
  interface WasmApi {
    Module: new (bytes: Uint8Array) => object
    Instance: new (module: object, imports: object) => { readonly exports: Exports }
  }
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly
  if (api === undefined) return undefined
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const clean = base64.replace(/=+$/, '')
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4))
  for (let i = 0, o = 0, acc = 0, bits = 0; i < clean.length; i++) {
    acc = (acc << 6) | alphabet.indexOf(clean[i]!)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[o++] = (acc >> bits) & 255
    }
  }
  let module: object
  try {
    module = new api.Module(bytes)
  } catch {
    return undefined // e.g. a Content-Security-Policy without 'wasm-unsafe-eval'
  }
  const LIMIT = 64 * 2 ** 20
  let live: Exports | undefined
  let at = 0
  const begin = (): Exports => {
    live ??= new api.Instance(module, {}).exports
    at = live.heapBase()
    return live
  }
  const reserve = (length: number): number => {
    const p = at
    at = (at + length + 7) & ~7
    return p
  }
  const ready = (ex: Exports): ArrayBuffer => {
    const have = ex.memory.buffer.byteLength
    if (at > have) ex.memory.grow(Math.ceil((at - have) / 65536))
    return ex.memory.buffer
  }
  const end = (ex: Exports): void => {
    if (ex.memory.buffer.byteLength > LIMIT) live = undefined
  }
  const put = <T extends Uint8Array | Int32Array | Float32Array | Float64Array>(buffer: ArrayBuffer, p: number, data: T): void => {
    new Uint8Array(buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  }
  return {
    areaTensor(src, sw, srcRow0, px, y, normalised, dst, dw, dh, rowStart, rowEnd) {
      const ex = begin()
      const srcRow = sw * 3
      // Only the source rows these output rows read.
      const first = y.index[y.start[rowStart]!]! - srcRow0
      const last = y.index[y.start[rowEnd]! - 1]! - srcRow0
      const rows = rowEnd - rowStart
      const pSrc = reserve((last - first + 1) * srcRow)
      const pOff = reserve(px.offset.byteLength)
      const pWt = reserve(px.weight.byteLength)
      const pYs = reserve(y.start.byteLength)
      const pYi = reserve(y.index.byteLength)
      const pYw = reserve(y.weight.byteLength)
      const pN = reserve(normalised.byteLength)
      const pEven = reserve(dw * 3 * 8)
      const pOdd = reserve(dw * 3 * 8)
      const pDst = reserve(3 * rows * dw * 4)
      const buffer = ready(ex)
      put(buffer, pSrc, src.subarray(first * srcRow, (last + 1) * srcRow))
      put(buffer, pOff, px.offset)
      put(buffer, pWt, px.weight)
      put(buffer, pYs, y.start)
      put(buffer, pYi, y.index)
      put(buffer, pYw, y.weight)
      put(buffer, pN, normalised)
      ex.areaTensor(pSrc, srcRow, srcRow0 + first, pOff, pWt, px.k, pYs, pYi, pYw, pDst, dw, rowStart, rowEnd, pN, pEven, pOdd)
      const plane = dw * dh
      for (let c = 0; c < 3; c++) dst.set(new Float32Array(buffer, pDst + c * rows * dw * 4, rows * dw), c * plane + rowStart * dw)
      end(ex)
    },
    linearU8(src, sw, sh, x, y, dst, dw, dy0, dy1, dstRow0) {
      const ex = begin()
      const pSrc = reserve(src.byteLength)
      const pXi = reserve(x.index.byteLength)
      const pA0 = reserve(x.iw0.byteLength)
      const pA1 = reserve(x.iw1.byteLength)
      const pYi = reserve(y.index.byteLength)
      const pB0 = reserve(y.iw0.byteLength)
      const pB1 = reserve(y.iw1.byteLength)
      const pRowA = reserve(dw * 4)
      const pRowB = reserve(dw * 4)
      const pDst = reserve((dy1 - dy0) * dw)
      const buffer = ready(ex)
      put(buffer, pSrc, src)
      put(buffer, pXi, x.index)
      put(buffer, pA0, x.iw0)
      put(buffer, pA1, x.iw1)
      put(buffer, pYi, y.index)
      put(buffer, pB0, y.iw0)
      put(buffer, pB1, y.iw1)
      ex.linearU8(pSrc, sw, sh, pXi, pA0, pA1, x.limit, pYi, pB0, pB1, pDst, dw, dy0, dy1, pRowA, pRowB)
      dst.set(new Uint8Array(buffer, pDst, (dy1 - dy0) * dw), (dy0 - dstRow0) * dw)
      end(ex)
    },
    compositeScaled(fg, a, bg, sw, sh, dw, dh, table, out) {
      const ex = begin()
      const n = dw * dh
      const pFg = reserve(n * 3)
      const pA = reserve(n)
      const pBg = reserve(sw * sh * 3)
      const pA0 = reserve(table.a0.byteLength)
      const pA1 = reserve(table.a1.byteLength)
      const pWx = reserve(table.wx.byteLength)
      const pOut = reserve(n * 3)
      const pRowA = reserve(dw * 3 * 8)
      const pRowB = reserve(dw * 3 * 8)
      const buffer = ready(ex)
      put(buffer, pFg, fg.subarray(0, n * 3))
      put(buffer, pA, a.subarray(0, n))
      put(buffer, pBg, bg.subarray(0, sw * sh * 3))
      put(buffer, pA0, table.a0)
      put(buffer, pA1, table.a1)
      put(buffer, pWx, table.wx)
      ex.compositeScaled(pFg, pA, pBg, sw, sh, dw, dh, pA0, pA1, pWx, pOut, pRowA, pRowB)
      out.set(new Uint8Array(buffer, pOut, n * 3))
      end(ex)
    },
    copyTensor(src, normalised, dst, n) {
      const ex = begin()
      const pSrc = reserve(n * 3)
      const pN = reserve(normalised.byteLength)
      const pDst = reserve(n * 12)
      const buffer = ready(ex)
      put(buffer, pSrc, src.subarray(0, n * 3))
      put(buffer, pN, normalised)
      ex.copyTensor(pSrc, pDst, n, pN)
      dst.set(new Float32Array(buffer, pDst, n * 3))
      end(ex)
    },
  }
}

let enabled = true
let kernels: WasmKernels | undefined | null = null

/**
 * The kernels for this thread, instantiated on first use; `undefined` where WebAssembly is not
 * available (or turned off by {@link useWasmKernels}).
 *
 * @internal
 */
export function wasmKernels(): WasmKernels | undefined {
  if (!enabled) return undefined
  if (kernels === null) kernels = createWasmKernels(KERNELS_WASM_BASE64)
  return kernels
}

/**
 * Turns the WebAssembly kernels on or off for this thread (tests compare both paths).
 *
 * @param on - whether to use them
 * @internal
 */
export function useWasmKernels(on: boolean): void {
  enabled = on
}

/**
 * The source of a statement that defines `const <name>` as this thread's kernels (or `undefined`),
 * for the kernels shipped to worker threads as text.
 *
 * @param name - the constant's name
 * @internal
 */
export function wasmKernelsSource(name: string): string {
  const factory = /^function\s*([\w$]+)/.exec(String(createWasmKernels))![1]!
  return `${String(createWasmKernels)}\nconst ${name} = ${factory}(${JSON.stringify(KERNELS_WASM_BASE64)})`
}
