/**
 * A small React app, as a user would write it, for the browser test: one `useMatte` shared by a
 * photo cut-out and a camera view (`useMatteStream`), under StrictMode (the test builds it in
 * development mode, so React mounts, unmounts and mounts again). What the test checks is copied
 * to `window.report`.
 *
 * URL parameters: `model` and `sha256` (the stand-in model), `image` (the fixture to matte).
 */
import { StrictMode, useEffect, useRef, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { useMatte, useMatteStream, type TrackStats, type UseMatteResult } from '@mattekit/react'

/** What the app reports to the test. */
export interface AppReport {
  /** useMatte's status, as rendered. */
  status: string
  /** The photo's matte (base64), or the error. */
  photo: { matte: string; width: number; height: number; modelSize: { width: number; height: number } } | { error: { code?: string; message: string } } | null
  /** How many times the photo effect received a result (StrictMode runs effects twice). */
  photoResults: number
  /** The camera view's state. */
  camera: { status: string; error: { code?: string; message: string } | null; stats: TrackStats | null; videoWidth: number; videoHeight: number } | null
  /** The camera's own track (the app owns it). */
  cameraTrack: MediaStreamTrack | null
  /** The processed track the hook returned last. */
  processedTrack: MediaStreamTrack | null
  /** Opens the camera and shows the camera view. */
  startCamera(): Promise<void>
  /** Hides (unmounts) the camera view; the camera itself stays open. */
  hideCamera(): void
  /** Changes the camera view's background colour (a new `background` option). */
  setColor(color: string): void
  /**
   * A frame grabbed from the processed track (ImageCapture): how many pixels are mostly the given
   * channel (0 R, 1 G, 2 B); -1 when no track runs.
   */
  dominant(channel: number): Promise<number>
}

const params = new URLSearchParams(location.search)
const model = { url: params.get('model') ?? '', sha256: params.get('sha256') ?? '' }
const image = params.get('image') ?? ''

const report: AppReport = {
  status: 'unmounted',
  photo: null,
  photoResults: 0,
  camera: null,
  cameraTrack: null,
  processedTrack: null,
  startCamera: () => Promise.reject(new Error('not mounted')),
  hideCamera: () => undefined,
  setColor: () => undefined,
  async dominant(channel) {
    const track = report.processedTrack
    if (!track || track.readyState !== 'live') return -1
    const bitmap = await new (window as unknown as { ImageCapture: new (t: MediaStreamTrack) => { grabFrame(): Promise<ImageBitmap> } }).ImageCapture(track).grabFrame()
    try {
      return countDominant(bitmap, bitmap.width, bitmap.height, channel)
    } finally {
      bitmap.close()
    }
  },
}

function countDominant(source: CanvasImageSource, width: number, height: number, channel: number): number {
  const canvas = new OffscreenCanvas(width, height)
  const context = canvas.getContext('2d')!
  context.drawImage(source, 0, 0)
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height)
  let count = 0
  for (let i = 0; i < data.length; i += 4) {
    const c = data[i + channel]!
    const others = data[i]! + data[i + 1]! + data[i + 2]! - c
    if (c > 180 && others < 120) count++
  }
  return count
}
Object.assign(window, { report })

function b64(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

const plainError = (error: unknown): { code?: string; message: string } => ({
  code: (error as { code?: string }).code,
  message: (error as Error).message ?? String(error),
})

function Photo({ matter }: { readonly matter: UseMatteResult }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const [done, setDone] = useState(false)
  const { matte } = matter
  useEffect(() => {
    let live = true
    matte(image).then(
      (result) => {
        report.photoResults++
        report.photo = { matte: b64(result.matte.data), width: result.matte.width, height: result.matte.height, modelSize: result.modelSize }
        if (!live || !canvas.current) return
        canvas.current.width = result.matte.width
        canvas.current.height = result.matte.height
        canvas.current.getContext('2d')!.putImageData(result.toCutoutImageData(), 0, 0)
        setDone(true)
      },
      (error: unknown) => {
        report.photo = { error: plainError(error) }
      },
    )
    return () => {
      live = false
    }
  }, [matte])
  return (
    <section>
      <h2>Photo {done ? '(done)' : ''}</h2>
      <canvas ref={canvas} />
    </section>
  )
}

function Camera({ matter, camera, color }: { readonly matter: UseMatteResult; readonly camera: MediaStream; readonly color: string }) {
  const { stream, stats, status, error, track } = useMatteStream(camera, { matter, background: { type: 'color', color } })
  const video = useRef<HTMLVideoElement>(null)
  useEffect(() => {
    if (video.current) video.current.srcObject = stream
  }, [stream])
  useEffect(() => {
    if (track) report.processedTrack = track
    report.camera = {
      status,
      error: error && plainError(error),
      stats,
      videoWidth: video.current?.videoWidth ?? 0,
      videoHeight: video.current?.videoHeight ?? 0,
    }
  })
  return (
    <section>
      <h2>Camera: {status}</h2>
      <video ref={video} autoPlay muted playsInline />
      <p>{stats ? `${stats.fpsOut.toFixed(1)} fps out, ${stats.fpsModel.toFixed(1)} model fps` : ''}</p>
      {error ? <p role="alert">{error.message}</p> : null}
    </section>
  )
}

function App() {
  const matter = useMatte({ model })
  const [camera, setCamera] = useState<MediaStream | null>(null)
  const [showCamera, setShowCamera] = useState(false)
  const [color, setColor] = useState('#00ff00')
  useEffect(() => {
    report.status = matter.status
  })
  useEffect(() => {
    report.startCamera = async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } })
      report.cameraTrack = stream.getVideoTracks()[0] ?? null
      setCamera(stream)
      setShowCamera(true)
    }
    report.hideCamera = () => setShowCamera(false)
    report.setColor = setColor
  }, [])
  return (
    <main>
      <h1>MatteKit React: {matter.status}</h1>
      {matter.progress ? <progress value={matter.progress.fraction ?? undefined} /> : null}
      {matter.error ? <p role="alert">{matter.error.message}</p> : null}
      <Photo matter={matter} />
      {camera && showCamera ? <Camera matter={matter} camera={camera} color={color} /> : null}
    </main>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
document.title = 'ready'
