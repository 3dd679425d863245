// @ts-check
/**
 * Cut a person out of a photo: `node matte.js <input image> <output.png> [--model <model.onnx>]`.
 *
 * Without `--model` (or the MATTEKIT_MODEL environment variable), MatteKit downloads the official
 * MODNet model once, verifies it and caches it; every later run is offline.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { createMatter, cutout, encodePng, isMatteError } from '@mattekit/node'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { model: { type: 'string', short: 'm' } },
})
const [input, output] = positionals
if (!input || !output) {
  console.error('usage: node matte.js <input image> <output.png> [--model <model.onnx>]')
  process.exit(2)
}
const model = values.model ?? process.env.MATTEKIT_MODEL

try {
  // `await using` needs Node 24; on Node 20 and 22, dispose() in a finally block does the same.
  const matter = await createMatter(model ? { model } : {})
  try {
    const { image, matte, modelSize, timings } = await matter.matte(input, { signal: AbortSignal.timeout(60_000) })
    await writeFile(output, await encodePng(cutout(image, matte)))
    console.log(`${output}: ${image.width}x${image.height} cut-out (model ran at ${modelSize.width}x${modelSize.height}, ${Math.round(timings.total)} ms)`)
  } finally {
    await matter.dispose()
  }
} catch (error) {
  // Bad input (a missing file, a corrupt image...) is a MatteError with a code you can act on.
  console.error(isMatteError(error) ? `${input}: ${error.code}: ${error.message}` : error)
  process.exitCode = 1
}
