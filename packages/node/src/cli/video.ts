/**
 * `mattekit video <input> -o <output>`: a video file through MatteKit (see docs/video.md).
 */
import { parseArgs } from 'node:util'
import { isMatteError, type StabilizerMode } from '@mattekit/core'
import { matteVideo, type VideoOutputKind } from '../video.js'
import { type CliIo, loadMatter, parseSessions } from './main.js'
import { MATTE_FLAGS, isUsageError, modelSourceFromFlags } from './models.js'
import { ProgressBar } from './progress.js'

export const VIDEO_HELP = `mattekit video: matte every frame of a video file (needs ffmpeg).

Usage
  mattekit video <input> -o <output> [options]

The output's extension picks the container:
  --output composite (default)  .mp4 (H.264) or .webm (VP9), over --background
  --output alpha                .webm (VP9 with alpha) or .mov (ProRes 4444)
  --output matte                .mkv (FFV1, lossless), .mp4 or .webm: the matte as grey video

Options
  -o, --output-path <path>   the output file
      --output <kind>        composite (default), alpha or matte
      --background <bg>      blur (default), blur:<radius>, a colour or an image path
      --foreground <f>       observed (default) or estimate (no old-background tint at edges)
      --stabilizer <mode>    adaptive (default, no latency), ofd (MODNet's One-Frame Delay) or off
      --ffmpeg <path>        the ffmpeg binary (default: ffmpeg on PATH)
      --ffmpeg-threads <n>   threads per ffmpeg process, 0 for ffmpeg's choice (default: 1 on
                             machines of up to 4 cores, else 0)
  -m, --model <path>         a local MODNet ONNX model (default: the cached official fp32)
      --sessions <n>         onnxruntime sessions side by side: a number, latency or
                             throughput (default: throughput, one session per core up to 4)
      --threads <n>          onnxruntime intra-op threads per session
      --json                 print a machine-readable summary on stdout
  Model flags as for images: --variant, --model-url, --model-sha256, --cache-dir, --mirror, --offline

Audio is copied, frame count and rate are kept, and the output appears only when complete.
`

/**
 * Runs `mattekit video` with `argv` (after the word `video`) and returns the exit status.
 *
 * @param argv - the arguments
 * @param io - output streams and an abort signal
 */
export async function runVideo(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (s: string): boolean => io.stderr.write(s)
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...MATTE_FLAGS,
        stabilizer: { type: 'string' },
        ffmpeg: { type: 'string' },
        'ffmpeg-threads': { type: 'string' },
      },
    })
  } catch (error) {
    say(`mattekit video: ${(error as Error).message}\nRun "mattekit video --help" for usage.\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout.write(VIDEO_HELP)
    return 0
  }
  const problems: string[] = []
  if (positionals.length !== 1) problems.push('give exactly one input video')
  if (!values['output-path']) problems.push('no output given (-o <file>)')
  const kind = (values.output ?? 'composite') as VideoOutputKind
  if (!['composite', 'alpha', 'matte'].includes(kind)) problems.push('--output must be composite, alpha or matte')
  const stabilizer = (values.stabilizer ?? 'adaptive') as StabilizerMode
  if (!['adaptive', 'ofd', 'off'].includes(stabilizer)) problems.push('--stabilizer must be adaptive, ofd or off')
  const foreground = (values.foreground ?? 'observed') as 'observed' | 'estimate'
  if (foreground !== 'observed' && foreground !== 'estimate') problems.push('--foreground must be observed or estimate')
  const threads = values.threads === undefined ? undefined : Number(values.threads)
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) problems.push('--threads needs a whole number')
  const ffmpegThreads = values['ffmpeg-threads'] === undefined ? undefined : Number(values['ffmpeg-threads'])
  if (ffmpegThreads !== undefined && !(Number.isInteger(ffmpegThreads) && ffmpegThreads >= 0)) problems.push('--ffmpeg-threads needs a whole number')
  const sessions = parseSessions(values.sessions)
  if (sessions === null) problems.push('--sessions needs a whole number from 1 to 64, latency or throughput')
  let source: ReturnType<typeof modelSourceFromFlags>
  try {
    source = modelSourceFromFlags(values)
  } catch (error) {
    if (!isUsageError(error)) throw error
    problems.push(error.message)
  }
  if (problems.length) {
    say(`mattekit video: ${problems.join('; ')}\nRun "mattekit video --help" for usage.\n`)
    return 2
  }
  // A video is many frames in flight: sessions that never wait on each other, unless told otherwise.
  const matter = await loadMatter(values, source, { threads, sessions: sessions ?? 'throughput' }, io)
  if (typeof matter === 'number') return matter
  const bar = io.stderr.isTTY && !values.json ? new ProgressBar(io.stderr, 1) : undefined
  try {
    const result = await matteVideo(positionals[0]!, values['output-path']!, {
      matter,
      output: kind,
      background: values.background,
      foreground,
      stabilizer: { mode: stabilizer },
      ffmpegPath: values.ffmpeg,
      ffmpegThreads,
      signal: io.signal,
      onProgress: (p) => bar?.frames(p.frames, p.totalFrames, p.etaMs),
    })
    bar?.done()
    if (values.json) io.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`)
    else say(`mattekit video: ${result.frames} frames (${result.width}x${result.height}) -> ${result.output} in ${(result.elapsedMs / 1000).toFixed(1)} s\n`)
    return 0
  } catch (error) {
    bar?.done()
    if (io.signal?.aborted) {
      say('mattekit video: interrupted\n')
      return 130
    }
    const code = isMatteError(error) ? error.code : 'INTERNAL'
    say(`mattekit video: ${positionals[0]}: ${code}: ${(error as Error).message}\n`)
    if (values.json) io.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: (error as Error).message } }, null, 2)}\n`)
    return 1
  } finally {
    await matter.dispose()
  }
}
