// MatteKit's hot-path kernels in AssemblyScript, compiled to WebAssembly by `npm run wasm`
// (scripts/build-wasm.ts) into packages/core/src/wasm/kernels.generated.ts (git-ignored).
//
// Each kernel is the same arithmetic, in the same order, as its JavaScript twin in core's sources
// (named below), so results are bit-identical: WebAssembly floats are IEEE binary64/binary32 with
// round-to-nearest and no fused multiply-add, and its i32 arithmetic wraps as Math.imul does.
// What WebAssembly saves is JavaScript's bounds check and element conversion on every typed-array
// access: 1.5-3.3x on these loops. Pointers are byte offsets into the module's memory, laid out by
// the caller (packages/core/src/wasm/kernels.ts).

// Twin of `areaPlanar` + `areaRowPadded` (packages/core/src/preprocess/tensor.ts): OpenCV's
// resizeArea_<double, double> on the normalised float64 image, fused, for output rows
// rowStart..rowEnd-1, written to three planes of `rows * dw` float32 values (`rows = rowEnd -
// rowStart`). `src` holds the source rows from `srcRow0` on; the horizontal table is padded to `k`
// entries per pixel (weight 0 after the real ones).
export function areaTensor(
  src: usize, srcRow: i32, srcRow0: i32,
  off: usize, wt: usize, k: i32,
  ys: usize, yi: usize, yw: usize,
  dst: usize, dw: i32, rowStart: i32, rowEnd: i32,
  N: usize, sumEven: usize, sumOdd: usize,
): void {
  const plane = <usize>(dw * (rowEnd - rowStart)) << 2
  const rowBytes = <usize>(dw * 3) << 3
  const entries = load<i32>(ys + (<usize>rowEnd << 2))
  let dy = rowStart
  let j = load<i32>(ys + (<usize>rowStart << 2))
  while (j < entries) {
    const sumA = (dy & 1) == 0 ? sumEven : sumOdd
    if (j == load<i32>(ys + (<usize>dy << 2))) memory.fill(sumA, 0, rowBytes)
    const sy = load<i32>(yi + (<usize>j << 2))
    const base = src + <usize>((sy - srcRow0) * srcRow)
    // A source row feeds at most two output rows: then the next entry is the first of row dy + 1.
    const shared = j + 1 < entries && load<i32>(yi + (<usize>(j + 1) << 2)) == sy
    const sumB = (dy & 1) == 0 ? sumOdd : sumEven
    if (shared) memory.fill(sumB, 0, rowBytes)
    const beta = load<f64>(yw + (<usize>j << 3))
    const beta2 = shared ? load<f64>(yw + (<usize>(j + 1) << 3)) : 0.0
    let o = off
    let w = wt
    let s = sumA
    let t = sumB
    for (let dx = 0; dx < dw; dx++) {
      let r = 0.0
      let g = 0.0
      let b = 0.0
      for (let e = 0; e < k; e++) {
        const p = base + <usize>load<i32>(o)
        const we = load<f64>(w)
        r += load<f64>(N + (<usize>load<u8>(p) << 3)) * we
        g += load<f64>(N + (<usize>load<u8>(p, 1) << 3)) * we
        b += load<f64>(N + (<usize>load<u8>(p, 2) << 3)) * we
        o += 4
        w += 8
      }
      store<f64>(s, load<f64>(s) + beta * r)
      store<f64>(s, load<f64>(s, 8) + beta * g, 8)
      store<f64>(s, load<f64>(s, 16) + beta * b, 16)
      if (shared) {
        store<f64>(t, load<f64>(t) + beta2 * r)
        store<f64>(t, load<f64>(t, 8) + beta2 * g, 8)
        store<f64>(t, load<f64>(t, 16) + beta2 * b, 16)
      }
      s += 24
      t += 24
    }
    j += shared ? 2 : 1
    // Write out the output rows whose last entry is in.
    while (dy < rowEnd && j >= load<i32>(ys + (<usize>(dy + 1) << 2))) {
      let q = (dy & 1) == 0 ? sumEven : sumOdd
      let d = dst + (<usize>((dy - rowStart) * dw) << 2)
      for (let dx = 0; dx < dw; dx++) {
        store<f32>(d, <f32>load<f64>(q))
        store<f32>(d + plane, <f32>load<f64>(q, 8))
        store<f32>(d + plane + plane, <f32>load<f64>(q, 16))
        q += 24
        d += 4
      }
      dy++
    }
  }
}

