/**
 * Video files in Node: frames stream from one ffmpeg process through MatteKit into another, with
 * bounded memory (four frames in flight), the temporal stabiliser, audio copied, and an atomic output.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { rename, stat, unlink } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'
import {
  MatteError,
  abortError,
  composite,
  compositeScaled,
  createStabilizer,
  cutout,
  isMatteError,
  reducedBlur,
  resizeMatte,
  throwIfAborted,
  type Background,
  type ComposeOptions,
  type Matte,
  type StabilizerOptions,
} from '@mattekit/core'
import type { NodeMatter } from './create-matter.js'
import { resolveBackground } from './encode.js'
import { tempPathFor } from './fs-atomic.js'

/** What {@link matteVideo} writes. */
export type VideoOutputKind = 'alpha' | 'matte' | 'composite'

/** Progress of {@link matteVideo}. */
export interface VideoProgress {
  /** Frames written so far. */
  readonly frames: number
  /** Frames in the input, when the container says (else `undefined`). */
  readonly totalFrames: number | undefined
  /** Milliseconds since the start. */
  readonly elapsedMs: number
  /** Estimated milliseconds left, when the total is known. */
  readonly etaMs: number | undefined
}

/** Options of {@link matteVideo}. */
export interface MatteVideoOptions {
  /** The Matter to use (it is not disposed). */
  readonly matter: NodeMatter
  /**
   * - `alpha`: the input with the matte as alpha channel: WebM VP9 with alpha (`.webm`) or
   *   MOV ProRes 4444 (`.mov`);
   * - `matte`: the matte as a grey video (`.mp4` H.264, `.webm` VP9, `.mkv` FFV1 lossless);
   * - `composite`: the subject over `background` (`.mp4` H.264 or `.webm` VP9).
   * @defaultValue `'composite'`
   */
  readonly output?: VideoOutputKind
  /**
   * For `composite`: a {@link Background}, or text as the CLI takes it (`blur`, a colour, an image path).
   * @defaultValue `'blur'`
   */
  readonly background?: Background | string
  /** Foreground colours at soft edges for `alpha` and `composite` (see `ComposeOptions`). */
  readonly foreground?: ComposeOptions['foreground']
  /**
   * The temporal stabiliser; `false` turns it off. It filters the model's mattes at the model's
   * input size, before they are resized to the frame (as the live browser path does).
   * @defaultValue `{ mode: 'adaptive' }`
   */
  readonly stabilizer?: StabilizerOptions | false
  /**
   * The ffmpeg binary; `ffprobe` is looked up next to it.
   * @defaultValue `'ffmpeg'` (from PATH)
   */
  readonly ffmpegPath?: string
  /**
   * Threads for each ffmpeg process (the decoder and the encoder; `0` lets ffmpeg choose). On a
   * machine of up to four cores the model needs the cores more than ffmpeg does: one thread each
   * then, which costs less CPU per frame than ffmpeg's own choice (on 2 cores, per 720p frame:
   * H.264 11.4 ms against 15.8, VP9 with alpha 20.5-23.2 against 24.7, ProRes 4444 31-32 against
   * 32-33, decoding 3.2 against 3.5-4.0) and still runs several times faster than the model.
   * @defaultValue 1 with up to 4 cores, else 0
   */
  readonly ffmpegThreads?: number
  /** Called after each frame. */
  readonly onProgress?: (progress: VideoProgress) => void
  /** Stops the job: both ffmpeg processes are killed and no output file is left. */
  readonly signal?: AbortSignal
}

/** What {@link matteVideo} reports when done. */
export interface MatteVideoResult {
  /** The output path. */
  readonly output: string
  /** Frames read and written. */
  readonly frames: number
  /** Frame size. */
  readonly width: number
  /** Frame size. */
  readonly height: number
  /** Frames per second (the input's). */
  readonly fps: number
  /** Whether an audio stream was carried over. */
  readonly audio: boolean
  /** Milliseconds for the whole job. */
  readonly elapsedMs: number
}

/**
 * Frames in flight at once in {@link matteVideo}: two at the model (a Matter with two sessions runs
 * both at once), one preprocessed and queued for whichever session frees up first, and one being
 * composited and encoded.
 */
