/**
 * The MatteKit stand-in: MODNet's architecture (src/models/modnet.py, onnx/modnet_onnx.py and
 * backbones/mobilenetv2.py at commit 28165a4), its ONNX I/O contract and compute, with
 * deterministic weights that make a smooth, content-dependent matte.
 *
 * The weights are not trained and the mattes mean nothing; what matters is that the graph has the
 * real model's ops, shapes and cost, and that its output is a smooth function of the image, so
 * pipeline fidelity can be measured end to end (MODNET.md sections 4 and 5).
 *
 * How the weights are made smooth (MODNET.md section 5):
 * - every spatial kernel is a binomial low-pass profile (3x3: [1 2 1]/4, 5x5: [1 4 6 4 1]/16);
 * - channel mixes are non-negative (`(1 + rho * r) / Cin`, r uniform in [-1, 1]), so channels
 *   never cancel into a flat map that an InstanceNorm would blow up;
 * - a nominal mean and deviation is tracked for every channel, and each layer's gain and bias
 *   (the folded BatchNorms of the backbone, the IBNorm BatchNorm statistics) are set so the
 *   next ReLU6 sees mean 3 and deviation 1, and the next ReLU mean 1.5 and deviation 1: units
 *   stay in their linear range, as a trained network's normalisation keeps them;
 * - the last 1x1 conv is scaled so the logits have a nominal spread of {@link LOGIT_STD}.
 *
 * Only integer arithmetic, IEEE +-x/ and sqrt are used, so every platform writes the same bytes.
 */
import { GraphBuilder, type Value } from './graph.js'

/** Nominal standard deviation of the final logits (MODNET.md section 5 suggests about 2.5; the
 * real distribution has a long upper tail, so 2 keeps most pixels away from saturation). */
export const LOGIT_STD = 2
/** Seed of the weight generator. Changing it changes the model's SHA-256. */
export const SEED = 0x6d6f646e // "modn"

/** A small, fast, seeded PRNG (mulberry32): deterministic on every JS engine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const BINOMIAL: Record<number, readonly number[]> = {
  1: [1],
  3: [1 / 4, 2 / 4, 1 / 4],
  5: [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16],
}

function kernel2d(k: number): Float64Array {
  const p = BINOMIAL[k]
  if (!p) throw new Error(`no profile for kernel ${k}`)
  const out = new Float64Array(k * k)
  for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) out[y * k + x] = p[y]! * p[x]!
  return out
}

const filled = (n: number, v: number): Float64Array => new Float64Array(n).fill(v)

interface Target {
  mean: number
  std: number
}

/** Mean and deviation of ReLU(x) for the two regimes the generator produces. */
function reluStats(mean: number, std: number): [number, number] {
  if (mean >= 1.4 * std) return [mean, std] // essentially linear
  if (mean === 0) return [0.3989422804014327 * std, 0.5838490079908372 * std] // half-normal
  throw new Error(`ReLU regime not modelled: mean ${mean}, std ${std}`)
}

