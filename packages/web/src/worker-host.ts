/**
 * The worker side of the protocol: one engine per worker, one AbortController per call.
 */
import { MatteError } from '@mattekit/core'
import { type Engine, createEngine } from './engine.js'
import { type FromWorker, type ToWorker, resultTransfer, toWire } from './protocol.js'
import { type InputPayload, releasePayload } from './payload.js'
import { livePayload } from './track/live-frame.js'

/** The part of `DedicatedWorkerGlobalScope` the host uses. */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  close(): void
}

/** What arrives in the worker is a clone or a transfer: the worker owns it. */
function owned(input: InputPayload): InputPayload {
  if (input.kind === 'bitmap' || input.kind === 'frame') return { ...input, owned: true }
  return input
}

/**
 * Serves the MatteKit protocol on a worker scope.
 *
 * @param scope - the worker's global scope
 */
export function serveWorker(scope: WorkerScope): void {
  const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer)
  let engine: Promise<Engine> | undefined
  const calls = new Map<number, AbortController>()

  scope.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as ToWorker
    switch (message.type) {
      case 'init': {
        engine = createEngine(message.config, { onProgress: (e) => post({ type: 'progress', event: e }) })
        engine.then(
          (e) => post({ type: 'ready', backend: e.backend }),
          (error: unknown) => post({ type: 'init-error', error: toWire(error, 'MODEL_LOAD') }),
        )
        break
      }
      case 'matte': {
        const { id } = message
        const input = owned(message.input)
        if (!engine) {
          releasePayload(input)
          post({ type: 'error', id, error: toWire(new MatteError('DISPOSED', 'The worker has no model loaded.')) })
          break
        }
        const controller = new AbortController()
        calls.set(id, controller)
        engine
          .then((e) => e.matter.matte(input, { signal: controller.signal }))
          .then(
            (result) => post({ type: 'result', id, result }, resultTransfer(result)),
            (error: unknown) => {
              releasePayload(input)
              post({ type: 'error', id, error: toWire(error) })
            },
          )
          .finally(() => calls.delete(id))
        break
      }
      case 'matte-live': {
        const { id } = message
        const input = owned(message.input)
        if (!engine) {
          releasePayload(input)
          post({ type: 'error', id, error: toWire(new MatteError('DISPOSED', 'The worker has no model loaded.')) })
          break
        }
        engine
          .then(async (e) => e.matter.matte(await livePayload(input), { modelSize: message.modelSize, matteSize: 'model' }))
          .then(
            ({ matte, modelSize, timings }) => post({ type: 'live-result', id, result: { matte, modelSize, timings } }, [matte.data.buffer as ArrayBuffer]),
            (error: unknown) => {
              releasePayload(input)
              post({ type: 'error', id, error: toWire(error) })
            },
          )
        break
      }
      case 'op': {
        const { id, request } = message
        if (!engine) {
          post({ type: 'error', id, error: toWire(new MatteError('DISPOSED', 'The worker has no model loaded.')) })
          break
        }
        engine
          .then((e) => e.runOp(request.op === 'composite' && request.background.type === 'image' ? { ...request, background: { ...request.background, image: owned(request.background.image) } } : request))
          .then(
            (value) => post({ type: 'op-result', id, value }, value instanceof Blob ? [] : [value]),
            (error: unknown) => post({ type: 'error', id, error: toWire(error, 'OUTPUT') }),
          )
        break
      }
      case 'abort':
        calls.get(message.id)?.abort(new DOMException('aborted by the page', 'AbortError'))
        break
      case 'dispose': {
        const current = engine
        engine = undefined
        void (current ? current.then((e) => e.matter.dispose()) : Promise.resolve())
          .catch(() => undefined)
          .then(() => {
            post({ type: 'disposed' })
            scope.close()
          })
        break
      }
    }
  })
}
