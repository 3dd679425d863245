#!/usr/bin/env node
/**
 * The `mattekit` binary. SIGINT/SIGTERM abort the run: the image in progress is dropped, its
 * temp file removed, and the process exits non-zero.
 */
import { main } from './cli/main.js'

const controller = new AbortController()
let signals = 0
const onSignal = (name: NodeJS.Signals): void => {
  signals++
  if (signals > 1) process.exit(name === 'SIGINT' ? 130 : 143) // second signal: leave now
  controller.abort(new Error(`received ${name}`))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`mattekit: internal error: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exitCode = 70
  },
)