const PIPELINE_DEPTH = 4

interface Probe {
  width: number
  height: number
  rate: string
  fps: number
  frames: number | undefined
  audioCodec: string | undefined
}

const INSTALL_HINT =
  'MatteKit needs the ffmpeg binary for video files: install it (Debian/Ubuntu: apt-get install ffmpeg; ' +
  'macOS: brew install ffmpeg; Windows: winget install ffmpeg) or pass ffmpegPath.'

function run(cmd: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    const onAbort = (): void => void child.kill('SIGKILL')
    signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new MatteError('UNSUPPORTED_ENVIRONMENT', `${cmd} was not found. ${INSTALL_HINT}`, { cause: e })
          : e,
      ),
    )
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort)
      if (code === 0) resolvePromise(out)
      else reject(new MatteError('INVALID_INPUT', `${basename(cmd)} failed: ${err.trim().split('\n').slice(-3).join(' ')}`))
    })
  })
}

async function probe(ffprobe: string, input: string, signal?: AbortSignal): Promise<Probe> {
  const json = await run(
    ffprobe,
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,r_frame_rate,nb_frames', '-of', 'json', input],
    signal,
  ).catch((error: unknown) => {
    if (isMatteError(error, 'UNSUPPORTED_ENVIRONMENT')) throw error
    throw new MatteError('INVALID_INPUT', `Cannot read ${input} as a video: ${(error as Error).message}`, { cause: error })
  })
  const streams = (JSON.parse(json) as { streams?: Record<string, string | number>[] }).streams ?? []
  const video = streams.find((s) => s.codec_type === 'video')
  if (!video) throw new MatteError('INVALID_INPUT', `${input} has no video stream.`)
  const audio = streams.find((s) => s.codec_type === 'audio')
  const rate = String(video.r_frame_rate ?? '25/1')
  const [num, den] = rate.split('/').map(Number) as [number, number]
  const frames = Number(video.nb_frames)
  return {
    width: Number(video.width),
    height: Number(video.height),
    rate,
    fps: den ? num / den : num,
    frames: Number.isFinite(frames) && frames > 0 ? frames : undefined,
    audioCodec: audio ? String(audio.codec_name) : undefined,
  }
}

/**
 * libvpx-vp9 in its real-time mode: its default ("good", cpu-used 0) costs about 110 ms of CPU per
 * 720p frame with alpha, a third of a model run, and the encoder would take the model's cores;
 * real-time at cpu-used 8 costs about 20 ms, for files about twice as large at the same CRF.
 * No look-ahead (`-lag-in-frames 0`): in real-time mode the packets came out identical without it
 * (checked frame by frame with Debian 12's ffmpeg 5.1 and libvpx 1.12, with alpha and without;
 * other builds may differ in size, not in correctness), but its 25 buffered frames (two encoders
 * with alpha) held the second frame's write for 1.2 s while the model sat idle, and made the
 * encoder's flush at the end take 0.4-0.5 s; without them 0.45 s and 0.04 s.
 */
