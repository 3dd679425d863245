import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { isMatteError } from '@mattekit/core'
import type { MatteErrorCode, RgbImage } from '@mattekit/core'
import { DEFAULT_MAX_PIXELS, decodeImage, fromRawPixels } from './image-io.js'

// The OpenCV reference: scripts/reference/decode_reference.py (Debian's python3-opencv 4.6) over
// the files scripts/fixtures/make-variants.py makes. No Python runs here.
interface VariantRef {
  width: number
  height: number
  fnv1a32: string
  samples: string
}
interface BadRef {
  opencv: 'none' | 'raises' | 'image'
  width?: number
  height?: number
  fnv1a32?: string
}
interface Reference {
  opencv: string
  sampleCount: number
  sampleStep: number
  variants: Record<string, VariantRef>
  bad: Record<string, BadRef>
}

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url))
const reference = JSON.parse(
  readFileSync(new URL('./testdata/decode-reference.json', import.meta.url), 'utf8'),
) as Reference

function fnv1a32(data: Uint8Array): string {
  let h = 0x811c9dc5
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}

/** Max abs difference and count of differing pixels over the reference's sampled pixels. */
function sampleDiff(image: RgbImage, ref: VariantRef): { max: number; differing: number; total: number } {
  const samples = Buffer.from(ref.samples, 'base64')
  const n = ref.width * ref.height
  let max = 0
  let differing = 0
  for (let i = 0; i < samples.length / 3; i++) {
    const at = ((i * reference.sampleStep) % n) * 3
    let d = 0
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(image.data[at + c]! - samples[i * 3 + c]!))
    max = Math.max(max, d)
    if (d > 0) differing++
  }
  return { max, differing, total: samples.length / 3 }
}

