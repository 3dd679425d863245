/**
 * Live frames into the pipeline: a camera's YUV VideoFrame is converted to RGBA by the browser's
 * own CPU converter (`VideoFrame.copyTo` with `format: 'RGBA'`), which costs a few milliseconds,
 * instead of a WebGL upload and readback (a GPU round trip that competes with the compositor).
 */
import type { InputPayload } from '../payload.js'

const RGB_FORMATS = new Set(['RGBA', 'RGBX', 'BGRA', 'BGRX'])

/**
 * Turns an owned YUV frame payload into RGBA pixels (closing the frame); other payloads, and
 * browsers whose `copyTo` cannot convert, are returned as they are.
 *
 * @param payload - the live frame as the worker received it
 * @returns the payload to matte
 */
export async function livePayload(payload: InputPayload): Promise<InputPayload> {
  if (payload.kind !== 'frame' || !payload.owned) return payload
  const { frame } = payload
  if (frame.format === null || RGB_FORMATS.has(frame.format)) return payload
  // The visible rectangle, in coded coordinates (it need not start at 0,0). A frame whose display
  // size differs from it (non-square pixels) goes the WebGL way, which scales to the display size.
  const rect = frame.visibleRect
  if (!rect || rect.width !== frame.displayWidth || rect.height !== frame.displayHeight) return payload
  const { width, height } = rect
  try {
    const data = new Uint8Array(width * height * 4)
    await frame.copyTo(data, { format: 'RGBA', rect: { x: rect.x, y: rect.y, width, height }, layout: [{ offset: 0, stride: width * 4 }] } as VideoFrameCopyToOptions)
    frame.close()
    return { kind: 'pixels', data, width, height }
  } catch {
    return payload // no RGB conversion in copyTo here: the decoder reads it through WebGL
  }
}