const VP9_FAST = ['-b:v', '0', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-lag-in-frames', '0']

/** Encoder arguments for the output container and kind. */
function encoderArgs(kind: VideoOutputKind, ext: string, audioCodec: string | undefined): { pixFmt: string; args: string[] } {
  const webm = ext === '.webm'
  const audio: string[] = audioCodec
    ? ['-map', '1:a:0', ...(webm && audioCodec !== 'opus' && audioCodec !== 'vorbis' ? ['-c:a', 'libopus'] : ['-c:a', 'copy'])]
    : []
  if (kind === 'alpha') {
    if (ext === '.mov') {
      // ProRes 4444 (ap4h) with 16-bit alpha, through prores_ks at the fixed quantiser 3: colour
      // PSNR 51-52 dB (54-55 at quantiser 2, 61-62 at 1; 8-bit rounding alone is 58.9 dB), about
      // 5 ms of CPU per 720p frame less than quantiser 2 and 10-15 less than 1, and 140 ms less
      // than prores_ks's own rate control (docs/video.md). On two cores the encoder's CPU is taken
      // from the model.
      return { pixFmt: 'rgba', args: ['-c:v', 'prores_ks', '-profile:v', '4', '-qscale:v', '3', '-pix_fmt', 'yuva444p10le', ...audio] }
    }
    if (webm) {
      return { pixFmt: 'rgba', args: ['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuva420p', ...VP9_FAST, '-crf', '30', '-auto-alt-ref', '0', ...audio] }
    }
    throw new MatteError('INVALID_OPTION', 'Alpha video needs a format that keeps alpha: write .webm (VP9) or .mov (ProRes 4444).')
  }
  const pixFmt = kind === 'matte' ? 'gray' : 'rgb24'
  if (ext === '.mkv' && kind === 'matte') return { pixFmt, args: ['-c:v', 'ffv1', '-pix_fmt', 'gray', ...audio] }
  if (webm) return { pixFmt, args: ['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', ...VP9_FAST, '-crf', '32', ...audio] }
  if (ext === '.mp4' || ext === '.mov' || ext === '.mkv') {
    return { pixFmt, args: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-crf', '18', ...audio] }
  }
  throw new MatteError('INVALID_OPTION', `Unsupported video output extension "${ext}": use .mp4, .webm, .mov or .mkv.`)
}

/**
 * Reads exactly `size`-byte frames from a stream, one at a time, with back-pressure. Frames handed
 * back with {@link FrameReader.release} are filled again instead of allocating: a fresh 2.7 MB
 * buffer per 720p frame costs page faults and, with the other per-frame arrays, a major garbage
 * collection every other frame on the main thread.
 */
class FrameReader {
  private chunks: Buffer[] = []
  private free: Buffer[] = []
  private buffered = 0
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined

  constructor(
    private readonly stream: NodeJS.ReadableStream,
    private readonly size: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.buffered >= this.size * 2) stream.pause()
      this.wake?.()
    })
    stream.on('end', () => {
      this.ended = true
      this.wake?.()
    })
    stream.on('error', (e: Error) => {
      this.failure = e
      this.wake?.()
    })
    // Already over (nothing more will come): report the end or the error rather than wait for it.
    const state = stream as NodeJS.ReadableStream & { readableEnded?: boolean; errored?: Error | null }
    if (state.errored) this.failure = state.errored
    else if (state.readableEnded) this.ended = true
  }

  /** The next frame, or `undefined` at the end of the stream. */
  async next(): Promise<Buffer | undefined> {
    while (this.buffered < this.size) {
      if (this.failure) throw this.failure
      if (this.ended) return undefined
      this.stream.resume()
      await new Promise<void>((r) => (this.wake = r))
      this.wake = undefined
    }
    const frame = this.free.pop() ?? Buffer.allocUnsafe(this.size)
    let at = 0
    while (at < this.size) {
      const head = this.chunks[0]!
      const take = Math.min(head.length, this.size - at)
      head.copy(frame, at, 0, take)
      at += take
      if (take === head.length) this.chunks.shift()
      else this.chunks[0] = head.subarray(take)
    }
    this.buffered -= this.size
    if (this.buffered < this.size * 2) this.stream.resume()
    return frame
  }

  /** Hands back a frame nothing reads any more, to be filled by a later {@link FrameReader.next}. */
  release(frame: Buffer): void {
    if (frame.length === this.size && this.free.length < FREE_FRAMES) this.free.push(frame)
  }
}

/**
 * Frames kept for reuse. At most PIPELINE_DEPTH + 1 are alive at once (those in flight, counting
 * the one being written, and the one the stabiliser holds back); one more is a margin.
 */
const FREE_FRAMES = PIPELINE_DEPTH + 2

/**
 * Writes a frame to the encoder; resolves on the write's callback, once libuv has handed every
 * byte to the kernel (for a frame larger than the socket's buffers, once the encoder has read the
 * rest), so that back-pressure holds and `data` may be reused. Resolving on `write()` returning
 * true would not do: below the stream's 16 KB mark it returns true while the bytes may still be
 * queued. Rejects if the encoder goes away.
 */
