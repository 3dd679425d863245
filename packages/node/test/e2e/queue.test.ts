/**
 * Scale-out on BullMQ with a real Redis (Debian's redis-server on a loopback port): 50 image jobs
 * and 2 video jobs, two worker processes, one killed mid-job; every job completes exactly once
 * with a correct, complete output.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QueueEvents } from 'bullmq'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMatter } from '../../src/index.js'
import { createMatteQueue, type MatteJob } from '../../src/queue.js'
import { FIXTURES, MODEL, ROOT } from '../paths.js'

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })

let dir: string
let port: number
let redis: ChildProcess
const workers: ChildProcess[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mattekit-queue-'))
  port = await freePort()
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' })
  await new Promise<void>((resolve, reject) => {
    redis.on('error', reject)
    redis.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve())
  })
})

afterAll(() => {
  for (const w of workers) w.kill('SIGKILL')
  redis?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

function startWorker(name: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ['--conditions=@mattekit/source', '--import', 'tsx', join(import.meta.dirname, 'queue-worker.fixture.ts')], {
    cwd: ROOT,
    env: { ...process.env, REDIS_PORT: String(port), QUEUE: 'e2e', MODEL },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  workers.push(child)
  const lines: string[] = []
  child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n').map((l) => `${name} ${l}`)))
  return { child, lines }
}

describe('BullMQ workers', () => {
  it('50 images + 2 videos, 2 workers, one killed mid-job: every job completes exactly once, outputs complete', async () => {
    const t0 = Date.now()
    const inDir = join(dir, 'in')
    const outDir = join(dir, 'out')
    mkdirSync(inDir)
    mkdirSync(outDir)
    const sources = ['grey-320x240.png', 'rgb-300x200-444.jpg', 'rgba-300x200.png', 'rgb-200x120-exif6.jpg', 'palette-300x200.png']
    const jobs: { id: string; data: MatteJob }[] = []
    for (let i = 0; i < 50; i++) {
      const src = sources[i % sources.length]!
      const input = join(inDir, `img-${i}${src.slice(src.lastIndexOf('.'))}`)
      copyFileSync(join(FIXTURES, 'variants', src), input)
      jobs.push({ id: `img-${i}`, data: { kind: 'image', input, output: join(outDir, `img-${i}.png`) } })
    }
    for (let v = 0; v < 2; v++) {
      const input = join(inDir, `clip-${v}.mp4`)
      execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(FIXTURES, 'astronaut.png'), '-vf', `crop=160:120:x='60+t*30+${v * 40}':y=80`, '-r', '10', '-frames:v', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', input])
      jobs.push({ id: `clip-${v}`, data: { kind: 'video', input, output: join(outDir, `clip-${v}.mp4`) } })
    }

    const connection = { host: '127.0.0.1', port }
    const queue = createMatteQueue(connection, 'e2e')
    const events = new QueueEvents('e2e', { connection })
    await events.waitUntilReady()
    const completions = new Map<string, number>()
    let stalled = 0
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1))
    events.on('stalled', () => stalled++)
    for (const j of jobs) await queue.add('matte', j.data, { jobId: j.id })

    const a = startWorker('A')
    const b = startWorker('B')
    // Kill A with SIGKILL in the middle of a job, once it has finished a few.
    let killedDuring: string | undefined
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const done = a.lines.filter((l) => l.startsWith('A completed')).length
        const last = a.lines.at(-1) ?? ''
        if (done >= 3 && last.startsWith('A active')) {
          clearInterval(timer)
          killedDuring = last.split(' ')[2]
          setTimeout(() => {
            a.child.kill('SIGKILL')
            resolve()
          }, 50)
        }
      }, 10)
    })
    // B finishes everything, including A's job once its lock expires.
    const deadline = Date.now() + 240_000
    while (completions.size < jobs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    const wallMs = Date.now() - t0

    expect(killedDuring).toBeDefined()
    expect(completions.size).toBe(jobs.length)
    for (const j of jobs) expect(completions.get(j.id), j.id).toBe(1)
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait')
    expect(counts).toMatchObject({ completed: jobs.length, failed: 0, active: 0, wait: 0 })
    const killedJob = await queue.getJob(killedDuring!)
    expect(await killedJob!.getState()).toBe('completed')

    // Outputs: all there, no temp files, images equal to a direct matte, videos complete.
    expect(readdirSync(outDir).filter((f) => f.includes('.tmp'))).toEqual([])
    const matter = await createMatter({ model: MODEL })
    try {
      for (const j of jobs) {
        expect(existsSync(j.data.output), j.data.output).toBe(true)
        if (j.data.kind === 'image' && Number(j.id.split('-')[1]) % 10 === 0) {
          const direct = await matter.matte(j.data.input)
          const written = await sharp(j.data.output).toColourspace('b-w').raw().toBuffer()
          expect(Buffer.from(direct.matte.data).equals(written), j.id).toBe(true)
        }
      }
    } finally {
      await matter.dispose()
    }
    for (const v of ['clip-0', 'clip-1']) {
      const frames = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', join(outDir, `${v}.mp4`)], { encoding: 'utf8' }).trim()
      expect(frames).toBe('6')
    }
    const byB = b.lines.filter((l) => l.startsWith('B completed')).length
    const byA = a.lines.filter((l) => l.startsWith('A completed')).length
    console.info(
      `queue: ${jobs.length} jobs (50 images, 2 videos), 2 workers; A killed during ${killedDuring} after ${byA} jobs, ` +
        `B completed ${byB}; stalled jobs recovered: ${stalled}; wall time ${(wallMs / 1000).toFixed(1)} s`,
    )
    await events.close()
    await queue.close()
  }, 300_000)
})
