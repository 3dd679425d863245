// @ts-check
// `npm test`: runs matte.js on the astronaut photo with the stand-in model and checks the cut-out
// against the `mattekit` CLI's, byte for byte. Needs the packages built (`npm run build`) and the
// stand-in model (`npm run models`), both from the repository root.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const root = join(import.meta.dirname, '..', '..')
const model = process.env.MATTEKIT_MODEL ?? join(root, 'models', 'stand-in', 'model.onnx')
const photo = join(root, 'fixtures', 'astronaut.png')
const dir = mkdtempSync(join(tmpdir(), 'mattekit-node-script-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('matte.js writes the same RGBA cut-out as `mattekit --output cutout`', () => {
  const out = join(dir, 'cutout.png')
  const printed = execFileSync(process.execPath, [join(import.meta.dirname, 'matte.js'), photo, out, '--model', model], { encoding: 'utf8' })
  assert.match(printed, /cut-out/)

  const png = readFileSync(out)
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature')
  assert.equal(png.toString('latin1', 12, 16), 'IHDR')
  assert.equal(png[24], 8, '8 bits per channel')
  assert.equal(png[25], 6, 'colour type 6: RGBA')

  const cli = join(dir, 'cli.png')
  execFileSync('npx', ['--no-install', 'mattekit', photo, '-o', cli, '--model', model, '--output', 'cutout'], { cwd: import.meta.dirname })
  assert.ok(png.equals(readFileSync(cli)), 'identical to the CLI cut-out')
})

test('matte.js reports a corrupt image with its error code and exit status 1', () => {
  const bad = join(root, 'fixtures', 'bad', 'truncated.png')
  let status = 0
  let stderr = ''
  try {
    execFileSync(process.execPath, [join(import.meta.dirname, 'matte.js'), bad, join(dir, 'bad.png'), '--model', model], { stdio: 'pipe' })
  } catch (error) {
    status = /** @type {{ status: number }} */ (error).status
    stderr = String(/** @type {{ stderr: Buffer }} */ (error).stderr)
  }
  assert.equal(status, 1)
  assert.match(stderr, /CORRUPT_IMAGE/)
})
