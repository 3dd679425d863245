/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** A MODNet ONNX file to use instead of the official one (e.g. `/models/modnet.onnx`). */
  readonly VITE_MATTEKIT_MODEL_URL?: string
  /** Its SHA-256 (64 hex digits): required with `VITE_MATTEKIT_MODEL_URL`. */
  readonly VITE_MATTEKIT_MODEL_SHA256?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