// Twin of `hlineU8` for one channel (packages/core/src/resample/area.ts): a source row resampled
// horizontally in 11-bit fixed point, shifted right by 4.
function hline(src: usize, xi: usize, a0: usize, a1: usize, limit: i32, dw: i32, out: usize): void {
  let dx = 0
  for (; dx < limit; dx++) {
    const p = src + <usize>load<i32>(xi + (<usize>dx << 2))
    const v = (<i32>load<u8>(p) * load<i32>(a0 + (<usize>dx << 2)) + <i32>load<u8>(p, 1) * load<i32>(a1 + (<usize>dx << 2))) >> 4
    store<i32>(out + (<usize>dx << 2), v)
  }
  for (; dx < dw; dx++) store<i32>(out + (<usize>dx << 2), (<i32>load<u8>(src + <usize>load<i32>(xi + (<usize>dx << 2))) * 2048) >> 4)
}

// Twin of `linearKernelU8` for one channel (packages/core/src/resample/area.ts): OpenCV's generic
// linear resizer with INTER_AREA's coefficients on 8-bit data (enlarging), destination rows
// dy0..dy1-1 written from `dst` on. `rowA` and `rowB` hold two horizontal rows (`dw` i32 each).
export function linearU8(
  src: usize, sw: i32, sh: i32,
  xi: usize, a0: usize, a1: usize, limit: i32,
  yi: usize, b0s: usize, b1s: usize,
  dst: usize, dw: i32, dy0: i32, dy1: i32,
  rowA: usize, rowB: usize,
): void {
  const last = sh - 1
  let heldA = -1
  let heldB = -1
  let prevR0 = -1
  let prevR1 = -1
  let prevB0 = -1
  let prevB1 = -1
  const rowLen = <usize>dw
  for (let dy = dy0; dy < dy1; dy++) {
    const sy = load<i32>(yi + (<usize>dy << 2))
    const r0 = sy < last ? sy : last
    const r1 = sy + 1 < last ? sy + 1 : last
    const b0 = load<i32>(b0s + (<usize>dy << 2))
    const b1 = load<i32>(b1s + (<usize>dy << 2))
    const o = dst + <usize>(dy - dy0) * rowLen
    if (r0 == prevR0 && r1 == prevR1 && b0 == prevB0 && b1 == prevB1) {
      // Same rows, same weights: when enlarging, most rows repeat the one above.
      memory.copy(o, o - rowLen, rowLen)
      continue
    }
    prevR0 = r0
    prevR1 = r1
    prevB0 = b0
    prevB1 = b1
    // The row cache of `RowCache.locate`: reuse a held row, else compute into the buffer not holding the other tap.
    let h0: usize
    if (heldA == r0) h0 = rowA
    else if (heldB == r0) h0 = rowB
    else {
      if (heldA == r1) { h0 = rowB; heldB = r0 } else { h0 = rowA; heldA = r0 }
      hline(src + <usize>(r0 * sw), xi, a0, a1, limit, dw, h0)
    }
    if (b1 == 0) {
      for (let i: usize = 0; i < rowLen; i++) store<u8>(o + i, <u8>((((b0 * load<i32>(h0 + (i << 2))) >> 16) + 2) >> 2))
      continue
    }
    let h1: usize
    if (heldA == r1) h1 = rowA
    else if (heldB == r1) h1 = rowB
    else {
      if (heldA == r0) { h1 = rowB; heldB = r1 } else { h1 = rowA; heldA = r1 }
      hline(src + <usize>(r1 * sw), xi, a0, a1, limit, dw, h1)
    }
    for (let i: usize = 0; i < rowLen; i++) {
      store<u8>(o + i, <u8>((((b0 * load<i32>(h0 + (i << 2))) >> 16) + ((b1 * load<i32>(h1 + (i << 2))) >> 16) + 2) >> 2))
    }
  }
}

