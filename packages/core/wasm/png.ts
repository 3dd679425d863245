// MatteKit's PNG encoder's hot loops in AssemblyScript, compiled to WebAssembly by `npm run wasm`
// (scripts/build-wasm.ts) into packages/core/src/wasm/png.generated.ts (git-ignored). A module of
// its own, apart from the resampling kernels, so that bundles without PNG encoding (the browser's)
// do not carry it. Pointers are byte offsets into the module's memory, laid out by the caller
// (`deflateStripWasm` in packages/core/src/png.ts).

// Twins of `filterUp`, `deflateScan`, `deflateEmit`, `adler32` and `crc32` (packages/core/src/png.ts),
// byte for byte. PNG's Up filter, 16 bytes per SIMD step: `rows` rows of `rowBytes`
// from `src`, each written to `dst` as the filter type byte (2) and the row less the row above it
// (`prev` for the first row; 0 for none: that row is copied as is).
export function filterUp(src: usize, dst: usize, rowBytes: i32, rows: i32, prev: usize): void {
  for (let y = 0; y < rows; y++) {
    const s = src + <usize>(y * rowBytes)
    const d = dst + <usize>(y * (rowBytes + 1))
    const p = y == 0 ? prev : s - <usize>rowBytes
    store<u8>(d, 2)
    if (p == 0) {
      memory.copy(d + 1, s, <usize>rowBytes)
      continue
    }
    let i = 0
    for (; i + 16 <= rowBytes; i += 16) {
      v128.store(d + 1 + <usize>i, i8x16.sub(v128.load(s + <usize>i), v128.load(p + <usize>i)))
    }
    for (; i < rowBytes; i++) store<u8>(d + 1 + <usize>i, load<u8>(s + <usize>i) - load<u8>(p + <usize>i))
  }
}

// @ts-ignore: decorator
@inline function repeated(b: i32): u64 {
  return <u64>(b & 255) * 0x0101010101010101
}

