#!/usr/bin/python3
"""Writes packages/node/src/testdata/decode-reference.json: what Debian's OpenCV decodes.

Dev-only; the tests read the JSON and never run Python. For every file in fixtures/variants/ (plus
the two source portraits) it records what

    im = cv2.imread(path, cv2.IMREAD_COLOR); im = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)

gives: the shape, the FNV-1a 32 checksum of the interleaved RGB bytes, and the RGB of a fixed,
spread-out sample of pixels (pixel index (i * 2654435761) mod (width * height) for i < SAMPLES,
base64). For every file in fixtures/bad/ it records what cv2.imread does: 'none' (returns None),
'raises' (cv2.error) or 'image' (with the shape and checksum). Run scripts/fixtures/make-variants.py first.

    /usr/bin/python3 scripts/reference/decode_reference.py
"""

import base64
import json
import os

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIXTURES = os.path.join(ROOT, 'fixtures')
OUT = os.path.join(ROOT, 'packages', 'node', 'src', 'testdata', 'decode-reference.json')
SAMPLES = 1024
STEP = 2654435761  # prime: the sample indices are distinct for any image with fewer pixels


def fnv1a32(data):
    """FNV-1a 32 over bytes (vectorised by hand would be faster; the fixtures are small)."""
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def sample_indices(count):
    n = min(SAMPLES, count)
    return [(i * STEP) % count for i in range(n)]


def read_rgb(path):
    im = cv2.imread(path, cv2.IMREAD_COLOR)
    if im is None:
        return None
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def describe(path):
    rgb = read_rgb(path)
    h, w = rgb.shape[:2]
    flat = np.ascontiguousarray(rgb).reshape(-1, 3)
    picked = flat[sample_indices(w * h)]
    return {
        'width': w,
        'height': h,
        'fnv1a32': '%08x' % fnv1a32(flat.tobytes()),
        'samples': base64.b64encode(picked.astype(np.uint8).tobytes()).decode('ascii'),
    }


def main():
    variants = {}
    folder = os.path.join(FIXTURES, 'variants')
    for name in sorted(os.listdir(folder)):
        if name.endswith('.md'):
            continue
        variants['variants/' + name] = describe(os.path.join(folder, name))
    for name in ('astronaut.png', 'camera.png'):
        variants[name] = describe(os.path.join(FIXTURES, name))

    bad = {}
    folder = os.path.join(FIXTURES, 'bad')
    for name in sorted(os.listdir(folder)):
        try:
            rgb = read_rgb(os.path.join(folder, name))
            entry = {'opencv': 'none' if rgb is None else 'image'}
        except cv2.error as e:  # e.g. a header over CV_IO_MAX_IMAGE_PIXELS raises instead
            rgb = None
            entry = {'opencv': 'raises', 'message': str(e).strip().splitlines()[-1][-120:]}
        if rgb is not None:
            h, w = rgb.shape[:2]
            entry.update(width=w, height=h, fnv1a32='%08x' % fnv1a32(np.ascontiguousarray(rgb).tobytes()))
        bad['bad/' + name] = entry

    reference = {
        'generator': 'scripts/reference/decode_reference.py',
        'opencv': cv2.__version__,
        'read': 'cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)',
        'sampleCount': SAMPLES,
        'sampleStep': STEP,
        'variants': variants,
        'bad': bad,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(reference, f, indent=1, sort_keys=False)
        f.write('\n')
    print('wrote %s (%d variants, %d bad inputs, %d bytes)' % (OUT, len(variants), len(bad), os.path.getsize(OUT)))


if __name__ == '__main__':
    main()
