/**
 * The errors reference (docs/errors.md) documents every code MatteKit can throw, and nothing else.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MatteError, isMatteError, type MatteErrorCode } from './errors.js'

const root = join(import.meta.dirname, '..', '..', '..')

/** The members of the `MatteErrorCode` union, read from the source so a new code cannot be missed. */
function declaredCodes(): string[] {
  const source = readFileSync(join(import.meta.dirname, 'errors.ts'), 'utf8')
  const union = /export type MatteErrorCode =([^]*?)\n\n/.exec(source)?.[1] ?? ''
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!).sort()
}

describe('errors reference', () => {
  it('docs/errors.md has one table row per MatteErrorCode, with when and what to do', () => {
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \|(.+)$/gm)]
    const documented = rows.map((m) => m[1]!).sort()
    expect(declaredCodes().length).toBeGreaterThanOrEqual(15)
    expect(documented).toEqual(declaredCodes())
    for (const row of rows) {
      const cells = row[2]!.replace(/\|\s*$/, '').split(' | ')
      expect(cells.length, row[1]).toBe(3) // entry points | when | what to do
      for (const cell of cells) expect(cell.trim().length, row[1]).toBeGreaterThanOrEqual(3)
    }
  })

  it('every code round-trips through MatteError and isMatteError', () => {
    for (const code of declaredCodes() as MatteErrorCode[]) {
      const error = new MatteError(code, 'x')
      expect(isMatteError(error, code)).toBe(true)
      expect(error.code).toBe(code)
    }
  })
})
