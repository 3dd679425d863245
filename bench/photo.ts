/**
 * Benchmark inputs shared by the suites: a photographic JPEG of a given size made from the
 * fixture portrait, and the bare-onnxruntime tensor of the model input MatteKit picks for it.
 */
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import type { NodeMatter } from '../packages/node/src/index.js'

/** A benchmark photo on disk and the matching input tensor for a bare `session.run`. */
export interface BenchPhoto {
  readonly file: string
  readonly tensor: ort.Tensor
  readonly modelInput: string
}

/**
 * Writes `<dir>/<name>.jpg` (the fixture portrait resized to `width` x `height`, quality 90) and
 * builds a constant tensor of the model input size `matter` uses for it.
 */
export async function benchPhoto(root: string, dir: string, name: string, width: number, height: number, matter: NodeMatter): Promise<BenchPhoto> {
  const file = join(dir, `${name}.jpg`)
  await sharp(join(root, 'fixtures', 'astronaut.png')).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(file)
  const { width: mw, height: mh } = (await matter.matte(file)).modelSize
  const tensor = new ort.Tensor('float32', new Float32Array(3 * mw * mh).fill(0.1), [1, 3, mh, mw])
  return { file, tensor, modelInput: `${mw}x${mh}` }
}
