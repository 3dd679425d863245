#!/usr/bin/python3
"""Writes packages/core/src/testdata/opencv-reference.json: what OpenCV itself computes.

Dev-only. Run it with Debian's Python, which has python3-opencv (the pyenv `python3` does not):

    /usr/bin/python3 scripts/reference/opencv_reference.py [--dump DIR]

The TypeScript tests (packages/core) check MatteKit's size rule, INTER_AREA resampler, tensor
preprocessing and matte post-processing against this file, without Python. Inputs are never
stored: they come from a seeded mulberry32 generator that `packages/core/src/testing/prng.ts`
mirrors, or from the fixture PNGs in `fixtures/`. For each result the file keeps its shape, a
CRC-32 of its bytes (bit-exact), a CRC-32 of float values rounded to 1e-5, the sum, and a few
hundred to a couple of thousand values at positions the same generator picks.

`--dump DIR` also writes every full result as raw little-endian bytes (`DIR/<name>.bin`), for
debugging a mismatch.
"""

import argparse
import base64
import json
import os
import sys
import zlib

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'core', 'src', 'testdata', 'opencv-reference.json')
FIXTURES = os.path.join(ROOT, 'fixtures')

MASK = 0xFFFFFFFF
GOLDEN = 0x6D2B79F5
REF = 512

U8_SAMPLES = 1536
F32_SAMPLES = 512


# --- the generator: mulberry32, whose state is a counter, so it vectorises --------------------

def mulberry32(seed, n):
    """The first n outputs of mulberry32(seed) as uint64 values in [0, 2^32)."""
    a = (np.uint64(seed & MASK) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN)) & np.uint64(MASK)
    t = a
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & np.uint64(MASK)
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & np.uint64(MASK))) & np.uint64(MASK))
    return (t ^ (t >> np.uint64(14))) & np.uint64(MASK)


def random_bytes(seed, n):
    return (mulberry32(seed, n) >> np.uint64(24)).astype(np.uint8)


def random_floats(seed, n):
    return ((mulberry32(seed, n) >> np.uint64(8)).astype(np.float64) * 2.0 ** -23 - 1.0).astype(np.float32)


def sample_positions(seed, n, count):
    u = mulberry32(seed, count - 2) % np.uint64(n)
    return np.concatenate([np.array([0, n - 1], dtype=np.int64), u.astype(np.int64)])


# --- summaries --------------------------------------------------------------------------------

def crc(arr):
    return '%08x' % (zlib.crc32(np.ascontiguousarray(arr).tobytes()) & MASK)


def crc_rounded(arr):
    q = np.floor(arr.astype(np.float64).ravel() * 1e5 + 0.5).astype(np.int64).astype(np.int32)
    return crc(q.astype('<i4'))


def summary(arr, sample_seed, count):
    flat = np.ascontiguousarray(arr).ravel()
    pos = sample_positions(sample_seed, flat.size, min(count, max(2, flat.size)))
    values = flat[pos]
    out = {
        'crc32': crc(flat),
        'sum': float(np.sum(flat.astype(np.float64))),
        'sampleSeed': sample_seed,
        'samples': base64.b64encode(values.astype('<f4' if flat.dtype == np.float32 else np.uint8).tobytes()).decode('ascii'),
    }
    if flat.dtype == np.float32:
        out['crc32Rounded'] = crc_rounded(flat)
    return out


def dump(dump_dir, name, arr):
    if dump_dir:
        os.makedirs(dump_dir, exist_ok=True)
        with open(os.path.join(dump_dir, name + '.bin'), 'wb') as f:
            f.write(np.ascontiguousarray(arr).tobytes())


# --- the official pipeline (MODNet onnx/inference_onnx.py) --------------------------------------

def official_size(w, h, ref=REF):
    """get_scale_factor() of inference_onnx.py, as (rw, rh)."""
    if max(h, w) < ref or min(h, w) > ref:
        if w >= h:
            rh = ref
            rw = int(w / h * ref)
        else:
            rw = ref
            rh = int(h / w * ref)
    else:
        rh = h
        rw = w
    return rw - rw % 32, rh - rh % 32


def official_tensor(rgb):
    """Normalise in float64, resize with fx/fy and INTER_AREA, cast to float32, HWC -> CHW."""
    h, w = rgb.shape[:2]
    rw, rh = official_size(w, h)
    im = (rgb - 127.5) / 127.5
    im = cv2.resize(im, None, fx=rw / w, fy=rh / h, interpolation=cv2.INTER_AREA)
    im = np.transpose(im)
    im = np.swapaxes(im, 1, 2)
    return np.expand_dims(im, axis=0).astype('float32')