/** Builds the stand-in MODNet graph and returns the encoded ONNX bytes and its parameter count. */
export function buildStandIn(): { bytes: Uint8Array; parameters: number } {
  const g = new GraphBuilder()
  const rand = mulberry32(SEED)
  const uniform = (): number => rand() * 2 - 1

  // Shared constants, as torch's exporter emits them.
  const zero = g.floatInit('const_zero', [], new Float32Array([0]))
  const six = g.floatInit('const_six', [], new Float32Array([6]))
  const roi = g.floatInit('const_roi', [0], new Float32Array(0))
  const scales = new Map<number, string>()
  const scaleInit = (s: number): string => {
    let name = scales.get(s)
    if (!name) {
      name = g.floatInit(`const_scales_${s}`, [4], new Float32Array([1, 1, s, s]))
      scales.set(s, name)
    }
    return name
  }

  /**
   * Conv with normalised, low-pass, non-negative weights. Gain and bias put the output at the
   * target mean and deviation (a folded BatchNorm in the backbone, a plain conv bias elsewhere).
   */
  const conv = (
    x: Value,
    prefix: string,
    o: { out: number; k: number; stride?: number; depthwise?: boolean; rho?: number; target: Target },
  ): Value => {
    const { out, k, target } = o
    const stride = o.stride ?? 1
    const rho = o.rho ?? 1
    const cin = o.depthwise ? 1 : x.channels
    const kern = kernel2d(k)
    const w = new Float32Array(out * cin * k * k)
    const b = new Float32Array(out)
    const row = new Float64Array(cin)
    for (let oc = 0; oc < out; oc++) {
      let mu = 0
      let sd = 0
      for (let i = 0; i < cin; i++) {
        const mix = (1 + rho * uniform()) / cin
        row[i] = mix
        const src = o.depthwise ? oc : i
        mu += mix * x.mean[src]!
        sd += mix * x.std[src]!
      }
      const gain = target.std / Math.max(sd, 1e-6)
      b[oc] = target.mean - gain * mu
      for (let i = 0; i < cin; i++) {
        const m = row[i]! * gain
        const base = (oc * cin + i) * k * k
        for (let t = 0; t < k * k; t++) w[base + t] = m * kern[t]!
      }
    }
    const wName = g.floatInit(`${prefix}.weight`, [out, cin, k, k], w)
    const bName = g.floatInit(`${prefix}.bias`, [out], b)
    const y = g.fresh(`${prefix}.out`)
    g.node({
      op: 'Conv',
      inputs: [x.name, wName, bName],
      outputs: [y],
      attrs: {
        dilations: [1, 1],
        group: o.depthwise ? x.channels : 1,
        kernel_shape: [k, k],
        pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2],
        strides: [stride, stride],
      },
    })
    return { name: y, channels: out, mean: filled(out, target.mean), std: filled(out, target.std) }
  }

  const relu6 = (x: Value): Value => {
    const y = g.fresh('clip')
    g.node({ op: 'Clip', inputs: [x.name, zero, six], outputs: [y] })
    return { ...x, name: y }
  }

  const relu = (x: Value): Value => {
    const y = g.fresh('relu')
    g.node({ op: 'Relu', inputs: [x.name], outputs: [y] })
    const mean = new Float64Array(x.channels)
    const std = new Float64Array(x.channels)
    for (let c = 0; c < x.channels; c++) {
      const [m, s] = reluStats(x.mean[c]!, x.std[c]!)
      mean[c] = m
      std[c] = s
    }
    return { name: y, channels: x.channels, mean, std }
  }

  const concat = (xs: readonly Value[]): Value => {
    const y = g.fresh('concat')
    g.node({ op: 'Concat', inputs: xs.map((v) => v.name), outputs: [y], attrs: { axis: 1 } })
    const channels = xs.reduce((n, v) => n + v.channels, 0)
    const mean = new Float64Array(channels)
    const std = new Float64Array(channels)
    let at = 0
    for (const v of xs) {
      mean.set(v.mean, at)
      std.set(v.std, at)
      at += v.channels
    }
    return { name: y, channels, mean, std }
  }

  const resize = (x: Value, scale: number): Value => {
    const y = g.fresh('resize')
    g.node({
      op: 'Resize',
      inputs: [x.name, roi, scaleInit(scale)],
      outputs: [y],
      attrs: {
        coordinate_transformation_mode: 'pytorch_half_pixel',
        cubic_coeff_a: { float: -0.75 },
        mode: 'linear',
        nearest_mode: 'floor',
      },
    })
    return { ...x, name: y }
  }

  /** IBNorm: BatchNorm on the first half of the channels, InstanceNorm (no affine) on the rest. */
  const ibnorm = (x: Value, prefix: string): Value => {
    const nb = Math.trunc(x.channels / 2)
    const ni = x.channels - nb
    const slice = (start: number, end: number, tag: string): Value => {
      const y = g.fresh(`${prefix}.${tag}`)
      const s = g.int64Init(`${y}.starts`, [1], [start])
      const e = g.int64Init(`${y}.ends`, [1], [end])
      const a = g.int64Init(`${y}.axes`, [1], [1])
      g.node({ op: 'Slice', inputs: [x.name, s, e, a], outputs: [y] })
      return { name: y, channels: end - start, mean: x.mean.slice(start, end), std: x.std.slice(start, end) }
    }
    const bx = slice(0, nb, 'bn_in')
    const ix = slice(nb, x.channels, 'in_in')

    // BatchNorm with the statistics a trained network would have recorded, shifted so the ReLU
    // that follows sees mean 1.5 and deviation 1.
    const scale = new Float32Array(nb).fill(1)
    const bias = new Float32Array(nb).fill(1.5)
    const runMean = new Float32Array(bx.mean)
    const runVar = new Float32Array(nb)
    for (let c = 0; c < nb; c++) runVar[c] = bx.std[c]! * bx.std[c]!
    const bnOut = g.fresh(`${prefix}.bnorm.out`)
    g.node({
      op: 'BatchNormalization',
      inputs: [
        bx.name,
        g.floatInit(`${prefix}.bnorm.weight`, [nb], scale),
        g.floatInit(`${prefix}.bnorm.bias`, [nb], bias),
        g.floatInit(`${prefix}.bnorm.running_mean`, [nb], runMean),
        g.floatInit(`${prefix}.bnorm.running_var`, [nb], runVar),
      ],
      outputs: [bnOut],
      attrs: { epsilon: { float: 1e-5 }, momentum: { float: 0.9 } },
    })
    const inOut = g.fresh(`${prefix}.inorm.out`)
    g.node({
      op: 'InstanceNormalization',
      inputs: [
        ix.name,
        g.floatInit(`${prefix}.inorm.scale`, [ni], new Float32Array(ni).fill(1)),
        g.floatInit(`${prefix}.inorm.bias`, [ni], new Float32Array(ni)),
      ],
      outputs: [inOut],
      attrs: { epsilon: { float: 1e-5 } },
    })
    return concat([
      { name: bnOut, channels: nb, mean: filled(nb, 1.5), std: filled(nb, 1) },
      { name: inOut, channels: ni, mean: filled(ni, 0), std: filled(ni, 1) },
    ])
  }

  /** MODNet's Conv2dIBNormRelu (conv with bias, IBNorm, ReLU). */
  const convIbnRelu = (x: Value, prefix: string, out: number, k: number, stride = 1): Value =>
    relu(ibnorm(conv(x, `${prefix}.conv`, { out, k, stride, target: { mean: 0, std: 1 } }), prefix))

  // ---- MobileNetV2 backbone (alpha 1.0, expansion 6, no classifier; BNs folded into convs) ----
  const input: Value = { name: 'input', channels: 3, mean: filled(3, 0), std: filled(3, 0.5) }
  const act = { mean: 3, std: 1 }
  let x = relu6(conv(input, 'backbone.features.0', { out: 32, k: 3, stride: 2, target: act }))

  const settings: ReadonlyArray<readonly [number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ]
  const taps: Value[] = []
  let index = 1
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1
      const prefix = `backbone.features.${index}`
      const hidden = x.channels * t
      let h = x
      if (t !== 1) h = relu6(conv(h, `${prefix}.pw`, { out: hidden, k: 1, target: act }))
      h = relu6(conv(h, `${prefix}.dw`, { out: hidden, k: 3, stride, depthwise: true, rho: 0.2, target: act }))
      const residual = stride === 1 && x.channels === c
      h = conv(h, `${prefix}.pwl`, { out: c, k: 1, target: { mean: 0, std: residual ? 0.5 : 1 } })
      if (residual) {
        const y = g.fresh(`${prefix}.add`)
        g.node({ op: 'Add', inputs: [x.name, h.name], outputs: [y] })
        const mean = new Float64Array(c)
        const std = new Float64Array(c)
        for (let ch = 0; ch < c; ch++) {
          mean[ch] = x.mean[ch]! + h.mean[ch]!
          std[ch] = x.std[ch]! + h.std[ch]!
        }
        h = { name: y, channels: c, mean, std }
      }
      x = h
      if (index === 1 || index === 3) taps.push(x) // enc2x (16 ch), enc4x (24 ch)
      index++
    }
  }
  const enc32x = relu6(conv(x, 'backbone.features.18', { out: 1280, k: 1, target: act }))
  const [enc2x, enc4x] = taps as [Value, Value]

  // ---- Low-resolution branch: SE block, two 5x5 Conv+IBNorm+ReLU stages ----
  const seReduced = 1280 / 4
  const pooled = g.fresh('se.pool')
  g.node({ op: 'GlobalAveragePool', inputs: [enc32x.name], outputs: [pooled] })
  const shape = (name: string, from: string): string => {
    const y = g.fresh(name)
    g.node({ op: 'Shape', inputs: [from], outputs: [y] })
    return y
  }
  const dimOf = (shapeName: string, axis: number): string => {
    const idx = g.int64Init(g.fresh(`se.idx${axis}`), [], [axis])
    const gathered = g.fresh('se.gather')
    g.node({ op: 'Gather', inputs: [shapeName, idx], outputs: [gathered], attrs: { axis: 0 } })
    const unsq = g.fresh('se.unsqueeze')
    g.node({ op: 'Unsqueeze', inputs: [gathered], outputs: [unsq], attrs: { axes: [0] } })
    return unsq
  }
  const shp = shape('se.shape', enc32x.name)
  const b = dimOf(shp, 0)
  const c = dimOf(shp, 1)
  const flatShape = g.fresh('se.flat_shape')
  g.node({ op: 'Concat', inputs: [b, c], outputs: [flatShape], attrs: { axis: 0 } })
  const flat = g.fresh('se.flat')
  g.node({ op: 'Reshape', inputs: [pooled, flatShape], outputs: [flat] })
  // fc1 (1280 -> 320, no bias) + ReLU: non-negative averaging mixes keep it linear.
  const w1 = new Float32Array(1280 * seReduced)
  for (let i = 0; i < w1.length; i++) w1[i] = (1 + uniform()) / 1280
  const fc1 = g.fresh('se.fc1')
  g.node({ op: 'MatMul', inputs: [flat, g.floatInit('se.fc.0.weight_t', [1280, seReduced], w1)], outputs: [fc1] })
  const fc1r = g.fresh('se.fc1.relu')
  g.node({ op: 'Relu', inputs: [fc1], outputs: [fc1r] })
  // fc2 (320 -> 1280, no bias) + Sigmoid: centred mixes, so gates sit near 0.5 and vary gently.
  const w2 = new Float32Array(seReduced * 1280)
  for (let i = 0; i < w2.length; i++) w2[i] = (0.5 * uniform()) / seReduced
  const fc2 = g.fresh('se.fc2')
  g.node({ op: 'MatMul', inputs: [fc1r, g.floatInit('se.fc.2.weight_t', [seReduced, 1280], w2)], outputs: [fc2] })
  const gate = g.fresh('se.gate')
  g.node({ op: 'Sigmoid', inputs: [fc2], outputs: [gate] })
  const one = g.int64Init('se.one', [1], [1])
  const gateShape = g.fresh('se.gate_shape')
  g.node({ op: 'Concat', inputs: [b, c, one, one], outputs: [gateShape], attrs: { axis: 0 } })
  const gate4 = g.fresh('se.gate4')
  g.node({ op: 'Reshape', inputs: [gate, gateShape], outputs: [gate4] })
  const expanded = g.fresh('se.expand')
  g.node({ op: 'Expand', inputs: [gate4, shape('se.shape_x', enc32x.name)], outputs: [expanded] })
  const seOut = g.fresh('se.out')
  g.node({ op: 'Mul', inputs: [enc32x.name, expanded], outputs: [seOut] })
  const se: Value = {
    name: seOut,
    channels: 1280,
    mean: enc32x.mean.map((m) => m * 0.5),
    std: enc32x.std.map((s) => s * 0.5),
  }

  const lr16x = convIbnRelu(resize(se, 2), 'lr_branch.conv_lr16x', 96, 5)
  const lr8x = convIbnRelu(resize(lr16x, 2), 'lr_branch.conv_lr8x', 32, 5)

  // ---- High-resolution (detail) branch, hr_channels = 32 ----
  const hr = 32
  const img2x = resize(input, 0.5)
  const img4x = resize(input, 0.25)
  const henc2x = convIbnRelu(enc2x, 'hr_branch.tohr_enc2x', hr, 1)
  let hr4x = convIbnRelu(concat([img2x, henc2x]), 'hr_branch.conv_enc2x', hr, 3, 2)
  const henc4x = convIbnRelu(enc4x, 'hr_branch.tohr_enc4x', hr, 1)
  hr4x = convIbnRelu(concat([hr4x, henc4x]), 'hr_branch.conv_enc4x', 2 * hr, 3)
  const lr4xh = resize(lr8x, 2)
  hr4x = convIbnRelu(concat([hr4x, lr4xh, img4x]), 'hr_branch.conv_hr4x.0', 2 * hr, 3)
  hr4x = convIbnRelu(hr4x, 'hr_branch.conv_hr4x.1', 2 * hr, 3)
  hr4x = convIbnRelu(hr4x, 'hr_branch.conv_hr4x.2', hr, 3)
  let hr2x = resize(hr4x, 2)
  hr2x = convIbnRelu(concat([hr2x, henc2x]), 'hr_branch.conv_hr2x.0', 2 * hr, 3)
  hr2x = convIbnRelu(hr2x, 'hr_branch.conv_hr2x.1', hr, 3)
  hr2x = convIbnRelu(hr2x, 'hr_branch.conv_hr2x.2', hr, 3)
  hr2x = convIbnRelu(hr2x, 'hr_branch.conv_hr2x.3', hr, 3)

  // ---- Fusion branch ----
  let lr4x = resize(lr8x, 2)
  lr4x = convIbnRelu(lr4x, 'f_branch.conv_lr4x', hr, 5)
  const lr2x = resize(lr4x, 2)
  const f2x = convIbnRelu(concat([lr2x, hr2x]), 'f_branch.conv_f2x', hr, 3)
  let f = resize(f2x, 2)
  f = convIbnRelu(concat([f, input]), 'f_branch.conv_f.0', hr / 2, 3)
  const logits = conv(f, 'f_branch.conv_f.1.conv', { out: 1, k: 1, target: { mean: 0, std: LOGIT_STD } })
  g.node({ op: 'Sigmoid', inputs: [logits.name], outputs: ['output'] })

  const bytes = g.encode({
    input: 'input',
    output: 'output',
    docString:
      'MatteKit stand-in: MODNet architecture and I/O with deterministic smooth weights. ' +
      'Not trained: its mattes are meaningless; use it for timing and pipeline fidelity only.',
  })
  return { bytes, parameters: g.parameterCount }
}
