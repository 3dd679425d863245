#!/usr/bin/python3
"""Dev-only: the official MODNet ONNX pipeline (onnx/inference_onnx.py at 28165a4) run on every
fixture variant with the stand-in model, to produce the reference mattes the end-to-end tests
compare MatteKit with.

Pre- and post-processing are OpenCV's own (Debian python3-opencv); inference is onnxruntime-node
through ort_run.mjs, the same runtime MatteKit uses, so the comparison isolates the pipeline.

usage: /usr/bin/python3 scripts/reference/e2e_reference.py   (after `npm run models`)
writes fixtures/reference/<variant>.png and fixtures/reference/e2e.json
"""
import hashlib, json, os, subprocess, sys, tempfile
import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODEL = os.path.join(ROOT, 'models', 'stand-in', 'model.onnx')
SOURCES = [os.path.join(ROOT, 'fixtures', 'astronaut.png'), os.path.join(ROOT, 'fixtures', 'camera.png')]
VARIANTS = os.path.join(ROOT, 'fixtures', 'variants')
OUT = os.path.join(ROOT, 'fixtures', 'reference')
REF_SIZE = 512


def get_scale_factor(im_h, im_w, ref_size):
    # verbatim from onnx/inference_onnx.py
    if max(im_h, im_w) < ref_size or min(im_h, im_w) > ref_size:
        if im_w >= im_h:
            im_rh = ref_size
            im_rw = int(im_w / im_h * ref_size)
        elif im_w < im_h:
            im_rw = ref_size
            im_rh = int(im_h / im_w * ref_size)
    else:
        im_rh = im_h
        im_rw = im_w
    im_rw = im_rw - im_rw % 32
    im_rh = im_rh - im_rh % 32
    return im_rw / im_w, im_rh / im_h


def official(path, tmp):
    im = cv2.imread(path)
    im = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
    if len(im.shape) == 2:
        im = im[:, :, None]
    if im.shape[2] == 1:
        im = np.repeat(im, 3, axis=2)
    elif im.shape[2] == 4:
        im = im[:, :, 0:3]
    im = (im - 127.5) / 127.5
    im_h, im_w, im_c = im.shape
    x, y = get_scale_factor(im_h, im_w, REF_SIZE)
    im = cv2.resize(im, None, fx=x, fy=y, interpolation=cv2.INTER_AREA)
    im = np.transpose(im)
    im = np.swapaxes(im, 1, 2)
    im = np.expand_dims(im, axis=0).astype('float32')
    _, _, h, w = im.shape
    fin, fout = os.path.join(tmp, 'in.f32'), os.path.join(tmp, 'out.f32')
    im.tofile(fin)
    subprocess.run(['node', os.path.join(os.path.dirname(__file__), 'ort_run.mjs'), MODEL, fin, str(h), str(w), fout],
                   check=True, cwd=ROOT)
    result = np.fromfile(fout, dtype=np.float32).reshape(1, 1, h, w)
    matte = (np.squeeze(result) * 255).astype('uint8')
    matte = cv2.resize(matte, dsize=(im_w, im_h), interpolation=cv2.INTER_AREA)
    return matte, (w, h)


def main():
    if not os.path.exists(MODEL):
        sys.exit('run `npm run models` first')
    model_sha = hashlib.sha256(open(MODEL, 'rb').read()).hexdigest()
    os.makedirs(OUT, exist_ok=True)
    inputs = SOURCES + sorted(os.path.join(VARIANTS, n) for n in os.listdir(VARIANTS)
                              if n.lower().endswith(('.png', '.jpg', '.jpeg', '.webp')))
    cases = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in inputs:
            rel = os.path.relpath(path, ROOT)
            name = rel.replace('fixtures/', '').replace('/', '__')
            name = name + '.png'  # keep the source extension: a.jpg and a.png are different cases
            matte, (w, h) = official(path, tmp)
            cv2.imwrite(os.path.join(OUT, name), matte, [cv2.IMWRITE_PNG_COMPRESSION, 9])
            cases[rel] = {'reference': 'fixtures/reference/' + name, 'width': int(matte.shape[1]),
                          'height': int(matte.shape[0]), 'modelWidth': w, 'modelHeight': h}
            print(f'{rel}: {matte.shape[1]}x{matte.shape[0]} via {w}x{h}')
    meta = {'modelSha256': model_sha, 'opencv': cv2.__version__, 'cases': cases}
    with open(os.path.join(OUT, 'e2e.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