// The deflate tokens of `n` bytes at `buf` (`prev`: the byte before them, -1 for none): 8-byte
// groups of literals, and runs (a group all equal to the byte before it, extended bytewise) sent
// as matches at distance 1 of up to 258. Counts the symbols into four interleaved histograms of
// 288 u32 at `hist` (the caller sums them) and lists the runs at `runs` (start, length: two i32
// each); returns the number of runs.
export function deflateScan(buf: usize, n: i32, prev: i32, hist: usize, lenSym: usize, runs: usize): i32 {
  let i = 0
  let last = prev
  let nr = 0
  const h1 = hist + 1152
  const h2 = hist + 2304
  const h3 = hist + 3456
  while (i + 8 <= n) {
    const x = load<u64>(buf + <usize>i)
    if (last >= 0 && x == repeated(last)) {
      const start = i
      i += 8
      while (i + 8 <= n && load<u64>(buf + <usize>i) == x) i += 8
      while (i < n && <i32>load<u8>(buf + <usize>i) == last) i++
      const len = i - start
      store<i32>(runs + (<usize>nr << 3), start)
      store<i32>(runs + (<usize>nr << 3), len, 4)
      nr++
      const full = len / 258
      const r = len - full * 258
      let q = hist + (285 << 2)
      store<u32>(q, load<u32>(q) + <u32>full)
      q = r >= 3 ? hist + (<usize>load<u16>(lenSym + (<usize>r << 1)) << 2) : hist + (<usize>last << 2)
      store<u32>(q, load<u32>(q) + <u32>(r >= 3 ? 1 : r))
      continue
    }
    let q = hist + (<usize>(x & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h1 + (<usize>((x >> 8) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h2 + (<usize>((x >> 16) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h3 + (<usize>((x >> 24) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = hist + (<usize>((x >> 32) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h1 + (<usize>((x >> 40) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h2 + (<usize>((x >> 48) & 255) << 2)
    store<u32>(q, load<u32>(q) + 1)
    q = h3 + (<usize>(x >> 56) << 2)
    store<u32>(q, load<u32>(q) + 1)
    last = <i32>(x >> 56)
    i += 8
  }
  for (; i < n; i++) {
    const q = hist + (<usize>load<u8>(buf + <usize>i) << 2)
    store<u32>(q, load<u32>(q) + 1)
  }
  return nr
}

// Writes the tokens `deflateScan` found as Huffman codes, then the end of the block, from `out` on, after the `bitCount`
// pending bits `bits` (both at `state`, and written back there: fewer than 8 remain). `lit`: per
// symbol 0..285 its bit-reversed code | length << 24 (lengths at most 14, so four literals fit one
// 64-bit step); `run`/`runBits`: per match length 3..258 the whole match's bits (length code,
// extra bits, distance code). Each step stores 8 bytes and advances by the whole bytes written
// (the caller leaves 8 bytes of slack). Returns the end of the output.
export function deflateEmit(
  buf: usize, n: i32, prev: i32, lit: usize, run: usize, runBits: usize, runs: usize, nr: i32, out: usize, state: usize,
): usize {
  let acc = <u64>load<u32>(state)
  let nb = <u64>load<u32>(state, 4)
  let i = 0
  let k = 0
  while (true) {
    const stop = k < nr ? load<i32>(runs + (<usize>k << 3)) : n
    while (i + 4 <= stop) {
      const x = load<u32>(buf + <usize>i)
      const c0 = load<u32>(lit + (<usize>(x & 255) << 2))
      const c1 = load<u32>(lit + (<usize>((x >> 8) & 255) << 2))
      const c2 = load<u32>(lit + (<usize>((x >> 16) & 255) << 2))
      const c3 = load<u32>(lit + (<usize>(x >> 24) << 2))
      const l0 = <u64>(c0 >> 24)
      const l01 = l0 + <u64>(c1 >> 24)
      const l012 = l01 + <u64>(c2 >> 24)
      const v = <u64>(c0 & 0xffffff) | (<u64>(c1 & 0xffffff) << l0) | (<u64>(c2 & 0xffffff) << l01) | (<u64>(c3 & 0xffffff) << l012)
      acc |= v << nb
      nb += l012 + <u64>(c3 >> 24)
      store<u64>(out, acc)
      const whole = nb >> 3
      out += <usize>whole
      acc >>= whole << 3
      nb &= 7
      i += 4
    }
    while (i < stop) {
      const c = load<u32>(lit + (<usize>load<u8>(buf + <usize>i) << 2))
      acc |= <u64>(c & 0xffffff) << nb
      nb += <u64>(c >> 24)
      store<u64>(out, acc)
      const whole = nb >> 3
      out += <usize>whole
      acc >>= whole << 3
      nb &= 7
      i++
    }
    if (k >= nr) break
    let len = load<i32>(runs + (<usize>k << 3), 4)
    const b = i == 0 ? prev : <i32>load<u8>(buf + <usize>(i - 1))
    i += len
    k++
    while (len > 0) {
      let bits: u64
      let count: u64
      if (len >= 3) {
        const m = len >= 258 ? 258 : len
        bits = <u64>load<u32>(run + (<usize>m << 2))
        count = <u64>load<u8>(runBits + <usize>m)
        len -= m
      } else {
        const c = load<u32>(lit + (<usize>b << 2))
        bits = <u64>(c & 0xffffff)
        count = <u64>(c >> 24)
        len--
      }
      acc |= bits << nb
      nb += count
      store<u64>(out, acc)
      const whole = nb >> 3
      out += <usize>whole
      acc >>= whole << 3
      nb &= 7
    }
  }
  // The block's end (symbol 256).
  const eob = load<u32>(lit + (256 << 2))
  acc |= <u64>(eob & 0xffffff) << nb
  nb += <u64>(eob >> 24)
  store<u64>(out, acc)
  const whole = nb >> 3
  out += <usize>whole
  acc >>= whole << 3
  nb &= 7
  store<u32>(state, <u32>acc)
  store<u32>(state, <u32>nb, 4)
  return out
}

// zlib's Adler-32 of `n` bytes, continuing from `start`: 16 bytes per SIMD step in blocks of 5552
// bytes (zlib's NMAX, so no lane overflows before the modulo).
export function adler32(buf: usize, n: i32, start: u32): u32 {
  let a = <u64>(start & 0xffff)
  let b = <u64>(start >>> 16)
  const wLo = i16x8(16, 15, 14, 13, 12, 11, 10, 9)
  const wHi = i16x8(8, 7, 6, 5, 4, 3, 2, 1)
  const ones = i16x8.splat(1)
  let i = 0
  while (i < n) {
    const end = min(n, i + 5552)
    const chunks = (end - i) >> 4
    let vPrev = i32x4.splat(0)
    let vSum = i32x4.splat(0)
    let vWeighted = i32x4.splat(0)
    for (let c = 0; c < chunks; c++) {
      const v = v128.load(buf + <usize>i)
      const lo = i16x8.extend_low_i8x16_u(v)
      const hi = i16x8.extend_high_i8x16_u(v)
      vPrev = i32x4.add(vPrev, vSum)
      vSum = i32x4.add(vSum, i32x4.add(i32x4.dot_i16x8_s(lo, ones), i32x4.dot_i16x8_s(hi, ones)))
      vWeighted = i32x4.add(vWeighted, i32x4.add(i32x4.dot_i16x8_s(lo, wLo), i32x4.dot_i16x8_s(hi, wHi)))
      i += 16
    }
    const prevSums = <u64>i32x4.extract_lane(vPrev, 0) + <u64>i32x4.extract_lane(vPrev, 1) + <u64>i32x4.extract_lane(vPrev, 2) + <u64>i32x4.extract_lane(vPrev, 3)
    const sum = <u64>i32x4.extract_lane(vSum, 0) + <u64>i32x4.extract_lane(vSum, 1) + <u64>i32x4.extract_lane(vSum, 2) + <u64>i32x4.extract_lane(vSum, 3)
    const weighted = <u64>i32x4.extract_lane(vWeighted, 0) + <u64>i32x4.extract_lane(vWeighted, 1) + <u64>i32x4.extract_lane(vWeighted, 2) + <u64>i32x4.extract_lane(vWeighted, 3)
    b += (<u64>chunks << 4) * a + (prevSums << 4) + weighted
    a += sum
    for (; i < end; i++) {
      a += <u64>load<u8>(buf + <usize>i)
      b += a
    }
    a %= 65521
    b %= 65521
  }
  return <u32>((b << 16) | a)
}

// CRC-32 (PNG's, zlib's) of `n` bytes continuing from `crc`, eight bytes per step ("slicing by 8")
// with the 8 x 256 table at `table`.
export function crc32(buf: usize, n: i32, crc: u32, table: usize): u32 {
  let c = ~crc
  let i = 0
  for (; i + 8 <= n; i += 8) {
    const lo = load<u32>(buf + <usize>i) ^ c
    const hi = load<u32>(buf + <usize>i, 4)
    c =
      load<u32>(table + (<usize>(1792 + (lo & 255)) << 2)) ^
      load<u32>(table + (<usize>(1536 + ((lo >>> 8) & 255)) << 2)) ^
      load<u32>(table + (<usize>(1280 + ((lo >>> 16) & 255)) << 2)) ^
      load<u32>(table + (<usize>(1024 + (lo >>> 24)) << 2)) ^
      load<u32>(table + (<usize>(768 + (hi & 255)) << 2)) ^
      load<u32>(table + (<usize>(512 + ((hi >>> 8) & 255)) << 2)) ^
      load<u32>(table + (<usize>(256 + ((hi >>> 16) & 255)) << 2)) ^
      load<u32>(table + (<usize>(hi >>> 24) << 2))
  }
  for (; i < n; i++) c = load<u32>(table + (<usize>((c ^ load<u8>(buf + <usize>i)) & 255) << 2)) ^ (c >>> 8)
  return ~c
}

// Where the caller may lay out its data: the first byte after the module's own static data.
export function heapBase(): usize {
  return __heap_base
}
