import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MODEL_VARIANT,
  MODEL_VARIANTS,
  MODNET_BASE_URL,
  MODNET_LICENSE_NOTICE,
  MODNET_MODELS,
  MODNET_REVISION,
  checkModelUrl,
  isLoopbackHost,
  resolveModel,
} from './manifest.js'

const SHA = 'ab'.repeat(32)

describe('the pinned manifest (MODNET.md section 1)', () => {
  it('pins the official files by revision, size and SHA-256', () => {
    expect(MODNET_REVISION).toBe('fa2fa546052fba4c08921230a26cc69a333fca12')
    expect(MODNET_BASE_URL).toBe('https://huggingface.co/Xenova/modnet/resolve/fa2fa546052fba4c08921230a26cc69a333fca12')
    expect(MODEL_VARIANTS).toEqual(['fp32', 'fp16', 'uint8'])
    expect(DEFAULT_MODEL_VARIANT).toBe('fp32')
    const pinned = Object.fromEntries(
      Object.entries(MODNET_MODELS).map(([v, m]) => [v, { file: m.file, bytes: m.bytes, sha256: m.sha256 }]),
    )
    expect(pinned).toEqual({
      fp32: {
        file: 'onnx/model.onnx',
        bytes: 25_888_640,
        sha256: '07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9',
      },
      fp16: {
        file: 'onnx/model_fp16.onnx',
        bytes: 12_984_781,
        sha256: '25f165da9bfd30830a575f1f0490f1acd995975cb349bc02f3d79332e1fe5cf6',
      },
      uint8: {
        file: 'onnx/model_quantized.onnx',
        bytes: 6_632_188,
        sha256: '92e49898c3e05a6d7a944fc67a8cb87c4aad754ffb6ebd949528c7d1105fee3a',
      },
    })
    expect(Object.isFrozen(MODNET_MODELS) && Object.isFrozen(MODNET_MODELS.fp32)).toBe(true)
  })

  it('resolves no model to the official fp32 file at the pinned revision', () => {
    expect(resolveModel()).toEqual({
      key: '07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9.onnx',
      url: 'https://huggingface.co/Xenova/modnet/resolve/fa2fa546052fba4c08921230a26cc69a333fca12/onnx/model.onnx',
      sha256: '07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9',
      bytes: 25_888_640,
      variant: 'fp32',
      label: 'MODNet fp32',
    })
    expect(resolveModel({ variant: 'uint8' }).url).toBe(`${MODNET_BASE_URL}/onnx/model_quantized.onnx`)
  })

  it('carries the Apache-2.0 notice of the MODNet authors', () => {
    expect(MODNET_LICENSE_NOTICE).toMatch(/Apache License 2\.0/)
    expect(MODNET_LICENSE_NOTICE).toMatch(/Zhanghan Ke/)
    expect(MODNET_LICENSE_NOTICE).toContain(MODNET_REVISION)
  })
})

describe('resolveModel', () => {
  it('a mirror replaces the base URL for official files, keeping hash and size', () => {
    const m = resolveModel({ variant: 'fp16' }, { mirror: 'https://models.example.com/modnet/' })
    expect(m.url).toBe('https://models.example.com/modnet/onnx/model_fp16.onnx')
    expect(m.sha256).toBe(MODNET_MODELS.fp16.sha256)
    expect(m.bytes).toBe(MODNET_MODELS.fp16.bytes)
    expect(() => resolveModel({ variant: 'fp16' }, { mirror: 'http://models.example.com' })).toThrow(/https/)
  })

  it('custom models need a pinned SHA-256; the cache key is content-addressed', () => {
    const m = resolveModel({ url: 'https://example.com/models/mine.onnx?x=1', sha256: SHA.toUpperCase(), bytes: 10 })
    expect(m).toEqual({ key: `${SHA}.onnx`, url: 'https://example.com/models/mine.onnx?x=1', sha256: SHA, bytes: 10, label: 'mine.onnx' })
    expect(resolveModel({ url: 'http://127.0.0.1:9/a.onnx', sha256: SHA }).bytes).toBeUndefined()
    for (const bad of [
      { url: 'https://example.com/m.onnx' },
      { url: 'https://example.com/m.onnx', sha256: 'abc' },
      { url: 'https://example.com/m.onnx', sha256: SHA, bytes: 0 },
      { url: 'https://example.com/m.onnx', sha256: SHA, bytes: 1.5 },
      { variant: 'int4' },
      { sha256: SHA },
    ]) {
      expect(() => resolveModel(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
  })
})

describe('checkModelUrl: https, or plain http on loopback only', () => {
  it.each([
    ['https://huggingface.co/x', true],
    ['https://example.com:8443/a/b.onnx', true],
    ['http://localhost:8080/m.onnx', true],
    ['http://127.0.0.1/m.onnx', true],
    ['http://127.8.9.10:1/m.onnx', true],
    ['http://[::1]:3000/m.onnx', true],
    ['http://example.com/m.onnx', false],
    ['http://localhost.example.com/m.onnx', false],
    ['http://128.0.0.1/m.onnx', false],
    ['http://10.0.0.1/m.onnx', false],
    ['http://[::2]/m.onnx', false],
    ['https://user:pw@example.com/m.onnx', false],
    ['http://127.0.0.1@example.com/m.onnx', false],
    ['ftp://example.com/m.onnx', false],
    ['file:///tmp/m.onnx', false],
    ['not a url', false],
  ])('%s -> %s', (url, ok) => {
    if (ok) expect(checkModelUrl(url)).toMatch(/^https?:\/\//)
    else expect(() => checkModelUrl(url)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })

  it('normalises loopback spellings before deciding', () => {
    expect(isLoopbackHost('LOCALHOST')).toBe(true)
    expect(checkModelUrl('http://0x7f.0.0.1/m.onnx')).toBe('http://127.0.0.1/m.onnx')
  })
})