async function expectCode(promise: Promise<unknown>, code: MatteErrorCode, message?: RegExp): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isMatteError(error), `expected a MatteError ${code}, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  if (message) expect((error as Error).message).toMatch(message)
  return error as Error
}

// Every variant is bit-identical to OpenCV; none needs a tolerance. Were one ever to need it
// (another libjpeg build, say), give it an entry here with the measured bound and the reason.
const TOLERATED: Record<string, { maxDiff: number; maxDifferingFraction: number; why: string }> = {}

describe('decodeImage against OpenCV (cv2.imread IMREAD_COLOR + BGR2RGB)', () => {
  it('has a reference for every fixture', () => {
    expect(reference.opencv).toMatch(/^4\./)
    expect(Object.keys(reference.variants).length).toBeGreaterThanOrEqual(30)
  })

  for (const [name, ref] of Object.entries(reference.variants)) {
    it(`${name} (${ref.width}x${ref.height})`, async () => {
      const image = await decodeImage(fixture(name))
      expect([image.width, image.height]).toEqual([ref.width, ref.height])
      expect(image.data.length).toBe(ref.width * ref.height * 3)
      const diff = sampleDiff(image, ref)
      const tolerated = TOLERATED[name]
      if (tolerated === undefined) {
        expect(diff, 'sampled pixels').toEqual({ max: 0, differing: 0, total: diff.total })
        expect(fnv1a32(image.data), 'checksum of every byte').toBe(ref.fnv1a32)
      } else {
        expect(diff.max).toBeLessThanOrEqual(tolerated.maxDiff)
        expect(diff.differing / diff.total).toBeLessThanOrEqual(tolerated.maxDifferingFraction)
      }
    })
  }

  it('decodes bytes exactly as it decodes the file, also from a view into a larger buffer', async () => {
    for (const name of ['variants/rgb-600x400-baseline.jpg', 'variants/rgba-300x200.png', 'variants/cmyk-320x240.jpg']) {
      const file = readFileSync(fixture(name))
      const padded = new Uint8Array(file.length + 64)
      padded.set(file, 32)
      const fromBytes = await decodeImage(padded.subarray(32, 32 + file.length))
      expect(fnv1a32(fromBytes.data)).toBe(reference.variants[name]!.fnv1a32)
    }
  })

  it('ignores bytes after the end of the image (PNG IEND, JPEG EOI), as libpng and libjpeg do', async () => {
    const junk = Buffer.from('appended bytes that are not part of the image')
    for (const name of ['variants/grey-320x240.png', 'variants/rgb-600x400-baseline.jpg']) {
      const image = await decodeImage(Buffer.concat([readFileSync(fixture(name)), junk]))
      expect(fnv1a32(image.data)).toBe(reference.variants[name]!.fnv1a32)
    }
  })

  it('returns a plain Uint8Array of exactly width * height * 3 bytes', async () => {
    const image = await decodeImage(fixture('variants/grey-320x240.png'))
    expect(image.data).toBeInstanceOf(Uint8Array)
    expect(image.data.byteOffset).toBe(0)
    expect(image.data.buffer.byteLength).toBe(320 * 240 * 3)
  })

  it('orients by EXIF for JPEG and PNG, not for WebP (OpenCV 4.6 ignores WebP EXIF)', async () => {
    const jpeg = await decodeImage(fixture('variants/rgb-200x120-exif6.jpg'))
    const png = await decodeImage(fixture('variants/rgb-200x120-exif6.png'))
    const webp = await decodeImage(fixture('variants/rgb-200x120-exif6.webp'))
    expect([jpeg.width, jpeg.height, png.width, png.height]).toEqual([120, 200, 120, 200])
    expect([webp.width, webp.height]).toEqual([200, 120])
    expect((await sharp(fixture('variants/rgb-200x120-exif6.webp')).metadata()).orientation).toBe(6)
  })

  it('keeps the stored colour under transparent pixels (drops alpha, never composites)', async () => {
    const image = await decodeImage(fixture('variants/rgba-300x200.png'))
    const { data } = await sharp(fixture('variants/rgba-300x200.png')).raw().toBuffer({ resolveWithObject: true })
    // Column 10 of row 100 has alpha 0 and a photo colour underneath.
    const at = 100 * 300 + 10
    expect(data[at * 4 + 3]).toBe(0)
    expect(Array.from(image.data.subarray(at * 3, at * 3 + 3))).toEqual(Array.from(data.subarray(at * 4, at * 4 + 3)))
    expect(Array.from(image.data.subarray(at * 3, at * 3 + 3))).not.toEqual([0, 0, 0])
  })

  it('ignores an embedded CMYK profile, as OpenCV does', async () => {
    // A CMYK JPEG with libvips' CMYK profile embedded, and the same file without the profile.
    const rgb = await sharp(fixture('variants/rgb-300x200-444.jpg')).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer()
    const meta = await sharp(rgb).metadata()
    expect([meta.space, meta.hasProfile]).toEqual(['cmyk', true])
    const stripped = stripJpegSegments(rgb, 0xe2, 'ICC_PROFILE')
    expect(stripped.length).toBeLessThan(rgb.length)
    expect((await sharp(stripped).metadata()).hasProfile).toBe(false)
    const withProfile = await decodeImage(rgb)
    const without = await decodeImage(stripped)
    expect(fnv1a32(withProfile.data)).toBe(fnv1a32(without.data))
    // sharp's default (colour-managed) decode would differ: the profile is not a no-op.
    const managed = await sharp(rgb).removeAlpha().toColourspace('srgb').raw().toBuffer()
    expect(fnv1a32(managed)).not.toBe(fnv1a32(withProfile.data))
  })
})

/** The JPEG without its APPn segments `marker` whose payload starts with `ident`. */
function stripJpegSegments(jpeg: Uint8Array, marker: number, ident: string): Uint8Array {
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)]
  let at = 2
  while (jpeg[at] === 0xff && jpeg[at + 1] !== 0xda) {
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!
    const payload = Buffer.from(jpeg.subarray(at + 4, at + 4 + ident.length)).toString('latin1')
    if (!(jpeg[at + 1] === marker && payload === ident)) parts.push(jpeg.subarray(at, at + 2 + length))
    at += 2 + length
  }
  parts.push(jpeg.subarray(at))
  return Buffer.concat(parts)
}

describe('decodeImage on bad inputs', () => {
  // What MatteKit returns for each file in fixtures/bad, and what cv2.imread does (checked against
  // the reference). Where they differ, MatteKit is stricter on purpose: see image-io.ts.
  const expected: Record<string, { code: MatteErrorCode; opencv: BadRef['opencv']; message: RegExp }> = {
    'bad/empty.png': { code: 'INVALID_INPUT', opencv: 'none', message: /empty \(0 bytes\)/ },
    'bad/text.png': { code: 'INVALID_INPUT', opencv: 'none', message: /not an image: it looks like text \("This is a text file/ },
    'bad/random.bin': { code: 'INVALID_INPUT', opencv: 'none', message: /match no image format/ },
    'bad/truncated.png': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /truncated PNG/ },
    'bad/missing-iend.png': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /truncated PNG/ },
    'bad/short-idat.png': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /truncated or damaged/ },
    'bad/bad-crc.png': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /truncated or damaged/ },
    'bad/bad-data.png': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /truncated or damaged/ },
    // OpenCV returns these two JPEGs (libjpeg fills the missing rows grey, or finds no EOI).
    'bad/truncated.jpg': { code: 'CORRUPT_IMAGE', opencv: 'image', message: /OpenCV would return it with the missing part filled grey/ },
    'bad/missing-eoi.jpg': { code: 'CORRUPT_IMAGE', opencv: 'image', message: /truncated or damaged/ },
    'bad/truncated.webp': { code: 'CORRUPT_IMAGE', opencv: 'none', message: /could not be decoded as WebP/ },
    'bad/huge-100000x100000.png': { code: 'IMAGE_TOO_LARGE', opencv: 'raises', message: /100000x100000 = 10000000000 pixels/ },
    'bad/animated.gif': { code: 'UNSUPPORTED_FORMAT', opencv: 'none', message: /a GIF image.*Convert it to PNG/ },
    'bad/animated.webp': { code: 'UNSUPPORTED_FORMAT', opencv: 'none', message: /animated WebP/ },
    // OpenCV reads BMP and TIFF; MatteKit decodes JPEG, PNG and WebP only.
    'bad/image.bmp': { code: 'UNSUPPORTED_FORMAT', opencv: 'image', message: /a BMP image/ },
    'bad/image.tiff': { code: 'UNSUPPORTED_FORMAT', opencv: 'image', message: /a TIFF image/ },
  }

  it('covers every bad fixture', () => {
    expect(Object.keys(reference.bad).sort()).toEqual([...Object.keys(expected), 'bad/thin-20x600.png'].sort())
  })

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ${want.code} (cv2.imread: ${want.opencv})`, async () => {
      expect(reference.bad[name]?.opencv).toBe(want.opencv)
      const error = await expectCode(decodeImage(fixture(name)), want.code, want.message)
      expect(error.message).toContain(fixture(name))
      await expectCode(decodeImage(readFileSync(fixture(name))), want.code, want.message)
    })
  }

  it('bad/thin-20x600.png decodes (the size rule, not the decoder, rejects it)', async () => {
    const ref = reference.bad['bad/thin-20x600.png']!
    expect(ref.opencv).toBe('image')
    const image = await decodeImage(fixture('bad/thin-20x600.png'))
    expect([image.width, image.height]).toEqual([20, 600])
    expect(fnv1a32(image.data)).toBe(ref.fnv1a32)
  })

  it('rejects the huge header without allocating (fast, even with a high limit)', async () => {
    const started = performance.now()
    await expectCode(decodeImage(fixture('bad/huge-100000x100000.png'), { maxPixels: 9_999_999_999 }), 'IMAGE_TOO_LARGE')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('rejects a JPEG whose frame header declares 65000x65000 from the header alone', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('variants/rgb-600x400-baseline.jpg')))
    let at = 2
    while (!(bytes[at + 1]! >= 0xc0 && bytes[at + 1]! <= 0xc2)) at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!)
    bytes.set([0xfd, 0xe8, 0xfd, 0xe8], at + 5) // height, width
    const started = performance.now()
    await expectCode(decodeImage(bytes), 'IMAGE_TOO_LARGE')
    await expect(decodeImage(bytes)).rejects.toThrow(/65000x65000 = 4225000000 pixels/)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('decodes a JPEG with stray bytes between its segments as libjpeg does (warning, same pixels)', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('variants/rgb-600x400-baseline.jpg')))
    const app0End = 4 + ((bytes[4]! << 8) | bytes[5]!) // SOI, then APP0's length
    const stray = new Uint8Array(bytes.length + 3)
    stray.set(bytes.subarray(0, app0End))
    stray.set([0x00, 0x12, 0x34], app0End)
    stray.set(bytes.subarray(app0End), app0End + 3)
    const [a, b] = await Promise.all([decodeImage(bytes), decodeImage(stray)])
    expect([b.width, b.height]).toEqual([600, 400])
    expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true)
  })

  it('applies maxPixels to the declared size', async () => {
    const name = fixture('variants/rgb-600x400-baseline.jpg')
    expect(DEFAULT_MAX_PIXELS).toBe(100_000_000)
    await expect(decodeImage(name, { maxPixels: 240_000 })).resolves.toMatchObject({ width: 600, height: 400 })
    await expectCode(decodeImage(name, { maxPixels: 239_999 }), 'IMAGE_TOO_LARGE', /600x400 = 240000 pixels, more than the limit of 239999/)
    await expect(decodeImage(name, { maxPixels: Infinity })).resolves.toMatchObject({ width: 600 })
  })

  it('rejects a bad maxPixels with INVALID_OPTION', async () => {
    for (const maxPixels of [0, -1, 1.5, Number.NaN, '100' as unknown as number, 2 ** 60]) {
      await expectCode(decodeImage(fixture('variants/grey-320x240.png'), { maxPixels }), 'INVALID_OPTION', /maxPixels/)
    }
  })

  it('names the path of a missing file, and rejects a directory', async () => {
    const missing = '/nonexistent/dir/portrait.jpg'
    const error = await expectCode(decodeImage(missing), 'INVALID_INPUT', /does not exist/)
    expect(error.message).toContain(missing)
    await expectCode(decodeImage(fixture('variants')), 'INVALID_INPUT', /is a directory/)
    await expectCode(decodeImage(''), 'INVALID_INPUT', /empty string/)
  })

  it('rejects inputs that are neither a path nor bytes', async () => {
    for (const input of [42, null, undefined, {}, new ArrayBuffer(8), [1, 2, 3]]) {
      await expectCode(decodeImage(input as unknown as string), 'INVALID_INPUT', /file path \(string\) or the bytes/)
    }
  })

  it('tells recognisable formats (UNSUPPORTED_FORMAT) from non-images (INVALID_INPUT)', async () => {
    const bytes = (text: string, pad = 0): Uint8Array => {
      const out = new Uint8Array(Math.max(text.length, pad))
      for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
      return out
    }
    const unsupported: Record<string, Uint8Array> = {
      AVIF: bytes('\0\0\0\x1cftypavif\0\0\0\0avifmif1', 64),
      'HEIF/HEIC': bytes('\0\0\0\x18ftypheic\0\0\0\0mif1heic'),
      'JPEG XL': bytes('\xff\x0a\xfa\x7f'),
      'JPEG 2000': bytes('\0\0\0\x0CjP  \r\n\x87\n'),
      SVG: bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
      'PNM/PAM': bytes('P6\n4 4\n255\n'),
      'Photoshop (PSD)': bytes('8BPS\0\x01'),
    }
    for (const [name, data] of Object.entries(unsupported)) {
      await expectCode(decodeImage(data), 'UNSUPPORTED_FORMAT', new RegExp(`an? ${name.replace(/[()/]/g, '\\$&')} image`))
    }
    await expectCode(decodeImage(bytes('<!DOCTYPE html><html><body>404</body></html>')), 'INVALID_INPUT', /HTML page/)
    await expectCode(decodeImage(bytes('{"error": "not found"}')), 'INVALID_INPUT', /looks like text/)
    await expectCode(decodeImage(new Uint8Array(0)), 'INVALID_INPUT', /empty/)
    // A signature alone is not an image.
    await expectCode(decodeImage(bytes('\x89PNG\r\n\x1a\n', 8)), 'CORRUPT_IMAGE', /truncated PNG/)
    await expectCode(decodeImage(bytes('\xff\xd8\xff\xe0', 4)), 'CORRUPT_IMAGE', /JPEG/)
    await expectCode(decodeImage(bytes('RIFF\0\0\0\0WEBPVP8 ', 16)), 'CORRUPT_IMAGE', /WebP/)
  })
})

