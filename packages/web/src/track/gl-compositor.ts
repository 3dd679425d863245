/**
 * The live compositor on WebGL2 (an OffscreenCanvas): the frame is a texture, the model-size
 * matte another (upsampled by the GPU's bilinear filter), the blurred background a separable
 * Gaussian at reduced resolution, and foreground estimation Forte and Pitié's blur-fusion as
 * shader passes on half-float targets (the same arithmetic as core's `estimateForeground` with
 * `method: 'blur-fusion'`).
 */
import { MatteError, defaultBlurRadius, type Matte } from '@mattekit/core'
import type { CompositorOptions, LiveBackground, LiveCompositor, LiveSource } from './compositor.js'

const VERTEX = `#version 300 es
void main() {
  // One triangle that covers the viewport.
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`

const HEADER = `#version 300 es
precision highp float;
precision highp int;
`

/**
 * Prep for blur-fusion: (I * a, a) and (I * (1 - a)), averaged over u_scale x u_scale frame
 * pixels (the first, wide box filter runs at reduced resolution).
 */
const PREP = `${HEADER}
uniform sampler2D u_frame;
uniform sampler2D u_matte;
uniform vec2 u_frameSize;
uniform int u_scale;
layout(location = 0) out vec4 o_fa;
layout(location = 1) out vec4 o_ba;
void main() {
  vec2 base = floor(gl_FragCoord.xy) * float(u_scale);
  vec4 fa = vec4(0.0);
  vec3 ba = vec3(0.0);
  for (int y = 0; y < u_scale; y++) {
    for (int x = 0; x < u_scale; x++) {
      vec2 uv = (min(base + vec2(x, y), u_frameSize - 1.0) + 0.5) / u_frameSize;
      vec3 i = texture(u_frame, uv).rgb;
      float a = texture(u_matte, uv).r;
      fa += vec4(i * a, a);
      ba += i * (1.0 - a);
    }
  }
  float n = float(u_scale * u_scale);
  o_fa = fa / n;
  o_ba = vec4(ba / n, 0.0);
}`

/**
 * Normalised box filter of size k along one axis (span [x - k/2, x + k - 1 - k/2], edges clamped,
 * as cv::blur): pairs of texels read with one bilinear fetch at their midpoint.
 */
const BOX = `${HEADER}
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform vec2 u_size;
uniform vec2 u_dir;
uniform int u_k;
layout(location = 0) out vec4 o_a;
layout(location = 1) out vec4 o_b;
void main() {
  vec2 texel = 1.0 / u_size;
  vec2 pos = gl_FragCoord.xy;
  int lo = u_k / 2;
  int hi = u_k - 1 - lo;
  vec4 sa = vec4(0.0);
  vec4 sb = vec4(0.0);
  for (int t = -lo; t <= hi; t += 2) {
    if (t + 1 <= hi) {
      vec2 uv = (pos + u_dir * (float(t) + 0.5)) * texel;
      sa += 2.0 * texture(u_a, uv);
      sb += 2.0 * texture(u_b, uv);
    } else {
      vec2 uv = (pos + u_dir * float(t)) * texel;
      sa += texture(u_a, uv);
      sb += texture(u_b, uv);
    }
  }
  o_a = sa / float(u_k);
  o_b = sb / float(u_k);
}`

/** The blur-fusion estimate from blurred (F a, a) and (B (1 - a)): returns F (and B). */
const FUSE_FN = `
vec3 fuse(vec3 i, float a, vec4 fa, vec4 ba, out vec3 b) {
  vec3 bf = fa.rgb / (fa.a + 1e-5);
  b = ba.rgb / (1.0 - fa.a + 1e-5);
  return clamp(bf + a * (i - a * bf - (1.0 - a) * b), 0.0, 1.0);
}`

/** First blur-fusion pass's estimate, prepared for the second: (F1 a, a) and (B1 (1 - a)). */
const FUSE = `${HEADER}
uniform sampler2D u_frame;
uniform sampler2D u_matte;
uniform sampler2D u_fa;
uniform sampler2D u_ba;
uniform vec2 u_size;
layout(location = 0) out vec4 o_fa;
layout(location = 1) out vec4 o_ba;
${FUSE_FN}
void main() {
  vec2 uv = gl_FragCoord.xy / u_size;
  vec3 i = texture(u_frame, uv).rgb;
  float a = texture(u_matte, uv).r;
  vec3 b;
  vec3 f = fuse(i, a, texture(u_fa, uv), texture(u_ba, uv), b);
  o_fa = vec4(f * a, a);
  o_ba = vec4(b * (1.0 - a), 0.0);
}`