def load_fixture(name):
    im = cv2.imread(os.path.join(FIXTURES, name), cv2.IMREAD_COLOR)
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def tiled_crop(img, x, y, w, h):
    """Pixel (i, j) of the result is img[(y + j) % H, (x + i) % W]: crops, or tiles past the edges."""
    hh, ww = img.shape[:2]
    rows = (y + np.arange(h)) % hh
    cols = (x + np.arange(w)) % ww
    return np.ascontiguousarray(img[rows][:, cols])


# --- cases --------------------------------------------------------------------------------------

SIZE_CASES = [
    (512, 512), (500, 500), (513, 513), (1, 1), (31, 17), (600, 400), (640, 480), (512, 600),
    (700, 300), (1280, 720), (1920, 1080), (3840, 2160), (1080, 1920), (4000, 3000), (33, 4000),
    (20, 600), (600, 20), (17, 31), (511, 511), (511, 1), (1, 511), (512, 1), (1, 512), (513, 1),
    (32, 600), (31, 600), (512, 31), (512, 32), (1000, 513), (513, 1000), (10000, 513), (333, 511),
    (500, 300), (400, 512), (1024, 1024), (1536, 1024), (1, 10000), (10000, 1), (767, 512), (2, 3),
    (3, 2), (100000, 600), (4096, 4096), (511, 512), (512, 511), (1023, 767),
]

RESIZE_PAIRS = [
    ((1, 1), (512, 512)),
    ((31, 17), (928, 512)),
    ((17, 31), (512, 928)),
    ((928, 512), (31, 17)),
    ((4000, 3000), (672, 512)),
    ((672, 512), (4000, 3000)),
    ((3000, 512), (512, 3000)),
    ((512, 3000), (3000, 512)),
    ((600, 400), (576, 384)),
    ((576, 384), (600, 400)),
    ((600, 400), (576, 401)),
    ((33, 4000), (32, 4000)),
    ((512, 512), (512, 512)),
    ((512, 1080), (896, 512)),
    ((1080, 512), (512, 1080)),
    ((896, 512), (1920, 1080)),
    ((1920, 1080), (896, 512)),
    ((1280, 720), (896, 512)),
    ((512, 600), (512, 576)),
    ((100, 512), (100, 600)),
    ((1024, 1024), (512, 512)),
    ((1002, 600), (501, 300)),
    ((1536, 1024), (512, 512)),
    ((512, 1080), (512, 540)),
    ((640, 480), (320, 160)),
    ((1200, 900), (400, 300)),
    ((7, 5), (23, 19)),
]

# (fixture, x, y, width, height): crops, or periodic tilings for sizes past 512.
TENSOR_CASES = [
    ('astronaut.png', 0, 0, 512, 512),
    ('astronaut.png', 6, 100, 500, 300),
    ('astronaut.png', 240, 200, 31, 17),
    ('astronaut.png', 50, 0, 400, 512),
    ('astronaut.png', 0, 100, 700, 300),
    ('astronaut.png', 100, 1, 333, 511),
    ('astronaut.png', 0, 0, 1920, 1080),
    ('astronaut.png', 0, 0, 1024, 1024),
    ('astronaut.png', 10, 20, 600, 400),
    ('camera.png', 0, 0, 512, 512),
    ('camera.png', 6, 100, 500, 300),
    ('camera.png', 240, 200, 31, 17),
    ('camera.png', 0, 100, 700, 300),
    ('camera.png', 100, 1, 333, 511),
    ('camera.png', 0, 0, 1280, 720),
    ('camera.png', 0, 0, 640, 480),
]

# (model size, original size): the 8-bit matte goes from the first to the second.
MATTE_CASES = [
    ((896, 512), (1920, 1080)),
    ((672, 512), (4000, 3000)),
    ((928, 512), (31, 17)),
    ((576, 384), (600, 400)),
    ((512, 512), (512, 512)),
    ((512, 512), (500, 500)),
    ((832, 512), (500, 300)),
    ((32, 4000), (33, 4000)),
    ((512, 896), (1080, 1920)),
    ((512, 768), (333, 511)),
    ((672, 288), (700, 300)),
    ((640, 480), (640, 480)),
]