describe('decodeImage cancellation', () => {
  it('rejects with ABORTED for an already-aborted signal', async () => {
    const controller = new AbortController()
    controller.abort(new Error('user left'))
    const error = await expectCode(decodeImage(fixture('variants/grey-320x240.png'), { signal: controller.signal }), 'ABORTED')
    expect(error.name).toBe('AbortError')
    expect((error.cause as Error).message).toBe('user left')
    await expectCode(decodeImage(readFileSync(fixture('variants/grey-320x240.png')), { signal: controller.signal }), 'ABORTED')
  })

  it('rejects with ABORTED when the signal fires during the read or the decode', async () => {
    for (const input of [fixture('variants/rgb-600x400-baseline.jpg'), readFileSync(fixture('variants/rgb-600x400-baseline.jpg'))]) {
      const controller = new AbortController()
      const pending = decodeImage(input, { signal: controller.signal })
      controller.abort()
      await expectCode(pending, 'ABORTED')
    }
    for (let delay = 0; delay < 4; delay++) {
      const controller = new AbortController()
      const pending = decodeImage(fixture('variants/rgb-600x400-lossy.webp'), { signal: controller.signal })
      setTimeout(() => controller.abort(), delay)
      const outcome = await pending.then(
        () => 'decoded',
        (e: unknown) => (isMatteError(e, 'ABORTED') ? 'aborted' : e),
      )
      expect(['decoded', 'aborted']).toContain(outcome)
    }
  })
})

