/** Paths the Node tests share: everything lives inside the repository. */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const FIXTURES = join(ROOT, 'fixtures')
export const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
export const CLI = join(ROOT, 'packages', 'node', 'src', 'cli.ts')
