/**
 * `@mattekit/web`: MODNet portrait matting in the browser, with MODNet's official pre- and
 * post-processing reproduced exactly (the same mattes as `@mattekit/node`), onnxruntime-web for
 * inference (WebAssembly with SIMD and threads, or WebGPU), and a dedicated Web Worker so the
 * page stays responsive.
 *
 * Start with {@link createMatter}. The platform-neutral pieces come from `@mattekit/core` and are
 * re-exported here; `@mattekit/node` is the Node.js sibling.
 *
 * Importing this module touches no browser global (safe for server-side rendering): the worker,
 * onnxruntime-web and WebGL start only when `createMatter` is called.
 *
 * @packageDocumentation
 */
export { createMatter } from './create-matter.js'
export { decodeImage } from './decode-image.js'
export type { WebDecodeOptions } from './decode-image.js'
export { encodePng } from './png.js'
export { DEFAULT_MODEL_CACHE } from './model-store.js'
export { createMatterStore, createProcessedStreamStore, matterOptionsKey } from './matter-store.js'
export type {
  MatterProgress,
  MatterState,
  MatterStatus,
  MatterStore,
  MatterStoreDependencies,
  MatterStoreOptions,
  ProcessedStreamState,
  ProcessedStreamStatus,
  ProcessedStreamStore,
  ProcessStreamOptions,
} from './matter-store.js'
// The live-track contract (WebMatter.processTrack), used by the stores above.
export type { ProcessedTrack, ProcessTrackOptions, TrackBackground, TrackStats } from './types.js'
export type {
  WasmPaths,
  WebBackend,
  WebBackground,
  WebDevice,
  WebImageInput,
  WebMatteOptions,
  WebMatter,
  WebMatterOptions,
  WebMatteResult,
  WebMatteTimings,
  WebModelSource,
  WebProgressEvent,
} from './types.js'

export {
  MatteError,
  isMatteError,
  blur,
  composite,
  cutout,
  defaultBlurRadius,
  fitCover,
  parseColor,
  MODNET_MODELS,
  MODNET_LICENSE_NOTICE,
  createExternalStore,
} from '@mattekit/core'
export type {
  Background,
  CustomModelSource,
  ExternalStore,
  WritableExternalStore,
  Matte,
  MatteErrorCode,
  MatteOptions,
  MatteResult,
  MatteTimings,
  Matter,
  ModelProgressEvent,
  ModelSource,
  ModelVariant,
  Rgb,
  RgbaImage,
  RgbImage,
  Size,
  StabilizerMode,
  StabilizerOptions,
} from '@mattekit/core'