// Twin of `copyPlanar` (packages/core/src/preprocess/tensor.ts): interleaved 8-bit RGB at the
// model's size to three planes of normalised float32 values.
export function copyTensor(src: usize, dst: usize, n: i32, N: usize): void {
  const plane = <usize>n << 2
  let s = src
  let d = dst
  for (let i = 0; i < n; i++) {
    store<f32>(d, <f32>load<f64>(N + (<usize>load<u8>(s) << 3)))
    store<f32>(d + plane, <f32>load<f64>(N + (<usize>load<u8>(s, 1) << 3)))
    store<f32>(d + plane + plane, <f32>load<f64>(N + (<usize>load<u8>(s, 2) << 3)))
    s += 3
    d += 4
  }
}

// Twin of `hline` (packages/core/src/resample/bilinear.ts): one source row of the background,
// interpolated horizontally into float64 samples.
function bilinearLine(src: usize, a0: usize, a1: usize, wx: usize, rowLen: i32, h: usize): void {
  for (let i: usize = 0; i < <usize>rowLen; i++) {
    const p = <f64>load<u8>(src + <usize>load<i32>(a0 + (i << 2)))
    store<f64>(h + (i << 3), p + (<f64>load<u8>(src + <usize>load<i32>(a1 + (i << 2))) - p) * <f64>load<f32>(wx + (i << 2)))
  }
}

// Twin of `compositeScaled` (packages/core/src/composite.ts) with `bilinearRows` and `blendRow`:
// the subject (`fg`, RGB, `dw` x `dh`) over the background `bg` (RGB, `sw` x `sh`) enlarged
// bilinearly on the fly, `out = div255(fg * a + bg * (255 - a))`. `a0`, `a1` and `wx` are the
// horizontal table (per output sample: the two source samples and the second's float32 weight);
// `rowA` and `rowB` hold two interpolated rows (`dw * 3` float64 each).
export function compositeScaled(
  fg: usize, a: usize, bg: usize, sw: i32, sh: i32, dw: i32, dh: i32,
  a0: usize, a1: usize, wx: usize, out: usize, rowA: usize, rowB: usize,
): void {
  const rowLen = dw * 3
  const srcRow = <usize>(sw * 3)
  let top = rowA
  let bottom = rowB
  let topRow = -1
  let bottomRow = -1
  const scaleY = <f64>sh / <f64>dh
  for (let y = 0; y < dh; y++) {
    const fy = min(max((<f64>y + 0.5) * scaleY - 0.5, 0.0), <f64>(sh - 1))
    const y0 = <i32>floor(fy)
    const y1 = min(y0 + 1, sh - 1)
    const wy = fy - <f64>y0
    if (topRow != y0) {
      if (bottomRow == y0) {
        const t = top
        top = bottom
        bottom = t
        topRow = y0
        bottomRow = -1
      } else {
        bilinearLine(bg + <usize>y0 * srcRow, a0, a1, wx, rowLen, top)
        topRow = y0
      }
    }
    if (bottomRow != y1) {
      if (y1 == y0) memory.copy(bottom, top, <usize>rowLen << 3)
      else bilinearLine(bg + <usize>y1 * srcRow, a0, a1, wx, rowLen, bottom)
      bottomRow = y1
    }
    let p = a + <usize>(y * dw)
    let j = <usize>(y * rowLen)
    let i: usize = 0
    for (let x = 0; x < dw; x++) {
      const al = <i32>load<u8>(p)
      const ia = 255 - al
      for (let c: usize = 0; c < 3; c++) {
        const t = load<f64>(top + ((i + c) << 3))
        const v = <i32>(t + (load<f64>(bottom + ((i + c) << 3)) - t) * wy + 0.5)
        const m = <i32>load<u8>(fg + j + c) * al + v * ia
        store<u8>(out + j + c, <u8>((m + 128 + ((m + 128) >> 8)) >> 8))
      }
      p++
      j += 3
      i += 3
    }
  }
}

// Where the caller may lay out its data: the first byte after the module's own static data.
export function heapBase(): usize {
  return __heap_base
}
