/**
 * The WebAssembly twins of core's heaviest loops: the model tensor (`toModelTensor`: the area
 * reduction fused with normalisation, and the plain normalisation when no resize is needed), the
 * 8-bit enlargement of the matte (`resizeMatte`), the composite over a background enlarged on the
 * fly (`compositeScaled`, the video blur background), the 8-bit block average (`resizeArea` at
 * integer scales, behind `reducedBlur`), the cut-out's RGBA interleave (`cutout`) and the alpha's
 * quantisation (`quantizeAlpha`). Source:
 * `packages/core/wasm/kernels.ts` (AssemblyScript, with 128-bit SIMD where lanes fit the work),
 * compiled by `npm run wasm`.
 *
 * They perform the same IEEE operations in the same order as the JavaScript kernels, so the
 * results are bit-identical (tested on random sizes against the JavaScript path, and against
 * OpenCV through the reference tests); they run 1.5-3.3x faster (2.3x for the 1080p tensor, 3.3x for
 * the 1080p matte) because WebAssembly has no per-access bounds checks or element conversions. Where WebAssembly is missing or refused (a
 * page whose Content-Security-Policy lacks `'wasm-unsafe-eval'`), core uses the JavaScript kernels.
 *
 * @packageDocumentation
 */

import type { AreaAxis, LinearAxis } from '../resample/area.js'
import type { PaddedAxis } from '../preprocess/tensor.js'
import { KERNELS_WASM_BASE64 } from './kernels.generated.js'

/**
 * The kernels, bound to one WebAssembly instance. Each returns false, having written nothing, when
 * its data does not fit in the memory the engine allows; the caller then uses the JavaScript kernel.
 */
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
  ): boolean
  /**
   * `linearKernelU8`'s work for one channel: destination rows `dy0` to `dy1 - 1`, written to `dst`
   * from index `(dy - dstRow0) * dw`.
   */
  linearU8(src: Uint8Array, sw: number, sh: number, x: LinearAxis, y: LinearAxis, dst: Uint8Array, dw: number, dy0: number, dy1: number, dstRow0: number): boolean
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
  ): boolean
  /** `copyPlanar`'s work: `n` RGB pixels (at the model's size) to three planes of `n` values. */
  copyTensor(src: Uint8Array, normalised: Float64Array, dst: Float32Array, n: number): boolean
  /**
   * `fastKernelU8`'s work: block averages of `scaleX` x `scaleY` pixels of `src` (`sw` wide, `cn`
   * channels) into `dst` (`dw` x `dh`).
   */
  fastU8(src: Uint8Array, sw: number, cn: number, scaleX: number, scaleY: number, dst: Uint8Array, dw: number, dh: number): boolean
  /** `cutout`'s interleave: `n` RGB pixels and their alpha `a` to RGBA in `out`. */
  interleaveRgba(rgb: Uint8Array, a: Uint8Array, out: Uint8Array, n: number): boolean
  /** `quantizeInto`'s work: `alpha` to 8-bit levels in `out` (same length). */
  quantize(alpha: Float32Array, out: Uint8Array): boolean
  /**
   * Runs `work` on this instance: `exports` are the module's, `heap` lays out memory for one call as
   * the kernels above do. For modules other than the kernels' (the PNG encoder's); false, as for the
   * kernels, when the memory cannot hold the call's data.
   */
  call(work: (exports: WasmExports, heap: WasmHeap) => void): boolean
}

/** A module's exports, as {@link WasmKernels.call} hands them over. */
export interface WasmExports {
  readonly memory: { readonly buffer: ArrayBuffer }
  readonly [name: string]: unknown
}

/** Memory for one call of {@link WasmKernels.call}: reserve the regions, then `ready`, then fill them. */
export interface WasmHeap {
  /** Reserves `length` bytes (8-byte aligned); returns their offset. */
  reserve(length: number): number
  /** Grows the memory to hold what was reserved; returns its buffer. Throws a RangeError past the limit. */
  ready(exports: WasmExports): ArrayBuffer
  /** Copies `data` into the buffer at offset `p`. */
  put(buffer: ArrayBuffer, p: number, data: Uint8Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array): void
}

/**
 * Instantiates the kernels from their base64 binary, or returns `undefined` where WebAssembly is
 * unavailable or refused. Given another of core's modules (the PNG encoder's), only `call` is of
 * use. Self-contained (it uses nothing outside its own body but language
 * globals), because the worker kernels of `@mattekit/node` ship its source as text.
 *
 * Memory: each call lays out its inputs from the module's heap base and grows the memory as
 * needed; an instance whose memory grew past 64 MiB (an image of about 20 megapixels) is dropped
 * after the call, and the next call starts a fresh one, so a single huge photo does not pin its
 * size for the life of the page.
 *
 * @param base64 - the module's bytes
 * @param maxBytes - the most memory a call may use; a call that needs more returns false (as one
 *   beyond the engine's own limit does)
 */
