/**
 * Dev-only: regenerates test/fixtures (needs sharp and Debian's ffmpeg). The browser tests only
 * read the committed files. Run: npx tsx packages/web/scripts/make-fixtures.ts
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const out = join(ROOT, 'packages', 'web', 'test', 'fixtures')
const W = 64
const H = 512

// Columns 224-287 of fixtures/astronaut.png: the face and shoulders, a 64x512 strip (model input
// 64x512 under the official size rule, the cheapest run that still looks like a portrait).
const rgb = await sharp(join(ROOT, 'fixtures', 'astronaut.png')).extract({ left: 224, top: 0, width: W, height: H }).removeAlpha().raw().toBuffer()
await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 9 }).toFile(join(out, 'portrait-64x512.png'))

// The same with alpha: 0 on the left 16 columns (the colour under it kept), then a ramp.
const rgba = Buffer.alloc(W * H * 4)
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = y * W + x
    rgba[i * 4] = rgb[i * 3]!
    rgba[i * 4 + 1] = rgb[i * 3 + 1]!
    rgba[i * 4 + 2] = rgb[i * 3 + 2]!
    rgba[i * 4 + 3] = x < 16 ? 0 : Math.min(255, (x - 16) * 6)
  }
}
await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png({ compressionLevel: 9 }).toFile(join(out, 'portrait-64x512-rgba.png'))

// Two frames of VP9 video of the opaque strip.
execFileSync('ffmpeg', [
  '-loglevel', 'error', '-y', '-loop', '1', '-i', join(out, 'portrait-64x512.png'), '-t', '0.2', '-r', '10',
  '-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', '-b:v', '0', '-crf', '20', '-deadline', 'good', join(out, 'portrait-64x512.webm'),
])