def synthetic_alpha(seed, w, h):
    """A deterministic stand-in model output in [0, 1]: a ramp plus noise, float32.

    a = clip(((5x + 3y) mod 300) / 299 + noise, 0, 1), noise = (u >> 8) / 2^24 * 0.2 - 0.1,
    computed in float64 and rounded to float32 once.
    """
    y, x = np.mgrid[0:h, 0:w]
    base = ((x * 5 + y * 3) % 300).astype(np.float64) / 299.0
    noise = (mulberry32(seed, w * h) >> np.uint64(8)).astype(np.float64).reshape(h, w) / 16777216.0 * 0.2 - 0.1
    return np.clip(base + noise, 0.0, 1.0).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dump', help='also write full results here, as raw bytes')
    args = parser.parse_args()

    if cv2.__version__ != '4.6.0':
        print('warning: expected OpenCV 4.6.0 (Debian), found', cv2.__version__, file=sys.stderr)

    size_rule = []
    for w, h in SIZE_CASES:
        rw, rh = official_size(w, h)
        if rw == 0 or rh == 0:
            size_rule.append({'input': [w, h], 'error': 'IMAGE_TOO_SMALL'})
        else:
            size_rule.append({'input': [w, h], 'output': [rw, rh]})

    resize = []
    seed = 1000
    for (sw, sh), (dw, dh) in RESIZE_PAIRS:
        for dtype in ('u8', 'f32'):
            for cn in (1, 3):
                seed += 1
                if dtype == 'f32' and cn == 3 and max(sw * sh, dw * dh) * cn > 20_000_000:
                    continue
                n = sw * sh * cn
                src = random_bytes(seed, n) if dtype == 'u8' else random_floats(seed, n)
                src = src.reshape((sh, sw) if cn == 1 else (sh, sw, cn))
                dst = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_AREA)
                name = f'{dtype}c{cn}_{sw}x{sh}_to_{dw}x{dh}'
                dump(args.dump, name, dst)
                case = {'name': name, 'dtype': dtype, 'channels': cn, 'from': [sw, sh], 'to': [dw, dh], 'seed': seed}
                case.update(summary(dst, seed ^ 0x5EED, U8_SAMPLES if dtype == 'u8' else F32_SAMPLES))
                resize.append(case)
                print(name, case['crc32'], file=sys.stderr)

    tensor = []
    images = {}
    for i, (fixture, x, y, w, h) in enumerate(TENSOR_CASES):
        if fixture not in images:
            images[fixture] = load_fixture(fixture)
        rgb = tiled_crop(images[fixture], x, y, w, h)
        t = official_tensor(rgb)
        name = f'{fixture[:-4]}_{x}_{y}_{w}x{h}'
        dump(args.dump, 'tensor_' + name, t)
        case = {
            'name': name,
            'fixture': fixture,
            'crop': {'x': x, 'y': y, 'width': w, 'height': h},
            'inputCrc32': crc(rgb),
            'shape': list(t.shape),
        }
        case.update(summary(t, 7000 + i, F32_SAMPLES))
        tensor.append(case)
        print('tensor', name, t.shape, case['crc32'], file=sys.stderr)

    matte = []
    for i, ((mw, mh), (ow, oh)) in enumerate(MATTE_CASES):
        alpha_seed = 9000 + i
        alpha = synthetic_alpha(alpha_seed, mw, mh)
        a8 = (alpha * 255).astype('uint8')  # the official quantisation, on float32
        m = cv2.resize(a8, dsize=(ow, oh), interpolation=cv2.INTER_AREA)
        name = f'{mw}x{mh}_to_{ow}x{oh}'
        dump(args.dump, 'matte_' + name, m)
        case = {'name': name, 'model': [mw, mh], 'original': [ow, oh], 'seed': alpha_seed,
                'quantizedCrc32': crc(a8), 'alphaCrc32': crc(alpha)}
        case.update(summary(m, 8000 + i, U8_SAMPLES))
        matte.append(case)
        print('matte', name, case['crc32'], file=sys.stderr)

    doc = {
        'generator': 'scripts/reference/opencv_reference.py',
        'opencv': cv2.__version__,
        'numpy': np.__version__,
        'notes': {
            'inputs': 'u8: top byte of mulberry32(seed) outputs; f32: (u >> 8) * 2^-23 - 1; interleaved, rows top to bottom',
            'crc32': 'CRC-32 (zlib) of the result bytes: uint8, or float32 little-endian',
            'crc32Rounded': 'CRC-32 of int32 floor(v * 1e5 + 0.5), little-endian',
            'samples': 'base64 values (uint8, or float32 little-endian) at samplePositions(sampleSeed, n, count): 0, n - 1, then mulberry32 % n',
            'tensor': 'official inference_onnx.py preprocessing of tiled_crop(fixture): pixel (i, j) = img[(y + j) % H, (x + i) % W]',
            'matte': 'alpha = synthetic_alpha(seed), a8 = (alpha * 255).astype(uint8), then cv2.resize(a8, original, INTER_AREA)',
        },
        'sizeRule': size_rule,
        'resize': resize,
        'tensor': tensor,
        'matte': matte,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(OUT, ROOT), os.path.getsize(OUT), 'bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