/** Separable Gaussian of the frame (or of the previous pass), into a reduced-size target. */
const GAUSS = `${HEADER}
uniform sampler2D u_src;
uniform vec2 u_size;
uniform vec2 u_step;
uniform float u_sigma;
uniform int u_taps;
out vec4 o_color;
void main() {
  vec2 uv = gl_FragCoord.xy / u_size;
  vec3 sum = texture(u_src, uv).rgb;
  float total = 1.0;
  for (int t = 1; t <= u_taps; t++) {
    float w = exp(-0.5 * float(t * t) / (u_sigma * u_sigma));
    sum += w * (texture(u_src, uv + u_step * float(t)).rgb + texture(u_src, uv - u_step * float(t)).rgb);
    total += 2.0 * w;
  }
  o_color = vec4(sum / total, 1.0);
}`

/** The output: subject over background; flipped to the canvas's bottom-up rows. */
const COMPOSE = `${HEADER}
uniform sampler2D u_frame;
uniform sampler2D u_matte;
uniform sampler2D u_bg;
uniform sampler2D u_fa;
uniform sampler2D u_ba;
uniform vec2 u_size;
uniform int u_mode; // 0 colour, 1 texture, 2 transparent
uniform int u_estimate;
uniform vec3 u_color;
uniform vec4 u_bgRect; // uv offset and scale into the background texture
layout(location = 0) out vec4 o_color;
${FUSE_FN}
void main() {
  vec2 uv = vec2(gl_FragCoord.x, u_size.y - gl_FragCoord.y) / u_size;
  vec3 i = texture(u_frame, uv).rgb;
  float a = texture(u_matte, uv).r;
  vec3 f = i;
  if (u_estimate == 1) {
    vec3 b;
    f = fuse(i, a, texture(u_fa, uv), texture(u_ba, uv), b);
  }
  if (u_mode == 2) {
    o_color = vec4(f * a, a); // premultiplied
    return;
  }
  vec3 bg = u_mode == 0 ? u_color : texture(u_bg, u_bgRect.xy + uv * u_bgRect.zw).rgb;
  o_color = vec4(f * a + bg * (1.0 - a), 1.0);
}`

/**
 * The resolution divisor of blur-fusion's wide box on the GPU: the box stays about 30 texels
 * wide (90 -> 3), which keeps the estimate within the documented tolerance of the CPU's.
 *
 * @param radius - the box size in frame pixels
 */
export function fusionScale(radius: number): number {
  return Math.max(1, Math.round(radius / 30))
}

interface Target {
  readonly fbo: WebGLFramebuffer
  readonly textures: WebGLTexture[]
  readonly width: number
  readonly height: number
}

/** Renderers that emulate a GPU on the CPU (Chromium's SwiftShader, Mesa's llvmpipe and softpipe, Windows' Basic Render Driver). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i

/**
 * Whether a WebGL context runs on a software renderer. Chromium's SwiftShader does not trip
 * `failIfMajorPerformanceCaveat` (checked with Debian's Chromium, `--disable-gpu`), so the unmasked
 * renderer name is read where the browser exposes it; where it does not, the context counts as
 * hardware.
 */
function isSoftwareRenderer(gl: WebGL2RenderingContext): boolean {
  const info = gl.getExtension('WEBGL_debug_renderer_info')
  const name: unknown = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)
  return typeof name === 'string' && SOFTWARE_RENDERER.test(name)
}

/**
 * Creates the WebGL2 compositor, or returns `undefined` when WebGL2 (or, for
 * `foreground: 'estimate'`, float render targets) is not available, or with `hardwareOnly` when it
 * is software-rendered.
 *
 * @param options - foreground mode, and whether a software renderer is refused
 * @returns the compositor, or undefined
 */
