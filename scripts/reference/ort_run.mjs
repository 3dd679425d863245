// Dev-only helper for e2e_reference.py: runs the model on a raw float32 NCHW tensor file with
// onnxruntime-node (the same runtime MatteKit uses) and writes the raw float32 output.
// usage: node ort_run.mjs <model.onnx> <in.f32> <h> <w> <out.f32>
import { readFileSync, writeFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'

const [model, input, h, w, output] = process.argv.slice(2)
const buf = readFileSync(input)
const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
const session = await ort.InferenceSession.create(model)
const out = await session.run({ input: new ort.Tensor('float32', data, [1, 3, Number(h), Number(w)]) })
const alpha = out.output.data
writeFileSync(output, Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength))
await session.release()