function write(stream: NodeJS.WritableStream & { destroyed?: boolean }, data: Uint8Array): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const fail = (error?: Error | null): void => {
      cleanup()
      reject(new MatteError('OUTPUT', `The ffmpeg encoder stopped taking frames${error ? `: ${error.message}` : ''}.`, { cause: error }))
    }
    const onClose = (): void => fail()
    const cleanup = (): void => {
      stream.off('error', fail)
      stream.off('close', onClose)
    }
    if (stream.destroyed) return fail()
    stream.on('error', fail)
    stream.on('close', onClose)
    stream.write(data, (error) => {
      if (error) return fail(error)
      cleanup()
      resolvePromise()
    })
  })
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  // 'exit', not 'close': 'close' also waits for our end of the child's stdin, which stays open
  // when the child dies before we finished writing. Give stderr a moment to drain after exit.
  return new Promise((resolvePromise) => {
    // A child that never started (ENOENT) emits 'error' and no 'exit'.
    child.on('error', () => {
      if (child.pid === undefined) resolvePromise({ code: null, stderr })
    })
    child.on('exit', (code, signal) => {
      const done = (): void => resolvePromise({ code: code ?? (signal ? 128 : null), stderr })
      if (!child.stderr || child.stderr.readableEnded) return done()
      const timer = setTimeout(done, 200)
      child.stderr.once('end', () => {
        clearTimeout(timer)
        done()
      })
    })
  })
}

/**
 * Mattes every frame of a video file and writes the result: the video with alpha, the matte as a
 * grey video, or a composite. Uses the ffmpeg binary; frames stream through pipes (memory stays
 * bounded), audio is carried over, frame count and frame rate are kept, and the output appears
 * only when complete (a failed or aborted job leaves no file).
 *
 * @param input - the input video file
 * @param output - the output file; its extension picks the container (see {@link MatteVideoOptions.output})
 * @param options - the Matter and the output kind, background, stabiliser, ffmpeg path, progress, signal
 * @returns what was written
 * @throws {@link MatteError} `UNSUPPORTED_ENVIRONMENT` (no ffmpeg), `INVALID_INPUT`, `INVALID_OPTION`,
 *   `OUTPUT`, `ABORTED`, and any code `matte()` throws
 * @example
 * ```ts
 * await using matter = await createMatter({ sessions: 'throughput' }) // frames side by side, as `mattekit video`
 * await matteVideo('talk.mp4', 'talk-alpha.webm', { matter, output: 'alpha' })
 * await matteVideo('talk.mp4', 'talk-green.mp4', { matter, background: '#00b140' })
 * ```
 */
