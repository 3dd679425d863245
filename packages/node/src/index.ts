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
export { createOrtWorkerSession } from './ort-worker.js'
export type { WorkerModelSession } from './ort-worker.js'
export { defaultPoolSize, poolSessions, type SessionLayout } from './session-pool.js'
export type { NodeSessionOptions } from './ort-session.js'
export { DEFAULT_MAX_PIXELS, decodeImage, fromRawPixels } from './image-io.js'
export type { DecodeOptions, RawPixels } from './image-io.js'
export { encodePng, renderOutput, resolveBackground } from './encode.js'
export type { EncodePngOptions, OutputKind } from './encode.js'

export {
  MatteError,
  isMatteError,
  blur,
  composite,
  cutout,
  createStabilizer,
  defaultBlurRadius,
  estimateForeground,
  fitCover,
  parseColor,
} from '@mattekit/core'
export type {
  Background,
  ComposeOptions,
  ForegroundMethod,
  ForegroundOptions,
  StabilizedFrame,
  Stabilizer,
  StabilizerMode,
  StabilizerOptions,
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
export type { NodeModelOption } from './create-matter.js'
export { ensureModel, listModels, verifyModels, clearModels, createNodeHasher, nodeFetch } from './model/models.js'
export type {
  ClearModelsOptions,
  EnsuredModel,
  EnsureModelOptions,
  ModelCacheListing,
  ModelCacheOptions,
  OfficialModelStatus,
  VerifiedModel,
  VerifyModelsOptions,
} from './model/models.js'
export { MODEL_ENV, resolveCacheDir } from './model/cache-dir.js'
export type { CacheDirOptions } from './model/cache-dir.js'
export { createFileModelStore } from './model/file-store.js'
export type { FileModelStore, FileModelStoreOptions } from './model/file-store.js'
export {
  MODEL_VARIANTS,
  MODNET_BASE_URL,
  MODNET_LICENSE_NOTICE,
  MODNET_MODELS,
  MODNET_REVISION,
  createSha256,
  deliverModel,
  resolveModel,
} from '@mattekit/core'
export type {
  CustomModelSource,
  DeliverOptions,
  FetchLike,
  Hasher,
  ModelProgressEvent,
  ModelSource,
  ModelStore,
  ModelVariant,
  OfficialModelFile,
  PartialModel,
  ResolvedModel,
} from '@mattekit/core'
export { matteVideo } from './video.js'
export type { MatteVideoOptions, MatteVideoResult, VideoOutputKind, VideoProgress } from './video.js'
