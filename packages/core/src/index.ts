/**
 * `@mattekit/core`: the platform-neutral heart of MatteKit. It holds MODNet's official
 * preprocessing (size rule, OpenCV INTER_AREA resampling, normalisation), the alpha
 * post-processing, the session contract adapters implement, and the errors every package throws.
 *
 * Applications use `@mattekit/node` or `@mattekit/web`, which re-export what they need from here.
 *
 * @packageDocumentation
 */
export { MatteError, isMatteError } from './errors.js'
export { abortError, raceAbort, throwIfAborted } from './signal.js'
export type { AbortSignalLike } from './signal.js'
export type { MatteErrorCode, MatteErrorOptions } from './errors.js'
export type { Matte, RgbaImage, RgbImage, Size } from './image.js'
export type { Float32Tensor, ModelSession, RunOptions, RunResult } from './session.js'
export { createMatterCore } from './matter.js'
export type { Matter, MatterPlatform, MatteOptions, MatteResult, MatteTimings } from './matter.js'
export { blur, composite, compositeScaled, cutout, defaultBlurRadius, fitCover, parseColor, reducedBlur } from './composite.js'
export type { Background, ComposeOptions, Rgb } from './composite.js'
export { estimateForeground } from './foreground.js'
export type { ForegroundMethod, ForegroundOptions } from './foreground.js'
export { MODNET_REF_SIZE, MODNET_SIZE_MULTIPLE, checkLongSide, liveModelSize, modelInputSize } from './preprocess/size.js'
export { toModelTensor } from './preprocess/tensor.js'
export { MODEL_TENSOR_KERNEL, toModelTensorShared } from './preprocess/tensor.js'
export type { PaddedAxis, TensorSlice } from './preprocess/tensor.js'
export type { AreaAxis, LinearAxis } from './resample/area.js'
export { MATTE_RESIZE_KERNEL, QUANTIZE_KERNEL, quantizeAlpha, resizeMatte, resizeMatteShared } from './postprocess/alpha.js'
export type { MatteSlice } from './postprocess/alpha.js'
export { resizeArea } from './resample/area.js'
export { resizeBilinear } from './resample/bilinear.js'
export { encodePng } from './png.js'
export { adler32, crc32, pngChunk, pngStart } from './png-chunks.js'
export type { PngOptions } from './png.js'
export { createStabilizer } from './stabilizer.js'
export type { StabilizedFrame, Stabilizer, StabilizerMode, StabilizerOptions } from './stabilizer.js'
export {
  DEFAULT_MODEL_VARIANT,
  MODEL_VARIANTS,
  MODNET_BASE_URL,
  MODNET_LICENSE_NOTICE,
  MODNET_MODELS,
  MODNET_REVISION,
  checkModelUrl,
  isLoopbackHost,
  isModelVariant,
  isSha256,
  resolveModel,
} from './model/manifest.js'
export type {
  CustomModelSource,
  ModelSource,
  ModelVariant,
  OfficialModelFile,
  ResolvedModel,
  ResolveModelOptions,
} from './model/manifest.js'
export { checkStoredModel, deliverModel } from './model/delivery.js'
export type {
  ByteReaderLike,
  DeliveredModel,
  DeliverOptions,
  DeliveryPlatform,
  FetchInitLike,
  FetchLike,
  FetchResponseLike,
  Hasher,
  ModelProgressEvent,
  ModelStore,
  ModelStoreLock,
  PartialModel,
  StoredModelState,
} from './model/delivery.js'
export { createSha256 } from './model/sha256.js'
export { ENCODED_FORMAT_NAMES, otherImageFormat, readImageHeader, sniffImageFormat } from './image-format.js'
export type { EncodedFormat, EncodedImageHeader } from './image-format.js'
export { createExternalStore } from './store.js'
export type { ExternalStore, WritableExternalStore } from './store.js'
