/**
 * Plain pixel containers shared by every platform. Structural types, no DOM or Node.
 */

/**
 * 8-bit interleaved RGB pixels, as OpenCV's default colour read gives them (after the BGR to RGB
 * swap): `data.length === width * height * 3`, rows top to bottom, no padding.
 */
export interface RgbImage {
  /** Interleaved R, G, B samples. */
  readonly data: Uint8Array
  /** Width in pixels. */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
}

/** An 8-bit single-channel matte: 0 is background, 255 is foreground. */
export interface Matte {
  /** One sample per pixel, rows top to bottom. */
  readonly data: Uint8Array
  /** Width in pixels (the oriented input's width). */
  readonly width: number
  /** Height in pixels (the oriented input's height). */
  readonly height: number
}

/** A width and a height in pixels. */
export interface Size {
  /** Width in pixels. */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
}

/** 8-bit interleaved RGBA pixels (straight, not premultiplied, alpha). */
export interface RgbaImage {
  /** Interleaved R, G, B, A samples. */
  readonly data: Uint8Array
  /** Width in pixels. */
  readonly width: number
  /** Height in pixels. */
  readonly height: number
}
