/**
 * The MatteKit worker entry (`@mattekit/web/worker`, `dist/worker.js`). `createMatter` starts it
 * with `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, which Vite,
 * webpack 5 and Next.js bundle; pass `workerUrl` to serve it yourself.
 *
 * @packageDocumentation
 */
import { type WorkerScope, serveWorker } from './worker-host.js'

const scope = globalThis as unknown as WorkerScope & { name?: string }
// onnxruntime-web starts its threads from the script that contains it: when a bundler inlines
// onnxruntime-web into this file, those threads load it again under the name "em-pthread" and
// must not answer MatteKit's protocol.
if (!scope.name?.startsWith('em-pthread')) serveWorker(scope)