export function createGlCompositor(options: CompositorOptions): LiveCompositor | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined
  const canvas = new OffscreenCanvas(1, 1)
  const context = canvas.getContext('webgl2', {
    alpha: true,
    premultipliedAlpha: true,
    antialias: false,
    depth: false,
    stencil: false,
    preserveDrawingBuffer: false,
    desynchronized: true,
    failIfMajorPerformanceCaveat: options.hardwareOnly === true,
  })
  if (!context) return undefined
  const gl: WebGL2RenderingContext = context
  if (options.hardwareOnly === true && isSoftwareRenderer(gl)) {
    gl.getExtension('WEBGL_lose_context')?.loseContext()
    return undefined
  }
  const estimate = options.foreground === 'estimate'
  if (estimate && !gl.getExtension('EXT_color_buffer_float')) {
    gl.getExtension('WEBGL_lose_context')?.loseContext()
    return undefined
  }
  const fusionRadius = options.fusionRadius ?? 90
  let lost = false
  canvas.addEventListener('webglcontextlost', (event) => {
    event.preventDefault()
    lost = true
  })

  const compile = (type: number, source: string): WebGLShader => {
    const shader = gl.createShader(type)!
    gl.shaderSource(shader, source)
    gl.compileShader(shader)
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS) && !gl.isContextLost()) {
      const log = gl.getShaderInfoLog(shader) ?? ''
      gl.getExtension('WEBGL_lose_context')?.loseContext() // release the context before giving up
      throw new MatteError('UNSUPPORTED_ENVIRONMENT', `A WebGL2 shader failed to compile: ${log}`)
    }
    return shader
  }
  const shaders: WebGLShader[] = []
  const vertex = compile(gl.VERTEX_SHADER, VERTEX)
  shaders.push(vertex)
  const programs: WebGLProgram[] = []
  const program = (fragment: string): { p: WebGLProgram; u: (name: string) => WebGLUniformLocation | null } => {
    const p = gl.createProgram()!
    const f = compile(gl.FRAGMENT_SHADER, fragment)
    shaders.push(f)
    gl.attachShader(p, vertex)
    gl.attachShader(p, f)
    gl.linkProgram(p)
    if (!gl.getProgramParameter(p, gl.LINK_STATUS) && !gl.isContextLost()) {
      const log = gl.getProgramInfoLog(p) ?? ''
      gl.getExtension('WEBGL_lose_context')?.loseContext() // release the context before giving up
      throw new MatteError('UNSUPPORTED_ENVIRONMENT', `A WebGL2 program failed to link: ${log}`)
    }
    programs.push(p)
    const cache = new Map<string, WebGLUniformLocation | null>()
    return {
      p,
      u: (name) => {
        if (!cache.has(name)) cache.set(name, gl.getUniformLocation(p, name))
        return cache.get(name)!
      },
    }
  }
  const compose = program(COMPOSE)
  const gauss = program(GAUSS)
  const prep = estimate ? program(PREP) : undefined
  const box = estimate ? program(BOX) : undefined
  const fuse = estimate ? program(FUSE) : undefined

  const textures = new Set<WebGLTexture>()
  const texture = (): WebGLTexture => {
    const t = gl.createTexture()!
    gl.bindTexture(gl.TEXTURE_2D, t)
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR)
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR)
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
    textures.add(t)
    return t
  }
  const frameTex = texture()
  const matteTex = texture()
  const bgTex = texture()
  gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
  gl.bindTexture(gl.TEXTURE_2D, matteTex)
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, 1, 1, 0, gl.RED, gl.UNSIGNED_BYTE, new Uint8Array([0]))

  const fbos = new Set<WebGLFramebuffer>()
  const target = (width: number, height: number, count: number, internal: number, format: number, type: number): Target => {
    const fbo = gl.createFramebuffer()!
    fbos.add(fbo)
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo)
    const list: WebGLTexture[] = []
    for (let i = 0; i < count; i++) {
      const t = texture()
      gl.texImage2D(gl.TEXTURE_2D, 0, internal, width, height, 0, format, type, null)
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D, t, 0)
      list.push(t)
    }
    gl.drawBuffers(list.map((_, i) => gl.COLOR_ATTACHMENT0 + i))
    gl.bindFramebuffer(gl.FRAMEBUFFER, null)
    return { fbo, textures: list, width, height }
  }
  const dropTarget = (t: Target | undefined): void => {
    if (!t) return
    gl.deleteFramebuffer(t.fbo)
    fbos.delete(t.fbo)
    for (const x of t.textures) {
      gl.deleteTexture(x)
      textures.delete(x)
    }
  }

  let size = { width: 0, height: 0 }
  let blurTargets: [Target, Target] | undefined
  let blurKey = ''
  let fusion: { small: [Target, Target]; full: [Target, Target]; scale: number } | undefined
  let background: LiveBackground = { kind: 'blur' }
  let bgSize = { width: 1, height: 1 }

  const bindTex = (unit: number, tex: WebGLTexture, loc: WebGLUniformLocation | null): void => {
    gl.activeTexture(gl.TEXTURE0 + unit)
    gl.bindTexture(gl.TEXTURE_2D, tex)
    gl.uniform1i(loc, unit)
  }
  const drawInto = (t: Target | null, width: number, height: number): void => {
    gl.bindFramebuffer(gl.FRAMEBUFFER, t ? t.fbo : null)
    gl.viewport(0, 0, width, height)
    gl.drawArrays(gl.TRIANGLES, 0, 3)
  }

  const resize = (width: number, height: number): void => {
    if (size.width === width && size.height === height) return
    size = { width, height }
    canvas.width = width
    canvas.height = height
    dropTarget(blurTargets?.[0])
    dropTarget(blurTargets?.[1])
    blurTargets = undefined
    blurKey = ''
    if (fusion) for (const t of [...fusion.small, ...fusion.full]) dropTarget(t)
    fusion = undefined
    if (estimate) {
      const scale = fusionScale(fusionRadius)
      const sw = Math.ceil(width / scale)
      const sh = Math.ceil(height / scale)
      const half = (w: number, h: number): Target => target(w, h, 2, gl.RGBA16F, gl.RGBA, gl.HALF_FLOAT)
      fusion = { small: [half(sw, sh), half(sw, sh)], full: [half(width, height), half(width, height)], scale }
    }
  }

  /** Gaussian blur of the frame (sigma = radius, as core's three box passes) at reduced size. */
  const blurFrame = (radius: number): WebGLTexture => {
    const { width, height } = size
    const scale = Math.max(1, Math.ceil(radius / 4))
    const bw = Math.max(1, Math.round(width / scale))
    const bh = Math.max(1, Math.round(height / scale))
    const key = `${bw}x${bh}`
    if (key !== blurKey) {
      dropTarget(blurTargets?.[0])
      dropTarget(blurTargets?.[1])
      blurTargets = [target(bw, bh, 1, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE), target(bw, bh, 1, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE)]
      blurKey = key
    }
    const [h, v] = blurTargets!
    const sigma = Math.max(radius / scale, 0.5)
    const taps = Math.ceil(3 * sigma)
    gl.useProgram(gauss.p)
    gl.uniform2f(gauss.u('u_size'), bw, bh)
    gl.uniform1f(gauss.u('u_sigma'), sigma)
    gl.uniform1i(gauss.u('u_taps'), taps)
    // Horizontal, reading the full-size frame every `scale` pixels.
    bindTex(0, frameTex, gauss.u('u_src'))
    gl.uniform2f(gauss.u('u_step'), scale / width, 0)
    drawInto(h, bw, bh)
    bindTex(0, h.textures[0]!, gauss.u('u_src'))
    gl.uniform2f(gauss.u('u_step'), 0, 1 / bh)
    drawInto(v, bw, bh)
    return v.textures[0]!
  }

  /** Box filter of size k, horizontal into `via`, then vertical back into `pair`. */
  const boxPass = (pair: Target, via: Target, k: number): void => {
    gl.useProgram(box!.p)
    gl.uniform2f(box!.u('u_size'), pair.width, pair.height)
    gl.uniform1i(box!.u('u_k'), k)
    bindTex(0, pair.textures[0]!, box!.u('u_a'))
    bindTex(1, pair.textures[1]!, box!.u('u_b'))
    gl.uniform2f(box!.u('u_dir'), 1, 0)
    drawInto(via, via.width, via.height)
    bindTex(0, via.textures[0]!, box!.u('u_a'))
    bindTex(1, via.textures[1]!, box!.u('u_b'))
    gl.uniform2f(box!.u('u_dir'), 0, 1)
    drawInto(pair, pair.width, pair.height)
  }

  /**
   * Blur-fusion's two passes: the wide box (fusionRadius) at 1/scale resolution on area-averaged
   * inputs, upsampled bilinearly; the narrow one (6) at full resolution. Returns the final pair.
   */
  const runFusion = (): Target => {
    const { small, full, scale } = fusion!
    const { width, height } = size
    gl.useProgram(prep!.p)
    gl.uniform2f(prep!.u('u_frameSize'), width, height)
    gl.uniform1i(prep!.u('u_scale'), scale)
    bindTex(0, frameTex, prep!.u('u_frame'))
    bindTex(1, matteTex, prep!.u('u_matte'))
    drawInto(small[0], small[0].width, small[0].height)
    boxPass(small[0], small[1], Math.max(1, Math.round(fusionRadius / scale)))
    gl.useProgram(fuse!.p)
    gl.uniform2f(fuse!.u('u_size'), width, height)
    bindTex(0, frameTex, fuse!.u('u_frame'))
    bindTex(1, matteTex, fuse!.u('u_matte'))
    bindTex(2, small[0].textures[0]!, fuse!.u('u_fa'))
    bindTex(3, small[0].textures[1]!, fuse!.u('u_ba'))
    drawInto(full[0], width, height)
    boxPass(full[0], full[1], 6)
    return full[0]
  }

  const compositor: LiveCompositor = {
    kind: 'webgl2',
    canvas,
    get lost() {
      return lost || gl.isContextLost()
    },
    setMatte(matte: Matte | undefined) {
      if (compositor.lost) return
      gl.bindTexture(gl.TEXTURE_2D, matteTex)
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
      if (matte) gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, matte.width, matte.height, 0, gl.RED, gl.UNSIGNED_BYTE, matte.data)
      else gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, 1, 1, 0, gl.RED, gl.UNSIGNED_BYTE, new Uint8Array([0]))
    },
    setBackground(next: LiveBackground) {
      background = next
      if (next.kind === 'image' && !compositor.lost) {
        gl.bindTexture(gl.TEXTURE_2D, bgTex)
        gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false)
        gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false)
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, next.bitmap)
        bgSize = { width: next.bitmap.width, height: next.bitmap.height }
      }
    },
    render(source: LiveSource, width: number, height: number) {
      if (compositor.lost) return
      resize(width, height)
      gl.bindTexture(gl.TEXTURE_2D, frameTex)
      gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false)
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false)
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, source as TexImageSource)
      const fused = estimate ? runFusion() : undefined
      let bgTexture: WebGLTexture = bgTex
      let mode = 1
      let rect = [0, 0, 1, 1]
      if (background.kind === 'blur') {
        bgTexture = blurFrame(background.radius ?? defaultBlurRadius(width, height))
      } else if (background.kind === 'color') {
        mode = 0
      } else if (background.kind === 'transparent') {
        mode = 2
      } else {
        // object-fit: cover, centred.
        const scale = Math.max(width / bgSize.width, height / bgSize.height)
        const sw = width / scale / bgSize.width
        const sh = height / scale / bgSize.height
        rect = [(1 - sw) / 2, (1 - sh) / 2, sw, sh]
      }
      gl.useProgram(compose.p)
      gl.uniform2f(compose.u('u_size'), width, height)
      bindTex(0, frameTex, compose.u('u_frame'))
      bindTex(1, matteTex, compose.u('u_matte'))
      bindTex(2, bgTexture, compose.u('u_bg'))
      bindTex(3, fused ? fused.textures[0]! : frameTex, compose.u('u_fa'))
      bindTex(4, fused ? fused.textures[1]! : frameTex, compose.u('u_ba'))
      gl.uniform1i(compose.u('u_mode'), mode)
      gl.uniform1i(compose.u('u_estimate'), fused ? 1 : 0)
      const color = background.kind === 'color' ? background.color : [0, 0, 0]
      gl.uniform3f(compose.u('u_color'), color[0]! / 255, color[1]! / 255, color[2]! / 255)
      gl.uniform4f(compose.u('u_bgRect'), rect[0]!, rect[1]!, rect[2]!, rect[3]!)
      drawInto(null, width, height)
    },
    dispose() {
      if (!gl.isContextLost()) {
        for (const f of fbos) gl.deleteFramebuffer(f)
        for (const t of textures) gl.deleteTexture(t)
        for (const p of programs) gl.deleteProgram(p)
        for (const s of shaders) gl.deleteShader(s)
      }
      fbos.clear()
      textures.clear()
      // Lost on purpose: the browser frees the context now (lost reads gl.isContextLost()).
      gl.getExtension('WEBGL_lose_context')?.loseContext()
      canvas.width = 1
      canvas.height = 1
    },
  }
  return compositor
}
