/**
 * `tsx scripts/pack-smoke.ts [--no-build]`: what a user gets from npm. Packs the four packages
 * (`npm pack`), installs the four tarballs into a fresh project under the OS temp directory (one
 * `npm install`, so no `@mattekit/*` comes from the registry), then:
 *
 * - imports each entry point as ESM and require()s it as CJS, checking named exports and that it
 *   resolved inside the temp project (not to the workspace);
 * - evaluates the worker kernels of the packed core (ESM and CJS) against the single-threaded code;
 * - runs the `mattekit` CLI from the tarball (`--version`, then a real matte of
 *   fixtures/astronaut.png with the stand-in model) and compares its PNGs byte for byte with the
 *   workspace CLI's.
 *
 * Writes the tarball sizes to .tmp/packages.json and exits 1 on any failure.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PACKAGES, ROOT, buildPackages, run } from './check-packages.js'

/** Entry points and the named exports each must have, in ESM and in CJS. */
const ENTRIES: Record<string, readonly string[]> = {
  '@mattekit/core': ['MatteError', 'isMatteError', 'createMatterCore', 'cutout', 'composite', 'modelInputSize'],
  '@mattekit/node': ['createMatter', 'decodeImage', 'encodePng', 'matteVideo', 'ensureModel', 'MatteError'],
  '@mattekit/node/queue': ['createMatteQueue', 'runMatteWorker', 'DEFAULT_QUEUE'],
  '@mattekit/web': ['createMatter', 'decodeImage', 'encodePng', 'MatteError', 'cutout'],
  '@mattekit/react': ['useMatte', 'useMatteStream', 'createMatter', 'MatteError'],
}

interface PackInfo {
  name: string
  version: string
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
}

