/**
 * Core stays platform-neutral: the lint rules and the compiler settings that enforce it must
 * keep firing (a config change that silently disables them fails here).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..', '..')

describe('core is platform-neutral', () => {
  it('ESLint rejects onnxruntime, sharp, react, node:* and other packages, and DOM/Node globals', async () => {
    const eslint = new ESLint({ cwd: root })
    const probe = [
      "import * as ort from 'onnxruntime-web'",
      "import sharp from 'sharp'",
      "import { useState } from 'react'",
      "import { readFile } from 'node:fs/promises'",
      "import { createMatter } from '@mattekit/node'",
      'export const all = [ort, sharp, useState, readFile, createMatter]',
      'export const dom = () => [window.innerWidth, document.title, new OffscreenCanvas(1, 1)]',
      'export const node = () => [Buffer.alloc(1), process.env]',
      '',
    ].join('\n')
    const [result] = await eslint.lintText(probe, { filePath: join(root, 'packages/core/src/probe.ts') })
    const hits = result!.messages.map((m) => `${m.ruleId}@${m.line}`)
    for (const line of [1, 2, 3, 4, 5]) expect(hits).toContain(`no-restricted-imports@${line}`)
    expect(hits.filter((h) => h === 'no-restricted-globals@7')).toHaveLength(3)
    expect(hits.filter((h) => h === 'no-restricted-globals@8')).toHaveLength(2)
  })

  it('its tsconfig has no DOM lib and no Node types', () => {
    const text = readFileSync(join(root, 'packages/core/tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')
    const { compilerOptions } = JSON.parse(text) as { compilerOptions: { lib: string[]; types: string[] } }
    expect(compilerOptions.types).toEqual([])
    expect(compilerOptions.lib.some((l) => /dom/i.test(l))).toBe(false)
  })
})
