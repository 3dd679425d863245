/**
 * `@mattekit/node`: MODNet portrait matting in Node.js, with MODNet's official pre- and
 * post-processing reproduced exactly, onnxruntime-node for inference and sharp for images.
 * The `mattekit` command ships in this package.
 *
 * Start with {@link createMatter}. The platform-neutral pieces come from `@mattekit/core` and are
 * re-exported here, so one import is enough.
 *
 * @packageDocumentation
 */
export { createMatter } from './create-matter.js'
export type { NodeImageInput, NodeMatter, NodeMatterOptions } from './create-matter.js'
export { createOrtSession } from './ort-session.js'
export type { NodeSessionOptions } from './ort-session.js'
export { decodeImage, fromRawPixels } from './image-io.js'
export type { DecodeOptions, RawPixels } from './image-io.js'
export { encodePng, renderOutput, resolveBackground } from './encode.js'
export type { EncodePngOptions, OutputKind } from './encode.js'

export {
  MatteError,
  isMatteError,
  blur,
  composite,
  cutout,
  defaultBlurRadius,
  fitCover,
  parseColor,
} from '@mattekit/core'
export type {
  Background,
  Matte,
  MatteErrorCode,
  MatteOptions,
  MatteResult,
  MatteTimings,
  Matter,
  Rgb,
  RgbaImage,
  RgbImage,
  Size,
} from '@mattekit/core'
