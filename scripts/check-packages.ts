/**
 * `tsx scripts/check-packages.ts [--no-build]`: builds the four packages with tsup, then runs
 * `publint --strict` and `attw --pack` on each, then checks the release plan (see
 * {@link checkChangesets}). Exits 1 on any problem.
 *
 * attw runs with its `node16` profile: it checks `node16` (from ESM and from CJS) and `bundler`
 * resolution, and skips TypeScript's legacy `node10` mode, which does not read `exports` and so
 * cannot see subpaths such as `@mattekit/node/queue` (the root entries still carry `main`/`types`
 * for it). One narrow ignore, on one entry point only: `@mattekit/web/worker` is the module
 * worker script (ESM by nature, started with `new Worker(url, { type: 'module' })`, never
 * require()d), so a CommonJS `require` of it resolving to ESM is intended (`cjs-resolves-to-esm`).
 * Every other entry point is checked with no rule ignored.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..')

/** The published packages, in build order (each after the packages it depends on). */
export const PACKAGES = [
  { name: '@mattekit/core', dir: 'packages/core' },
  { name: '@mattekit/web', dir: 'packages/web' },
  { name: '@mattekit/node', dir: 'packages/node' },
  { name: '@mattekit/react', dir: 'packages/react' },
] as const

/** Runs a command, streaming its output; returns whether it exited 0. */
export function run(command: string, args: readonly string[], cwd = ROOT, env?: NodeJS.ProcessEnv): boolean {
  console.log(`$ ${[command, ...args].join(' ')}${cwd === ROOT ? '' : `   (in ${cwd.replace(`${ROOT}/`, '')})`}`)
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: env ?? process.env })
  if (result.error) console.error(result.error.message)
  return result.status === 0
}

/** Builds the four packages (tsup, through each package's `build` script), in dependency order. */
export function buildPackages(): void {
  for (const pkg of PACKAGES) {
    if (!run('npm', ['run', 'build', '--silent', '-w', pkg.name])) {
      throw new Error(`build of ${pkg.name} failed`)
    }
  }
  // On a fresh clone `npm install` runs before dist/ exists, so npm could not link the
  // `mattekit` bin yet; link it now that dist/cli.js is there (no scripts run).
  if (!run('npm', ['rebuild', '@mattekit/node', '--ignore-scripts', '--silent'])) throw new Error('linking the mattekit bin failed')
}

/** attw invocations for one package: [extra arguments, ...] (each runs `attw --pack <dir>`). */
function attwRuns(name: string): string[][] {
  const base = ['--profile', 'node16', '--no-color', '--format', 'ascii']
  if (name === '@mattekit/web') {
    return [
      [...base, '--exclude-entrypoints', './worker'],
      [...base, '--entrypoints', './worker', '--ignore-rules', 'cjs-resolves-to-esm'],
    ]
  }
  return [base]
}

interface Manifest {
  name: string
  version: string
  private?: boolean
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** Every workspace package's manifest (the four packages and the private examples). */
function workspaceManifests(): Manifest[] {
  const examples = readdirSync(join(ROOT, 'examples')).filter((d) => existsSync(join(ROOT, 'examples', d, 'package.json')))
  const dirs = [...PACKAGES.map((p) => p.dir), ...examples.map((d) => `examples/${d}`)]
  return dirs.map((dir) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest)
}

/**
 * The release checks: `changeset status` passes (valid config and changesets), the `fixed` group
 * is exactly the four packages, the four share one version now and in the release plan, no private
 * example is versioned, and every `@mattekit/*` range in the workspace is `^` the sibling's current
 * version (so npm links the workspace package instead of fetching one from the registry).
 *
 * @returns the problems found (empty when all is well)
 */
export function checkChangesets(): string[] {
  const problems: string[] = []
  const names = PACKAGES.map((p) => p.name as string).sort()
  const config = JSON.parse(readFileSync(join(ROOT, '.changeset', 'config.json'), 'utf8')) as { fixed?: string[][] }
  const groups = config.fixed ?? []
  if (groups.length !== 1 || JSON.stringify([...(groups[0] ?? [])].sort()) !== JSON.stringify(names)) {
    problems.push(`.changeset/config.json: "fixed" must be one group of ${names.join(', ')}`)
  }
  const manifests = workspaceManifests()
  const versions = new Map(manifests.filter((m) => names.includes(m.name)).map((m) => [m.name, m.version]))
  if (new Set(versions.values()).size !== 1) problems.push(`the packages' versions differ: ${JSON.stringify(Object.fromEntries(versions))}`)
  for (const m of manifests) {
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies'] as const) {
      for (const [dep, range] of Object.entries(m[field] ?? {})) {
        const version = versions.get(dep)
        if (version !== undefined && range !== `^${version}`) problems.push(`${m.name}: ${field}["${dep}"] is "${range}", expected "^${version}"`)
      }
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mattekit-changeset-'))
  try {
    const output = join(dir, 'status.json')
    if (!run('npx', ['--no-install', 'changeset', 'status', `--output=${output}`])) {
      problems.push('changeset status failed')
      return problems
    }
    const plan = JSON.parse(readFileSync(output, 'utf8')) as { releases: { name: string; type: string; newVersion: string }[] }
    const bumped = plan.releases.filter((r) => r.type !== 'none')
    const privateNames = new Set(manifests.filter((m) => m.private).map((m) => m.name))
    for (const r of bumped) {
      if (privateNames.has(r.name)) problems.push(`release plan versions the private package ${r.name}`)
    }
    const ours = bumped.filter((r) => names.includes(r.name))
    if (ours.length > 0) {
      if (ours.length !== names.length) problems.push(`release plan bumps only ${ours.map((r) => r.name).join(', ')}: the fixed group must move together`)
      if (new Set(ours.map((r) => r.newVersion)).size !== 1) problems.push(`release plan gives the packages different versions`)
      console.log(`release plan: ${ours.map((r) => `${r.name}@${r.newVersion}`).join(', ')}`)
    } else {
      console.log('release plan: no pending changesets')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return problems
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false } } })
  const started = Date.now()
  if (!values['no-build']) buildPackages()
  const failures: string[] = []
  for (const pkg of PACKAGES) {
    const dir = join(ROOT, pkg.dir)
    if (!run('npx', ['--no-install', 'publint', '--strict'], dir)) failures.push(`${pkg.name}: publint --strict`)
    for (const args of attwRuns(pkg.name)) {
      if (!run('npx', ['--no-install', 'attw', '--pack', '.', ...args], dir)) {
        failures.push(`${pkg.name}: attw ${args.join(' ')}`)
      }
    }
  }
  failures.push(...checkChangesets())
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  if (failures.length > 0) {
    console.error(`\ncheck-packages: ${failures.length} failed (${seconds} s):\n  ${failures.join('\n  ')}`)
    return 1
  }
  console.log(`\ncheck-packages: publint --strict, attw --pack and the release plan pass for ${PACKAGES.length} packages (${seconds} s)`)
  return 0
}

if (import.meta.filename === process.argv[1]) process.exitCode = await main()