const MODEL = join(ROOT, 'models', 'stand-in', 'model.onnx')
const IMAGE = join(ROOT, 'fixtures', 'astronaut.png')
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`

/** The environment for npm and node in the temp project: no CUDA download, quiet npm. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_onnxruntime_node_install: 'skip',
  npm_config_update_notifier: 'false',
  NODE_OPTIONS: '',
}

/** A script for `node`, checking one entry's exports and where it resolved. */
function probe(entry: string, names: readonly string[], mode: 'esm' | 'cjs'): string {
  const load = mode === 'esm' ? `await import(${JSON.stringify(entry)})` : `require(${JSON.stringify(entry)})`
  const where = mode === 'esm' ? `import.meta.resolve(${JSON.stringify(entry)})` : `require.resolve(${JSON.stringify(entry)})`
  return `
    const m = ${load}
    const missing = ${JSON.stringify(names)}.filter((n) => m[n] === undefined)
    if (missing.length) { console.error('missing exports: ' + missing.join(', ')); process.exit(1) }
    const at = String(${where})
    if (!at.includes('node_modules/@mattekit/') || at.includes(${JSON.stringify(ROOT + '/packages')})) {
      console.error('resolved outside the installed tarball: ' + at); process.exit(1)
    }
    console.log('${mode} ${entry}: ' + ${JSON.stringify(names.length)} + ' exports ok, ' + at.replace(/^.*node_modules\\//, ''))`
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } })
  const started = Date.now()
  if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing: run \`npm run models\` first`)
  if (!values['no-build']) buildPackages()

  const tmp = mkdtempSync(join(tmpdir(), 'mattekit-pack-'))
  const failures: string[] = []
  try {
    // 1. npm pack, each package into one folder.
    const tarballs = join(tmp, 'tarballs')
    mkdirSync(tarballs)
    const packs: PackInfo[] = []
    for (const pkg of PACKAGES) {
      const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
        cwd: join(ROOT, pkg.dir),
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const [info] = JSON.parse(out) as (PackInfo & { files: unknown[] })[]
      if (!info) throw new Error(`npm pack printed nothing for ${pkg.name}`)
      packs.push({
        name: info.name,
        version: info.version,
        filename: info.filename,
        size: info.size,
        unpackedSize: info.unpackedSize,
        entryCount: info.files.length,
      })
    }

    // 2. A fresh project outside the repository; all four tarballs in one install, so npm never
    //    looks for @mattekit/* on the registry. bullmq/ioredis are the queue subpath's optional peers.
    const app = join(tmp, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'mattekit-pack-smoke', private: true, version: '0.0.0' }, null, 2))
    const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    const peers = ['bullmq', 'ioredis'].map((name) => `${name}@${rootManifest.devDependencies[name] ?? 'latest'}`)
    const installOk = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packs.map((p) => join(tarballs, p.filename)), ...peers],
      app,
      env,
    )
    if (!installOk) throw new Error('npm install of the tarballs failed')
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> }
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path.includes('node_modules/@mattekit/') && !entry.resolved?.startsWith('file:')) {
        failures.push(`${path} came from ${entry.resolved ?? 'nowhere'}, not from a tarball`)
      }
    }

    // 3. ESM import and CJS require of every entry point.
    for (const [entry, names] of Object.entries(ENTRIES)) {
      for (const mode of ['esm', 'cjs'] as const) {
        const args = mode === 'esm' ? ['--input-type=module', '-e', probe(entry, names, mode)] : ['-e', probe(entry, names, mode)]
        const r = spawnSync('node', args, { cwd: app, env, encoding: 'utf8' })
        process.stdout.write(r.stdout)
        if (r.status !== 0) {
          console.error(r.stderr.trim().split('\n').slice(-6).join('\n'))
          failures.push(`${mode} ${entry}`)
        }
      }
    }

    // 4. The CLI from the tarball: --version, then real mattes compared with the workspace CLI.
    const nodeVersion = packs.find((p) => p.name === '@mattekit/node')?.version
    const version = spawnSync('npx', ['--no-install', 'mattekit', '--version'], { cwd: app, env, encoding: 'utf8' })
    const printed = version.stdout.trim()
    console.log(`$ npx mattekit --version\n${printed}`)
    if (version.status !== 0 || !nodeVersion || !printed.includes(nodeVersion)) {
      failures.push(`mattekit --version printed "${printed}" (status ${version.status}), expected ${nodeVersion}`)
    }
    for (const output of ['alpha', 'cutout']) {
      const packed = join(tmp, `packed-${output}.png`)
      const workspace = join(tmp, `workspace-${output}.png`)
      const cliArgs = [IMAGE, '-o', '', '--model', MODEL, '--output', output]
      const packedArgs = cliArgs.map((a) => (a === '' ? packed : a))
      const workspaceArgs = cliArgs.map((a) => (a === '' ? workspace : a))
      const okPacked = run('npx', ['--no-install', 'mattekit', ...packedArgs], app, env)
      const okWorkspace = run('npx', ['--no-install', 'tsx', '--conditions=@mattekit/source', 'packages/node/src/cli.ts', ...workspaceArgs], ROOT)
      if (!okPacked || !okWorkspace || !existsSync(packed) || !existsSync(workspace)) {
        failures.push(`mattekit --output ${output}: a run failed`)
      } else if (!readFileSync(packed).equals(readFileSync(workspace))) {
        failures.push(`mattekit --output ${output}: the tarball's PNG differs from the workspace CLI's`)
      } else {
        console.log(`mattekit --output ${output}: identical PNGs (${readFileSync(packed).length} bytes)`)
      }
    }

    // 5. The kernels @mattekit/node ships to its worker thread as text (shared pre- and
    //    post-processing): built from the bundled code, they must give the single-threaded result.
    //    A broken kernel would only show as a slower fallback, so check them directly.
    for (const mode of ['esm', 'cjs'] as const) {
      const load = mode === 'esm' ? "await import('@mattekit/core')" : "require('@mattekit/core')"
      const script = `(async () => {
        const c = ${load}
        const build = (text) => new Function('__name', text)((f) => f)
        const from = { width: 768, height: 512 }, to = { width: 1500, height: 1000 }
        const m = new Uint8Array(768 * 512).map((_, i) => (i * 2654435761) >>> 24)
        const out = new Uint8Array(1500 * 1000)
        let rows
        const s = c.resizeMatteShared(m, from, to, out, (sl) => ((rows = build(c.MATTE_RESIZE_KERNEL)(structuredClone(sl))), true), 0.5, 1)
        out.set(rows, s.rowStart * s.dw)
        if (!Buffer.from(out).equals(Buffer.from(c.resizeMatte(m, from, to)))) throw new Error('MATTE_RESIZE_KERNEL differs')
        const image = { data: new Uint8Array(1500 * 1000 * 3).map((_, i) => (i * 40503) >>> 8), width: 1500, height: 1000 }
        const t = new Float32Array(3 * 768 * 512), w = new Float32Array(3 * 768 * 512)
        const slice = c.toModelTensorShared(image, from, t, (sl) => (build(c.MODEL_TENSOR_KERNEL)(structuredClone(sl), w), true), 0.5, 1)
        for (let ch = 0; ch < 3; ch++) t.set(w.subarray(ch * 768 * 512 + slice.rowStart * 768, (ch + 1) * 768 * 512), ch * 768 * 512 + slice.rowStart * 768)
        const plain = c.toModelTensor(image, from)
        if (!t.every((v, i) => v === plain[i])) throw new Error('MODEL_TENSOR_KERNEL differs')
        console.log('${mode}: worker kernels give the single-threaded results')
      })().catch((e) => { console.error(e); process.exit(1) })`
      const r = spawnSync('node', ['-e', script], { cwd: app, env, encoding: 'utf8' })
      process.stdout.write(r.stdout)
      if (r.status !== 0) {
        console.error(r.stderr.trim().split('\n').slice(-6).join('\n'))
        failures.push(`${mode}: the worker kernels of the packed @mattekit/core`)
      }
    }

    // 6. Sizes.
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    writeFileSync(join(ROOT, '.tmp', 'packages.json'), `${JSON.stringify(packs, null, 2)}\n`)
    console.log('\n| package | tarball (packed) | unpacked | files |\n|---|---|---|---|')
    for (const p of packs) console.log(`| ${p.name}@${p.version} | ${kib(p.size)} | ${kib(p.unpackedSize)} | ${p.entryCount} |`)
  } finally {
    if (values.keep) console.log(`kept ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  if (failures.length > 0) {
    console.error(`\npack-smoke: ${failures.length} failed (${seconds} s):\n  ${failures.join('\n  ')}`)
    return 1
  }
  console.log(`\npack-smoke: tarballs install, import as ESM and CJS, and the CLI matches the workspace (${seconds} s)`)
  return 0
}

process.exitCode = await main()
