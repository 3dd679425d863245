import { useEffect, useRef, useState } from 'react'
import { useMatte, useMatteStream, type TrackBackground, type UseMatteResult } from '@mattekit/react'

// The official MODNet (fetched once from its pinned revision, verified, cached in the Cache API),
// or a model you host yourself, set at build time.
const { VITE_MATTEKIT_MODEL_URL: url, VITE_MATTEKIT_MODEL_SHA256: sha256 } = import.meta.env
const model = url && sha256 ? { url, sha256 } : { variant: 'fp32' as const }

export function App() {
  // One Matter for the whole app: loaded on mount, disposed on unmount.
  const matter = useMatte({ model })
  return (
    <main style={{ font: '16px system-ui, sans-serif', maxWidth: '48rem', margin: '2rem auto', padding: '0 1rem' }}>
      <h1>MatteKit with React</h1>
      <ModelStatus matter={matter} />
      <CutOut matter={matter} />
      <CameraBlur matter={matter} />
    </main>
  )
}

function ModelStatus({ matter }: { matter: UseMatteResult }) {
  const { status, progress, error } = matter
  if (status === 'error') return <p role="alert">Model: {error?.code}: {error?.message}</p>
  if (status === 'loading') {
    const percent = progress?.fraction == null ? '' : ` ${Math.round(progress.fraction * 100)} %`
    return <p role="status">Model: {progress?.stage ?? 'loading'}{percent}</p>
  }
  return <p role="status">Model: {status}</p>
}

/** Pick a photo, see the person cut out (an RGBA PNG). */
function CutOut({ matter }: { matter: UseMatteResult }) {
  const [file, setFile] = useState<File | null>(null)
  const [cutout, setCutout] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const { matte } = matter

  useEffect(() => {
    if (!file) return
    const controller = new AbortController()
    let objectUrl: string | undefined
    setError(null)
    matte(file, { signal: controller.signal })
      .then((result) => result.toCutoutBlob())
      .then((blob) => {
        objectUrl = URL.createObjectURL(blob)
        setCutout(objectUrl)
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e))
      })
    return () => {
      controller.abort()
      if (objectUrl) URL.revokeObjectURL(objectUrl)
    }
  }, [file, matte])

  return (
    <section>
      <h2>Cut out a photo</h2>
      <input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      {error && <p role="alert">{error}</p>}
      {cutout && (
        <img
          src={cutout}
          alt="The cut-out"
          style={{ maxWidth: '100%', background: 'repeating-conic-gradient(#ddd 0 25%, #fff 0 50%) 0 0 / 20px 20px' }}
        />
      )}
    </section>
  )
}

const BACKGROUNDS: Record<string, TrackBackground> = {
  blur: { type: 'blur' },
  green: { type: 'color', color: '#00b140' },
}

/** The camera with its background blurred (or replaced), processed live. */
function CameraBlur({ matter }: { matter: UseMatteResult }) {
  const [camera, setCamera] = useState<MediaStream | null>(null)
  const [choice, setChoice] = useState('blur')
  const { stream, stats, status, error } = useMatteStream(camera, { matter, background: BACKGROUNDS[choice] })
  const video = useRef<HTMLVideoElement>(null)

  useEffect(() => {
    if (video.current) video.current.srcObject = stream
  }, [stream])
  // The camera is ours: stop it when it is replaced or the component unmounts.
  useEffect(() => () => camera?.getTracks().forEach((t) => t.stop()), [camera])

  return (
    <section>
      <h2>Camera background</h2>
      {camera ? (
        <button type="button" onClick={() => setCamera(null)}>Stop camera</button>
      ) : (
        <button type="button" onClick={() => void navigator.mediaDevices.getUserMedia({ video: true }).then(setCamera)}>
          Start camera
        </button>
      )}
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="Background">
        <option value="blur">Blur</option>
        <option value="green">Green screen</option>
      </select>
      <video ref={video} autoPlay muted playsInline style={{ width: '100%', background: '#111' }} />
      <p role="status">
        {status}
        {stats && ` · ${stats.fpsOut.toFixed(0)} fps (model ${stats.fpsModel.toFixed(1)} fps)`}
        {error && ` · ${error.code}: ${error.message}`}
      </p>
    </section>
  )
}
