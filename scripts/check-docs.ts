/**
 * `npm run docs:check`: every public export of the four packages has a TSDoc summary, and every
 * exported function, class and constant has a pasteable `@example` (typedoc's validation, run by
 * `npm run docs`, already fails on an export with no comment at all; this adds the examples).
 *
 * Types and interfaces need a summary but no example: they are shown in use by the examples of
 * the functions that take or return them.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

const root = join(import.meta.dirname, '..')
const packages = ['core', 'node', 'web', 'react'].filter((p) => existsSync(join(root, 'packages', p, 'src', 'index.ts')))
const extraEntries: Record<string, string[]> = { node: ['queue.ts'] }

const problems: string[] = []
let checked = 0
for (const pkg of packages) {
  const entries = ['index.ts', ...(extraEntries[pkg] ?? [])].map((f) => join(root, 'packages', pkg, 'src', f))
  const program = ts.createProgram(entries, {
    customConditions: ['@mattekit/source'],
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    jsx: ts.JsxEmit.ReactJSX,
    noEmit: true,
  })
  const checker = program.getTypeChecker()
  for (const entry of entries) {
    const source = program.getSourceFile(entry)
    const module = source && checker.getSymbolAtLocation(source)
    if (!module) {
      problems.push(`${entry}: cannot read its exports`)
      continue
    }
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const where = `@mattekit/${pkg}${entry.endsWith('index.ts') ? '' : `/${entry.split('/').pop()!.replace('.ts', '')}`}: ${exported.name}`
      checked++
      const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()
      const tags = symbol.getJsDocTags(checker)
      // Overloaded or merged declarations: any declaration's summary counts.
      if (summary.length === 0) problems.push(`${where}: no TSDoc summary`)
      const isValue = (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable)) !== 0
      if (isValue && !tags.some((t) => t.name === 'example')) problems.push(`${where}: no @example`)
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  console.error(`docs:check: ${problems.length} problem(s) in ${checked} exports`)
  process.exitCode = 1
} else {
  console.log(`docs:check: ${checked} exports of ${packages.map((p) => `@mattekit/${p}`).join(', ')}: every one has a summary; every function, class and constant an @example`)
}
