#!/usr/bin/env python3
"""Reference for core's multi-level foreground estimator (estimateForeground, method 'ml').

pymatting is not packaged for Debian, so this script reproduces its `estimate_foreground_ml`
(Germer et al., ICPR 2020; pymatting's `_estimate_fb_ml` as of commit 8ffebd3) in plain
Python + NumPy, keeping numba's number types: float32 arrays and float32 arithmetic where
pymatting's compiled code has float32 operands, float64 where it mixes in a Python float.

It builds a synthetic soft-edged scene (known F over known B with a soft matte and hair-like
strands), runs the estimator with pymatting's defaults, and writes the inputs and the estimated
foreground to packages/core/src/testdata/foreground-ml.json, which foreground.test.ts compares
with the TypeScript port.

    /usr/bin/python3 scripts/reference/foreground_ml.py
"""
import base64
import json
import math
import os

import numpy as np

f32 = np.float32
W, H = 72, 56


def scene():
    img = np.zeros((H, W, 3), np.uint8)
    alpha = np.zeros((H, W), np.uint8)
    for y in range(H):
        for x in range(W):
            r = math.hypot(x - W / 2, y - H / 2) / (0.3 * min(W, H))
            a = min(1.0, max(0.0, (1.4 - r) / 0.6))
            strand = abs(math.sin(math.atan2(y - H / 2, x - W / 2) * 20))
            if 1 < r < 1.8 and strand > 0.9:
                a = max(a, 0.6 * max(0.0, 1 - (r - 1) / 0.8))
            al = round(a * 255)
            alpha[y, x] = al
            fg = (200 + 40 * math.sin(x / 9), 140 + 50 * math.cos(y / 13), 90 + 30 * math.sin((x + y) / 17))
            bg = (30 + 20 * math.cos(x / 21), 180 + 40 * math.sin(y / 19), 60 + 50 * math.cos((x - y) / 25))
            for c in range(3):
                img[y, x, c] = round(al / 255 * round(fg[c]) + (1 - al / 255) * round(bg[c]))
    return img, alpha


def resize_nearest(dst, src):
    h_src, w_src = src.shape[:2]
    h_dst, w_dst = dst.shape[:2]
    for y in range(h_dst):
        for x in range(w_dst):
            xs = max(0, min(w_src - 1, x * w_src // w_dst))
            ys = max(0, min(h_src - 1, y * h_src // h_dst))
            dst[y, x] = src[ys, xs]


def estimate_fb_ml(input_image, input_alpha, regularization=f32(1e-5), n_small=10, n_big=2, small_size=32, gradient_weight=f32(1.0)):
    h0, w0, depth = input_image.shape
    F_mean = np.zeros(depth, f32)
    B_mean = np.zeros(depth, f32)
    F_count = B_count = 0
    for y in range(h0):
        for x in range(w0):
            if input_alpha[y, x] > 0.9:
                F_mean += input_image[y, x]
                F_count += 1
            if input_alpha[y, x] < 0.1:
                B_mean += input_image[y, x]
                B_count += 1
    F_mean /= F_count + 1e-5
    B_mean /= B_count + 1e-5
    F_prev = np.zeros((1, 1, depth), f32) + F_mean
    B_prev = np.zeros((1, 1, depth), f32) + B_mean
    n_levels = int(np.ceil(np.log2(max(w0, h0))))
    dx = [-1, 1, 0, 0]
    dy = [0, 0, -1, 1]
    for level in range(n_levels + 1):
        w = round(w0 ** (level / n_levels))
        h = round(h0 ** (level / n_levels))
        image = np.empty((h, w, depth), f32)
        alpha = np.empty((h, w), f32)
        resize_nearest(image, input_image)
        resize_nearest(alpha, input_alpha)
        F = np.empty((h, w, depth), f32)
        B = np.empty((h, w, depth), f32)
        resize_nearest(F, F_prev)
        resize_nearest(B, B_prev)
        n_iter = n_small if (w <= small_size and h <= small_size) else n_big
        b = np.zeros((2, depth), f32)
        for _ in range(n_iter):
            for y in range(h):
                for x in range(w):
                    a0 = alpha[y, x]  # float32
                    a1 = 1.0 - float(a0)  # float64 (a Python float minus a float32)
                    a00 = a0 * a0  # float32
                    a01 = float(a0) * a1  # float64
                    a11 = a1 * a1  # float64
                    for c in range(depth):
                        b[0, c] = a0 * image[y, x, c]
                        b[1, c] = a1 * float(image[y, x, c])
                    for d in range(4):
                        x2 = max(0, min(w - 1, x + dx[d]))
                        y2 = max(0, min(h - 1, y + dy[d]))
                        gradient = abs(a0 - alpha[y2, x2])  # float32
                        da = regularization + gradient_weight * gradient  # float32
                        a00 = a00 + da  # float32
                        a11 = a11 + float(da)  # float64
                        for c in range(depth):
                            b[0, c] = b[0, c] + da * F[y2, x2, c]
                            b[1, c] = b[1, c] + da * B[y2, x2, c]
                    det = float(a00) * a11 - a01 * a01
                    inv = 1.0 / det
                    b00 = inv * a11
                    b01 = inv * -a01
                    b11 = inv * float(a00)
                    for c in range(depth):
                        Fc = b00 * float(b[0, c]) + b01 * float(b[1, c])
                        Bc = b01 * float(b[0, c]) + b11 * float(b[1, c])
                        F[y, x, c] = max(0.0, min(1.0, Fc))
                        B[y, x, c] = max(0.0, min(1.0, Bc))
        F_prev, B_prev = F, B
    return F_prev


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode('ascii')


def main():
    img, alpha = scene()
    F = estimate_fb_ml(img.astype(f32) / f32(255), alpha.astype(f32) / f32(255))
    out = {
        'source': "scripts/reference/foreground_ml.py: pymatting's estimate_foreground_ml (commit 8ffebd3) reproduced in Python/NumPy, defaults",
        'width': W,
        'height': H,
        'image': b64(img),
        'matte': b64(alpha),
        'foreground': b64(F.astype(f32)),
    }
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', 'testdata', 'foreground-ml.json')
    with open(path, 'w') as fh:
        json.dump(out, fh)
        fh.write('\n')
    print(f'wrote {os.path.normpath(path)}: {W}x{H}, F mean {F.mean():.4f}')


if __name__ == '__main__':
    main()
