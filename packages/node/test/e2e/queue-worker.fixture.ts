/** A worker process for queue.test.ts: consumes jobs and reports what it does on stdout. */
import { runMatteWorker } from '../../src/queue.js'

const { worker, close } = await runMatteWorker({
  connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) },
  queue: process.env.QUEUE,
  matter: { model: process.env.MODEL! },
  lockDuration: 2000,
  stalledInterval: 1000,
})
worker.on('active', (job) => process.stdout.write(`active ${job.id}\n`))
worker.on('completed', (job) => process.stdout.write(`completed ${job.id}\n`))
worker.on('failed', (job, error) => process.stdout.write(`failed ${job?.id} ${error.message}\n`))
process.stdout.write('ready\n')
process.on('SIGTERM', () => void close().then(() => process.exit(0)))
