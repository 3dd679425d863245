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
    // Eight pixels (24 samples) per step in SIMD lanes: the vertical interpolation in float64
    // lanes (the same operations as below, lane by lane), the blend in 16-bit lanes (every
    // intermediate stays below 65536), each sample with its pixel's alpha.
    const wy2 = f64x2.splat(wy)
    const half = f64x2.splat(0.5)
    const full = i16x8.splat(255)
    const round = i16x8.splat(128)
    let x = 0
    for (; x + 8 <= dw; x += 8) {
      const al8 = v128.load64_zero(p)
      for (let g = 0; g < 3; g++) {
        const q = i + <usize>(g << 3)
        const t0 = v128.load(top + (q << 3))
        const t1 = v128.load(top + (q << 3), 16)
        const t2 = v128.load(top + (q << 3), 32)
        const t3 = v128.load(top + (q << 3), 48)
        const v0 = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.add(t0, f64x2.mul(f64x2.sub(v128.load(bottom + (q << 3)), t0), wy2)), half))
        const v1 = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.add(t1, f64x2.mul(f64x2.sub(v128.load(bottom + (q << 3), 16), t1), wy2)), half))
        const v2 = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.add(t2, f64x2.mul(f64x2.sub(v128.load(bottom + (q << 3), 32), t2), wy2)), half))
        const v3 = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.add(t3, f64x2.mul(f64x2.sub(v128.load(bottom + (q << 3), 48), t3), wy2)), half))
        const v = i16x8.narrow_i32x4_u(i32x4.shuffle(v0, v1, 0, 1, 4, 5), i32x4.shuffle(v2, v3, 0, 1, 4, 5))
        const f = i16x8.extend_low_i8x16_u(v128.load64_zero(fg + j + <usize>(g << 3)))
        // Each 16-bit lane takes its pixel's alpha byte (an index of 16 or more gives 0).
        const al = g == 0
          ? i8x16.swizzle(al8, i8x16(0, -1, 0, -1, 0, -1, 1, -1, 1, -1, 1, -1, 2, -1, 2, -1))
          : g == 1
            ? i8x16.swizzle(al8, i8x16(2, -1, 3, -1, 3, -1, 3, -1, 4, -1, 4, -1, 4, -1, 5, -1))
            : i8x16.swizzle(al8, i8x16(5, -1, 5, -1, 6, -1, 6, -1, 6, -1, 7, -1, 7, -1, 7, -1))
        const m = i16x8.add(i16x8.add(i16x8.mul(f, al), i16x8.mul(v, i16x8.sub(full, al))), round)
        const r = i16x8.shr_u(i16x8.add(m, i16x8.shr_u(m, 8)), 8)
        v128.store64_lane(out + j + <usize>(g << 3), i8x16.narrow_i16x8_u(r, r), 0)
      }
      p += 8
      j += 24
      i += 24
    }
    for (; x < dw; x++) {
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

// Twin of `cutout`'s interleave (packages/core/src/composite.ts): `n` RGB pixels and their alpha to
// RGBA, four pixels per step with one byte shuffle (WebAssembly SIMD). Reads up to 4 bytes past the
// last RGB pixel (the caller reserves them); writes exactly `n * 4` bytes.
export function interleaveRgba(rgb: usize, a: usize, out: usize, n: i32): void {
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const c = v128.load(rgb + <usize>(i * 3))
    const al = v128.load32_zero(a + <usize>i)
    v128.store(out + (<usize>i << 2), i8x16.shuffle(c, al, 0, 1, 2, 16, 3, 4, 5, 17, 6, 7, 8, 18, 9, 10, 11, 19))
  }
  for (; i < n; i++) {
    const p = rgb + <usize>(i * 3)
    const o = out + (<usize>i << 2)
    store<u8>(o, load<u8>(p))
    store<u8>(o, load<u8>(p, 1), 1)
    store<u8>(o, load<u8>(p, 2), 2)
    store<u8>(o, load<u8>(a + <usize>i), 3)
  }
}

