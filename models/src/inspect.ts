/** Reads back an ONNX file: op histogram and float parameter count, for the summary and tests. */
import { onnx, type onnxTypes } from './onnx-proto.js'

/** What a model file contains, as the summary and the tests report it. */
export interface ModelSummary {
  ops: Record<string, number>
  parameters: number
  inputs: string[]
  outputs: string[]
  opset: number
}

/** Op histogram, float parameter count, I/O names and opset of an ONNX file's bytes. */
export function inspectModel(bytes: Uint8Array): ModelSummary {
  const model = onnx.ModelProto.decode(bytes)
  // decode() fills every repeated field, so the class type (not the optional interface) applies.
  const graph = model.graph as onnxTypes.GraphProto | null
  if (!graph) throw new Error('model has no graph')
  const ops: Record<string, number> = {}
  for (const node of graph.node) ops[node.opType!] = (ops[node.opType!] ?? 0) + 1
  let parameters = 0
  for (const t of graph.initializer) {
    if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
      parameters += (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1)
    }
  }
  const sorted = Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b)))
  return {
    ops: sorted,
    parameters,
    inputs: graph.input.map((i) => i.name!),
    outputs: graph.output.map((o) => o.name!),
    opset: Number(model.opsetImport[0]?.version ?? 0),
  }
}
