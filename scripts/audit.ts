/**
 * `npm run audit`: the supply-chain checks CI runs.
 *
 * 1. None of our published packages has an install-time script (`preinstall`, `install`,
 *    `postinstall`, `prepare`, ...): installing MatteKit runs no code of ours.
 * 2. `npm audit --omit=dev --audit-level=high`: no high or critical advisory in what users install.
 *    When the registry answers without an advisory service (some mirrors and proxies return
 *    HTTP 404/405 for `/-/npm/v1/security/advisories/bulk`), the check cannot run: it says so
 *    loudly and, unless `--require-audit` is given, does not fail the build (a finding would).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const PUBLISHED = ['core', 'node', 'web', 'react']
const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare', 'prepublish']
const requireAudit = process.argv.includes('--require-audit')
let failed = false

for (const name of PUBLISHED) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as {
    name: string
    scripts?: Record<string, string>
    gypfile?: boolean
  }
  const hooks = INSTALL_HOOKS.filter((hook) => manifest.scripts?.[hook] !== undefined)
  if (hooks.length > 0 || manifest.gypfile) {
    console.error(`audit: ${manifest.name} has install-time scripts: ${hooks.join(', ') || 'gypfile'}`)
    failed = true
  } else {
    console.log(`audit: ${manifest.name}: no install scripts`)
  }
}

const audit = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: root, encoding: 'utf8' })
const stderr = audit.stderr ?? ''
let report:
  | { metadata?: { vulnerabilities?: Record<string, number> }; error?: { summary?: string }; message?: string; statusCode?: number }
  | undefined
try {
  report = JSON.parse(audit.stdout) as typeof report
} catch {
  report = undefined
}
const counts = report?.metadata?.vulnerabilities
if (counts) {
  const serious = (counts.high ?? 0) + (counts.critical ?? 0)
  console.log(`audit: npm audit --omit=dev: ${JSON.stringify(counts)}`)
  if (serious > 0) {
    console.error(`audit: ${serious} high or critical advisories in production dependencies (run npm audit --omit=dev)`)
    failed = true
  }
} else {
  const detail = report?.message ?? report?.error?.summary ?? stderr.split('\n').find((l) => /error/i.test(l)) ?? 'no report'
  const unavailable = report?.statusCode === 404 || report?.statusCode === 405 || /40[45]|endpoint|ENOTFOUND|ECONNREFUSED|EAI_AGAIN/i.test(detail)
  const reason = detail.trim()
  if (unavailable && !requireAudit) {
    console.warn(`audit: NOT CHECKED: the registry has no advisory service here (${reason}). Run npm audit --omit=dev against registry.npmjs.org.`)
  } else {
    console.error(`audit: npm audit failed: ${reason}`)
    failed = true
  }
}
process.exitCode = failed ? 1 : 0
