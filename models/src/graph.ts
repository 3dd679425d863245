/**
 * A tiny ONNX graph builder: nodes, initializers and value infos, serialised with onnx-proto.
 *
 * It tracks a nominal per-channel mean and standard deviation for every activation, so the
 * stand-in's weight generator can place each layer's bias and gain where a trained network's
 * normalisation would (see MODNET.md section 5: units stay in the linear range of ReLU/ReLU6).
 */
import { onnx, type onnxTypes } from './onnx-proto.js'

/** One activation in the graph with its nominal per-channel statistics. */
export interface Value {
  readonly name: string
  readonly channels: number
  /** Nominal mean of each channel over natural images. */
  readonly mean: Float64Array
  /** Nominal standard deviation of each channel (signal, not noise). */
  readonly std: Float64Array
}

type AttrValue = number | string | readonly number[] | { float: number }

interface NodeSpec {
  op: string
  inputs: readonly string[]
  outputs: readonly string[]
  attrs?: Record<string, AttrValue>
}

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64

export class GraphBuilder {
  private readonly nodes: onnxTypes.INodeProto[] = []
  private readonly initializers: onnxTypes.ITensorProto[] = []
  private readonly counters = new Map<string, number>()
  /** Number of float parameters written so far. */
  parameterCount = 0

  /** A fresh, unique tensor name with the given prefix. */
  fresh(prefix: string): string {
    const n = this.counters.get(prefix) ?? 0
    this.counters.set(prefix, n + 1)
    return n === 0 ? prefix : `${prefix}_${n}`
  }

  /** Adds a float32 initializer and returns its name. */
  floatInit(name: string, dims: readonly number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1)
    if (expected !== data.length) throw new Error(`${name}: ${data.length} values for dims ${dims.join('x')}`)
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    })
    this.parameterCount += data.length
    return name
  }

  /** Adds an int64 initializer (shape constants, slice bounds) and returns its name. */
  int64Init(name: string, dims: readonly number[], values: readonly number[]): string {
    const raw = new BigInt64Array(values.map((v) => BigInt(v)))
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: INT64,
      rawData: new Uint8Array(raw.buffer),
    })
    return name
  }

  /** Adds a node. */
  node(spec: NodeSpec): void {
    const attribute: onnxTypes.IAttributeProto[] = []
    for (const [name, value] of Object.entries(spec.attrs ?? {})) {
      if (typeof value === 'number') {
        attribute.push({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })
      } else if (typeof value === 'string') {
        attribute.push({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) })
      } else if ('float' in value) {
        attribute.push({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.float })
      } else {
        attribute.push({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] })
      }
    }
    const index = this.nodes.length
    this.nodes.push({
      name: `${spec.op}_${index}`,
      opType: spec.op,
      input: [...spec.inputs],
      output: [...spec.outputs],
      attribute,
    })
  }

  /** Serialises the graph into an ONNX ModelProto (IR 6, opset 11, as MODNet's export). */
  encode(options: { input: string; output: string; docString: string }): Uint8Array {
    const dims = (channels: number): onnxTypes.TensorShapeProto.IDimension[] => [
      { dimParam: 'batch_size' },
      { dimValue: channels },
      { dimParam: 'height' },
      { dimParam: 'width' },
    ]
    const model = onnx.ModelProto.create({
      irVersion: 6,
      producerName: 'mattekit-stand-in',
      producerVersion: '1',
      docString: options.docString,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        name: 'modnet-stand-in',
        node: this.nodes,
        initializer: this.initializers,
        input: [{ name: options.input, type: { tensorType: { elemType: FLOAT, shape: { dim: dims(3) } } } }],
        output: [{ name: options.output, type: { tensorType: { elemType: FLOAT, shape: { dim: dims(1) } } } }],
      },
    })
    return onnx.ModelProto.encode(model).finish()
  }
}