export async function matteVideo(input: string, output: string, options: MatteVideoOptions): Promise<MatteVideoResult> {
  const started = Date.now()
  if (typeof input !== 'string' || input.length === 0) throw new MatteError('INVALID_INPUT', 'matteVideo(input, ...): input must be a video file path.')
  if (typeof output !== 'string' || output.length === 0) throw new MatteError('INVALID_OPTION', 'matteVideo(..., output, ...): output must be a file path.')
  if (typeof options !== 'object' || options === null || typeof (options.matter as Partial<NodeMatter> | undefined)?.matte !== 'function') {
    throw new MatteError('INVALID_OPTION', 'matteVideo needs options.matter: a Matter from createMatter().')
  }
  const { matter, signal } = options
  const kind = options.output ?? 'composite'
  if (!['alpha', 'matte', 'composite'].includes(kind)) {
    throw new MatteError('INVALID_OPTION', `Unknown video output "${String(kind)}": use alpha, matte or composite.`)
  }
  throwIfAborted(signal)
  if (resolve(input) === resolve(output)) {
    throw new MatteError('OUTPUT', `Refusing to overwrite the input ${input}; choose another output path.`)
  }
  const ext = extname(output).toLowerCase()
  const threads = options.ffmpegThreads ?? (availableParallelism() <= 4 ? 1 : 0)
  if (!(Number.isInteger(threads) && threads >= 0)) {
    throw new MatteError('INVALID_OPTION', `ffmpegThreads must be a whole number of 0 or more, got ${String(options.ffmpegThreads)}.`)
  }
  const ffmpeg = options.ffmpegPath ?? 'ffmpeg'
  const ffprobe = options.ffmpegPath ? join(dirname(options.ffmpegPath), basename(options.ffmpegPath).replace(/ffmpeg/, 'ffprobe')) : 'ffprobe'
  await stat(input).catch((error: unknown) => {
    throw new MatteError('INVALID_INPUT', `Cannot read ${input}: ${(error as Error).message}`, { cause: error })
  })
  const spawnError = (e: NodeJS.ErrnoException): Error =>
    e.code === 'ENOENT' ? new MatteError('UNSUPPORTED_ENVIRONMENT', `${ffmpeg} was not found. ${INSTALL_HINT}`, { cause: e }) : e
  // The decoder starts while ffprobe reads the header (each takes 0.1-0.2 s to start); it blocks
  // on its pipe until frames are read, and is killed if the probe or the options fail.
  const decoder = spawn(ffmpeg, ['-v', 'error', '-nostdin', '-threads', String(threads), '-i', input, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-vsync', 'passthrough', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Until the frame reader takes over, a 'readable' listener marks the decoder's output as read:
  // Node discards the output of a child that exits before anyone reads it, and a short clip can
  // be decoded whole during the probe. It reads only up to the stream's buffer size meanwhile.
  const hold = (): void => undefined
  decoder.stdout!.on('readable', hold)
  decoder.stdout!.on('error', hold) // recorded by the stream (stream.errored); the frame reader reports it
  const decoderExit = exited(decoder)
  const decoderFailure = new Promise<never>((_, reject) => decoder.on('error', (e) => reject(spawnError(e))))
  decoderFailure.catch(() => undefined)
  const setUp = async () => {
    // A decoder that could not start (ffmpeg missing while ffprobe is there) fails the call as such.
    const probed = await Promise.race([probe(ffprobe, input, signal), decoderFailure])
    if (decoder.pid === undefined) await decoderFailure
    return {
      info: probed,
      encoder: encoderArgs(kind, ext, probed.audioCodec),
      background:
        kind === 'composite' ? (typeof options.background === 'object' ? options.background : await resolveBackground(options.background ?? 'blur', probed)) : undefined,
      stabilizer: options.stabilizer === false ? undefined : createStabilizer(options.stabilizer ?? {}),
    }
  }
  const { info, encoder, background, stabilizer } = await setUp().catch(async (error: unknown) => {
    decoder.kill('SIGKILL')
    await decoderExit
    throw signal?.aborted ? abortError(signal) : error
  })
  const { width, height } = info
  const compose: ComposeOptions = { foreground: options.foreground }

  const temp = tempPathFor(output)
  const encoderProcess = spawn(
    ffmpeg,
    [
      '-v', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', encoder.pixFmt, '-s', `${width}x${height}`, '-framerate', info.rate, '-i', 'pipe:0',
      ...(info.audioCodec ? ['-i', input] : []),
      '-map', '0:v:0', '-threads', String(threads), ...encoder.args, temp,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  const spawnFailure = Promise.race([decoderFailure, new Promise<never>((_, reject) => encoderProcess.on('error', (e) => reject(spawnError(e))))])
  spawnFailure.catch(() => undefined)
  const encoderExit = exited(encoderProcess)
  let finishing = false
  // The encoder must not exit before we close its input: if it does, stop at once.
  const encoderDied = encoderExit.then(({ code, stderr }) => {
    if (!finishing) {
      throw new MatteError('OUTPUT', `ffmpeg stopped encoding ${output} (exit ${String(code)}): ${stderr.trim().split('\n').pop() ?? ''}`)
    }
  })
  encoderDied.catch(() => undefined)
  const kill = (): void => {
    decoder.kill('SIGKILL')
    encoderProcess.kill('SIGKILL')
  }
  const onAbort = (): void => kill()
  signal?.addEventListener('abort', onAbort, { once: true })
  encoderProcess.stdin!.on('error', () => undefined) // EPIPE when the encoder dies: reported by write()

  let frames = 0
  try {
    decoder.stdout!.off('readable', hold)
    decoder.stdout!.off('error', hold)
    const reader = new FrameReader(decoder.stdout!, width * height * 3)
    interface Frame {
      readonly rgb: Buffer
    }
    // The blur background is made at a reduced size (core's reducedBlur: 4-7 ms of CPU per 720p
    // frame, within a level of the full-size blur on average) and enlarged while compositing.
    const blurRadius = background?.type === 'blur' ? background.radius : undefined
    // One frame is written at a time, and each is in the pipe before the next is made: the
    // full-size matte and the output frame are written into the same two buffers every time.
    const fullMatte = new Uint8Array(width * height)
    const outFrame = kind === 'matte' ? undefined : new Uint8Array(width * height * (kind === 'alpha' ? 4 : 3))
    const emit = async (small: Matte, frame: Frame): Promise<void> => {
      const image = { data: frame.rgb, width, height }
      // The model's matte (stabilised at that size, as the live path does) back to the frame's size.
      const matte = small.width === width && small.height === height ? small : { data: resizeMatte(small.data, small, image, fullMatte), width, height }
      let out: Uint8Array
      if (kind === 'matte') out = matte.data
      else if (kind === 'alpha') out = cutout(image, matte, compose, outFrame).data
      else if (background!.type === 'blur') out = compositeScaled(image, matte, reducedBlur(image, blurRadius), compose, outFrame).data
      else out = composite(image, matte, background!, compose, outFrame).data
      await Promise.race([write(encoderProcess.stdin!, out), spawnFailure, encoderDied])
      reader.release(frame.rgb)
      frames++
      const elapsedMs = Date.now() - started
      options.onProgress?.({
        frames,
        totalFrames: info.frames,
        elapsedMs,
        etaMs: info.frames ? (elapsedMs / frames) * Math.max(0, info.frames - frames) : undefined,
      })
    }
    const held: Frame[] = [] // frames the stabiliser holds back (OFD: one)
    let index = 0
    const finish = async (result: { matte: Matte; frame: Frame }): Promise<void> => {
      if (!stabilizer) return emit(result.matte, result.frame)
      held.push(result.frame)
      const ready = stabilizer.push(result.matte, (index++ * 1000) / info.fps)
      if (ready) await emit(ready.matte, held.shift()!)
    }
    // Frames in flight: while the model runs on one (in its worker thread), the next one is
    // decoded and preprocessed, and the previous one composited and encoded. Order is kept; at
    // most PIPELINE_DEPTH frames are held.
    const inflight: Promise<{ matte: Matte; frame: Frame }>[] = []
    for (;;) {
      const rgb = await Promise.race([reader.next(), spawnFailure])
      if (!rgb) break
      throwIfAborted(signal)
      const frame: Frame = { rgb }
      const pending = matter.matte({ data: rgb, width, height, channels: 3 }, { signal, matteSize: 'model' }).then((r) => ({ matte: r.matte, frame }))
      pending.catch(() => undefined) // awaited below, in order
      inflight.push(pending)
      if (inflight.length >= PIPELINE_DEPTH) await finish(await inflight.shift()!)
    }
    while (inflight.length) await finish(await inflight.shift()!)
    const last = stabilizer?.flush()
    if (last) await emit(last.matte, held.shift()!)
    finishing = true
    encoderProcess.stdin!.end()
    const [dec, enc] = await Promise.all([decoderExit, encoderExit])
    throwIfAborted(signal)
    if (dec.code !== 0) throw new MatteError('INVALID_INPUT', `ffmpeg could not decode ${input}: ${dec.stderr.trim().split('\n').pop() ?? ''}`)
    if (enc.code !== 0) throw new MatteError('OUTPUT', `ffmpeg could not encode ${output}: ${enc.stderr.trim().split('\n').pop() ?? ''}`)
    if (frames === 0) throw new MatteError('INVALID_INPUT', `${input} has no decodable frames.`)
    await rename(temp, output)
  } catch (error) {
    kill()
    await Promise.all([decoderExit, encoderExit])
    await unlink(temp).catch(() => undefined)
    if (signal?.aborted) throw abortError(signal)
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  return { output, frames, width, height, fps: info.fps, audio: Boolean(info.audioCodec), elapsedMs: Date.now() - started }
}