export function createWasmKernels(base64: string, maxBytes = Infinity): WasmKernels | undefined {
  interface Exports {
    readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
    heapBase(): number
    areaTensor(...args: number[]): void
    linearU8(...args: number[]): void
    copyTensor(...args: number[]): void
    compositeScaled(...args: number[]): void
    interleaveRgba(...args: number[]): void
    fastU8(...args: number[]): void
    quantize(...args: number[]): void
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
  // Helpers are methods of one object, not named inner functions: bundlers that keep names wrap
  // named inner functions in a helper call (`__name`) that a minifier renames, which would break
  // this function's source where it is shipped to workers as text.
  const heap = {
    limit: 64 * 2 ** 20,
    live: undefined as Exports | undefined,
    at: 0,
    begin(): Exports {
      this.live ??= new api.Instance(module, {}).exports
      this.at = this.live.heapBase()
      return this.live
    },
    reserve(length: number): number {
      const p = this.at
      this.at = Math.ceil((this.at + length) / 8) * 8 // 8-byte aligned, no 32-bit wrap
      return p
    },
    ready(ex: Exports): ArrayBuffer {
      const have = ex.memory.buffer.byteLength
      if (this.at > maxBytes) throw new RangeError(`${this.at} bytes of WebAssembly memory asked, ${maxBytes} allowed`)
      if (this.at > have) ex.memory.grow(Math.ceil((this.at - have) / 65536)) // throws past the engine's limit
      return ex.memory.buffer
    },
    end(): void {
      if (this.live !== undefined && this.live.memory.buffer.byteLength > this.limit) this.live = undefined
    },
    put(buffer: ArrayBuffer, p: number, data: Uint8Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array): void {
      new Uint8Array(buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    },
    /**
     * Runs one call's work; false when the memory cannot hold its data (the memory cannot grow that
     * far: a RangeError before anything is written to the caller's output), so the caller falls
     * back to JavaScript. Drops an instance grown past `limit` either way.
     */
    run(work: () => void): boolean {
      try {
        work()
        return true
      } catch (error) {
        if (!(error instanceof RangeError)) throw error
        this.live = undefined
        return false
      } finally {
        this.end()
      }
    },
  }
  return {
    areaTensor(src, sw, srcRow0, px, y, normalised, dst, dw, dh, rowStart, rowEnd) {
      return heap.run(() => {
        const ex = heap.begin()
        const srcRow = sw * 3
        // Only the source rows these output rows read.
        const first = y.index[y.start[rowStart]!]! - srcRow0
        const last = y.index[y.start[rowEnd]! - 1]! - srcRow0
        const rows = rowEnd - rowStart
        const pSrc = heap.reserve((last - first + 1) * srcRow)
        const pOff = heap.reserve(px.offset.byteLength)
        const pWt = heap.reserve(px.weight.byteLength)
        const pYs = heap.reserve(y.start.byteLength)
        const pYi = heap.reserve(y.index.byteLength)
        const pYw = heap.reserve(y.weight.byteLength)
        const pN = heap.reserve(normalised.byteLength)
        const pEven = heap.reserve(dw * 3 * 8)
        const pOdd = heap.reserve(dw * 3 * 8)
        const pDst = heap.reserve(3 * rows * dw * 4)
        const buffer = heap.ready(ex)
        heap.put(buffer, pSrc, src.subarray(first * srcRow, (last + 1) * srcRow))
        heap.put(buffer, pOff, px.offset)
        heap.put(buffer, pWt, px.weight)
        heap.put(buffer, pYs, y.start)
        heap.put(buffer, pYi, y.index)
        heap.put(buffer, pYw, y.weight)
        heap.put(buffer, pN, normalised)
        ex.areaTensor(pSrc, srcRow, srcRow0 + first, pOff, pWt, px.k, pYs, pYi, pYw, pDst, dw, rowStart, rowEnd, pN, pEven, pOdd)
        const plane = dw * dh
        for (let c = 0; c < 3; c++) dst.set(new Float32Array(buffer, pDst + c * rows * dw * 4, rows * dw), c * plane + rowStart * dw)
      })
    },
    linearU8(src, sw, sh, x, y, dst, dw, dy0, dy1, dstRow0) {
      return heap.run(() => {
        const ex = heap.begin()
        const pSrc = heap.reserve(src.byteLength)
        const pXi = heap.reserve(x.index.byteLength)
        const pA0 = heap.reserve(x.iw0.byteLength)
        const pA1 = heap.reserve(x.iw1.byteLength)
        const pYi = heap.reserve(y.index.byteLength)
        const pB0 = heap.reserve(y.iw0.byteLength)
        const pB1 = heap.reserve(y.iw1.byteLength)
        const pRowA = heap.reserve(dw * 4)
        const pRowB = heap.reserve(dw * 4)
        const pDst = heap.reserve((dy1 - dy0) * dw)
        const buffer = heap.ready(ex)
        heap.put(buffer, pSrc, src)
        heap.put(buffer, pXi, x.index)
        heap.put(buffer, pA0, x.iw0)
        heap.put(buffer, pA1, x.iw1)
        heap.put(buffer, pYi, y.index)
        heap.put(buffer, pB0, y.iw0)
        heap.put(buffer, pB1, y.iw1)
        ex.linearU8(pSrc, sw, sh, pXi, pA0, pA1, x.limit, pYi, pB0, pB1, pDst, dw, dy0, dy1, pRowA, pRowB)
        dst.set(new Uint8Array(buffer, pDst, (dy1 - dy0) * dw), (dy0 - dstRow0) * dw)
      })
    },
    compositeScaled(fg, a, bg, sw, sh, dw, dh, table, out) {
      return heap.run(() => {
        const ex = heap.begin()
        const n = dw * dh
        const pFg = heap.reserve(n * 3)
        const pA = heap.reserve(n)
        const pBg = heap.reserve(sw * sh * 3)
        const pA0 = heap.reserve(table.a0.byteLength)
        const pA1 = heap.reserve(table.a1.byteLength)
        const pWx = heap.reserve(table.wx.byteLength)
        const pOut = heap.reserve(n * 3)
        const pRowA = heap.reserve(dw * 3 * 8)
        const pRowB = heap.reserve(dw * 3 * 8)
        const buffer = heap.ready(ex)
        heap.put(buffer, pFg, fg.subarray(0, n * 3))
        heap.put(buffer, pA, a.subarray(0, n))
        heap.put(buffer, pBg, bg.subarray(0, sw * sh * 3))
        heap.put(buffer, pA0, table.a0)
        heap.put(buffer, pA1, table.a1)
        heap.put(buffer, pWx, table.wx)
        ex.compositeScaled(pFg, pA, pBg, sw, sh, dw, dh, pA0, pA1, pWx, pOut, pRowA, pRowB)
        out.set(new Uint8Array(buffer, pOut, n * 3))
      })
    },
    copyTensor(src, normalised, dst, n) {
      return heap.run(() => {
        const ex = heap.begin()
        const pSrc = heap.reserve(n * 3)
        const pN = heap.reserve(normalised.byteLength)
        const pDst = heap.reserve(n * 12)
        const buffer = heap.ready(ex)
        heap.put(buffer, pSrc, src.subarray(0, n * 3))
        heap.put(buffer, pN, normalised)
        ex.copyTensor(pSrc, pDst, n, pN)
        dst.set(new Float32Array(buffer, pDst, n * 3))
      })
    },
    fastU8(src, sw, cn, scaleX, scaleY, dst, dw, dh) {
      return heap.run(() => {
        const ex = heap.begin()
        const used = dh * scaleY * sw * cn // the rows the blocks cover
        const pSrc = heap.reserve(used)
        const pAcc = heap.reserve(sw * cn * 4)
        const pDst = heap.reserve(dw * dh * cn)
        const buffer = heap.ready(ex)
        heap.put(buffer, pSrc, src.subarray(0, used))
        ex.fastU8(pSrc, sw, cn, scaleX, scaleY, pDst, dw, dh, Math.fround(1 / (scaleX * scaleY)), pAcc)
        dst.set(new Uint8Array(buffer, pDst, dw * dh * cn))
      })
    },
    interleaveRgba(rgb, a, out, n) {
      return heap.run(() => {
        const ex = heap.begin()
        const pRgb = heap.reserve(n * 3 + 16) // the last step reads past the final pixel
        const pA = heap.reserve(n + 16)
        const pOut = heap.reserve(n * 4)
        const buffer = heap.ready(ex)
        heap.put(buffer, pRgb, rgb.subarray(0, n * 3))
        heap.put(buffer, pA, a.subarray(0, n))
        ex.interleaveRgba(pRgb, pA, pOut, n)
        out.set(new Uint8Array(buffer, pOut, n * 4))
      })
    },
    call(work) {
      return heap.run(() => work(heap.begin() as unknown as WasmExports, heap as unknown as WasmHeap))
    },
    quantize(alpha, out) {
      return heap.run(() => {
        const ex = heap.begin()
        const n = alpha.length
        const pSrc = heap.reserve(n * 4)
        const pOut = heap.reserve(n + 4) // the last step writes 4 bytes
        const buffer = heap.ready(ex)
        heap.put(buffer, pSrc, alpha)
        ex.quantize(pSrc, pOut, n)
        out.set(new Uint8Array(buffer, pOut, n))
      })
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
 * Whether WebAssembly kernels are on for this thread (see {@link useWasmKernels}).
 *
 * @internal
 */
export function wasmKernelsEnabled(): boolean {
  return enabled
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
