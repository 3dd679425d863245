/**
 * `npm run bench -- <suite>`: benchmarks that compare MatteKit with bare onnxruntime in one run.
 * Suites: node (onnxruntime-node), web (onnxruntime-web in Chromium), video (Node files, then the
 * browser's processed camera track), foreground, batch, batch-memory (RSS over a long batch),
 * compare (fidelity and speed against transformers.js' MODNet pipeline).
 */
const suite = process.argv[2] ?? 'node'
const suites: Record<string, () => Promise<unknown>> = {
  node: () => import('./node.js'),
  web: () => import('./web.js'),
  video: async () => {
    await import('./video.js')
    const { runWebVideoBench, merge } = await import('./video-web.js')
    merge(await runWebVideoBench())
  },
  foreground: () => import('./foreground.js'),
  batch: () => import('./batch.js'),
  'batch-memory': () => import('./batch-memory.js'),
  compare: () => import('./compare.js').then((m) => m.runCompareBench()),
}
const load = suites[suite]
if (!load) {
  console.error(`unknown benchmark suite "${suite}"; available: ${Object.keys(suites).join(', ')}`)
  process.exit(2)
}
await load()
export {}