// Twin of `fastKernelU8` (packages/core/src/resample/area.ts): OpenCV's resizeAreaFast_<uchar, int>,
// whole blocks of `scaleX` x `scaleY` pixels summed in integers; `(s + 2) >> 2` for 2x2, else
// float32(s * scale) rounded half to even and clamped (as a Uint8ClampedArray stores it). The
// block's rows are added first, 16 samples per SIMD step, into `acc` (`sw * cn` i32), then each
// output sample adds its `scaleX` columns.
export function fastU8(src: usize, sw: i32, cn: i32, scaleX: i32, scaleY: i32, dst: usize, dw: i32, dh: i32, scale: f32, acc: usize): void {
  const srcRow = sw * cn
  const rowLen = dw * cn
  const two = scaleX == 2 && scaleY == 2
  for (let dy = 0; dy < dh; dy++) {
    memory.fill(acc, 0, <usize>srcRow << 2)
    for (let ky = 0; ky < scaleY; ky++) {
      const row = src + <usize>((dy * scaleY + ky) * srcRow)
      let i = 0
      for (; i + 16 <= srcRow; i += 16) {
        const v = v128.load(row + <usize>i)
        const lo = i16x8.extend_low_i8x16_u(v)
        const hi = i16x8.extend_high_i8x16_u(v)
        const q = acc + (<usize>i << 2)
        v128.store(q, i32x4.add(v128.load(q), i32x4.extend_low_i16x8_u(lo)))
        v128.store(q, i32x4.add(v128.load(q, 16), i32x4.extend_high_i16x8_u(lo)), 16)
        v128.store(q, i32x4.add(v128.load(q, 32), i32x4.extend_low_i16x8_u(hi)), 32)
        v128.store(q, i32x4.add(v128.load(q, 48), i32x4.extend_high_i16x8_u(hi)), 48)
      }
      for (; i < srcRow; i++) {
        const q = acc + (<usize>i << 2)
        store<i32>(q, load<i32>(q) + <i32>load<u8>(row + <usize>i))
      }
    }
    const o = dst + <usize>(dy * rowLen)
    for (let dx = 0; dx < dw; dx++) {
      for (let c = 0; c < cn; c++) {
        let q = acc + (<usize>(dx * scaleX * cn + c) << 2)
        let s = 0
        for (let kx = 0; kx < scaleX; kx++) {
          s += load<i32>(q)
          q += <usize>cn << 2
        }
        let v: i32
        if (two) v = (s + 2) >> 2
        else {
          const r = <i32>nearest(<f32>s * scale)
          v = r < 0 ? 0 : r > 255 ? 255 : r
        }
        store<u8>(o + <usize>(dx * cn + c), <u8>v)
      }
    }
  }
}

// Twin of `quantizeInto` (packages/core/src/postprocess/alpha.ts): `trunc(alpha * 255)` in float64,
// clamped to [0, 255], NaN to 0, four values per step: float64 lanes for the product (as
// JavaScript computes it), a saturating truncation, and saturating narrows for the clamp.
export function quantize(src: usize, dst: usize, n: i32): void {
  const k = f64x2.splat(255.0)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2))
    const lo = i32x4.trunc_sat_f64x2_s_zero(f64x2.mul(f64x2.promote_low_f32x4(v), k))
    const hi = i32x4.trunc_sat_f64x2_s_zero(f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)), k))
    const w = i64x2.shuffle(lo, hi, 0, 2)
    const h = i16x8.narrow_i32x4_s(w, w)
    v128.store32_lane(dst + <usize>i, i8x16.narrow_i16x8_u(h, h), 0)
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(src + (<usize>i << 2)) * 255.0
    store<u8>(dst + <usize>i, v >= 255.0 ? 255 : v > 0.0 ? <u8><i32>v : 0)
  }
}

// Where the caller may lay out its data: the first byte after the module's own static data.
export function heapBase(): usize {
  return __heap_base
}
