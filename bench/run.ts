/**
 * `npm run bench -- <suite>`: benchmarks that compare MatteKit with bare onnxruntime in one run.
 * Suites: node (onnxruntime-node), web (onnxruntime-web in Chromium), video, foreground, batch.
 */
const suite = process.argv[2] ?? 'node'
const suites: Record<string, () => Promise<unknown>> = {
  node: () => import('./node.js'),
  web: () => import('./web.js'),
  video: () => import('./video.js'),
  foreground: () => import('./foreground.js'),
  batch: () => import('./batch.js'),
}
const load = suites[suite]
if (!load) {
  console.error(`unknown benchmark suite "${suite}"; available: ${Object.keys(suites).join(', ')}`)
  process.exit(2)
}
await load()
export {}
