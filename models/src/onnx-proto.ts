/** onnx-proto is CommonJS without named-export hints; this module gives ESM code its namespace. */
import protoPkg from 'onnx-proto'
import type { onnx as OnnxNamespace } from 'onnx-proto'

/** The generated protobuf classes of ONNX (ModelProto, TensorProto, ...). */
export const onnx = (protoPkg as unknown as { onnx: typeof OnnxNamespace }).onnx
export type { OnnxNamespace as onnxTypes }