describe('fromRawPixels', () => {
  it('replicates grey, drops alpha and keeps RGB as is', () => {
    const grey = fromRawPixels({ data: Uint8Array.of(0, 128, 255, 7), width: 2, height: 2, channels: 1 })
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7])
    const greyAlpha = fromRawPixels({ data: Uint8Array.of(10, 0, 20, 255), width: 1, height: 2, channels: 2 })
    expect(Array.from(greyAlpha.data)).toEqual([10, 10, 10, 20, 20, 20])
    const rgba = fromRawPixels({ data: Uint8Array.of(1, 2, 3, 0, 4, 5, 6, 255), width: 2, height: 1, channels: 4 })
    expect(Array.from(rgba.data)).toEqual([1, 2, 3, 4, 5, 6])
    const data = Uint8Array.of(1, 2, 3)
    const rgb = fromRawPixels({ data, width: 1, height: 1, channels: 3 })
    expect(rgb.data).toBe(data)
    expect([rgb.width, rgb.height]).toEqual([1, 1])
  })

  it('gives what decodeImage gives for the same pixels', async () => {
    for (const name of ['variants/rgba-300x200.png', 'variants/grey-alpha-300x200.png', 'variants/grey-320x240.png']) {
      const { data, info } = await sharp(fixture(name)).raw().toBuffer({ resolveWithObject: true })
      const raw = fromRawPixels({ data, width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 })
      expect(fnv1a32(raw.data)).toBe(reference.variants[name]!.fnv1a32)
    }
  })

  it('rejects wrong sizes, channel counts and data', () => {
    const cases: unknown[] = [
      { data: new Uint8Array(12), width: 2, height: 2, channels: 2 },
      { data: new Uint8Array(12), width: 0, height: 2, channels: 3 },
      { data: new Uint8Array(12), width: 2.5, height: 2, channels: 3 },
      { data: new Uint8Array(12), width: 2, height: 2, channels: 5 },
      { data: [1, 2, 3], width: 1, height: 1, channels: 3 },
      { data: new Uint16Array(3), width: 1, height: 1, channels: 3 },
      null,
    ]
    for (const raw of cases) {
      expect(() => fromRawPixels(raw as Parameters<typeof fromRawPixels>[0])).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
      )
    }
  })
})
