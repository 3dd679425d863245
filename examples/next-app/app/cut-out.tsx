'use client'
import { useEffect, useState } from 'react'
import { useMatte } from '@mattekit/react'

// The official MODNet (fetched once from its pinned revision, verified, cached in the Cache API),
// or a model you host yourself (put it in public/ and set both variables at build time).
const url = process.env.NEXT_PUBLIC_MATTEKIT_MODEL_URL
const sha256 = process.env.NEXT_PUBLIC_MATTEKIT_MODEL_SHA256
const model = url && sha256 ? { url, sha256 } : { variant: 'fp32' as const }

/**
 * Rendered on the server too, where useMatte stays `idle` and touches no browser API; the model
 * loads in the browser after hydration.
 */
export function CutOut() {
  const { status, progress, error, matte } = useMatte({ model })
  const [file, setFile] = useState<File | null>(null)
  const [cutout, setCutout] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)

  useEffect(() => {
    if (!file) return
    const controller = new AbortController()
    let objectUrl: string | undefined
    setFailure(null)
    matte(file, { signal: controller.signal })
      .then((result) => result.toCutoutBlob())
      .then((blob) => {
        objectUrl = URL.createObjectURL(blob)
        setCutout(objectUrl)
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setFailure(e instanceof Error ? e.message : String(e))
      })
    return () => {
      controller.abort()
      if (objectUrl) URL.revokeObjectURL(objectUrl)
    }
  }, [file, matte])

  const percent = progress?.fraction == null ? '' : ` ${Math.round(progress.fraction * 100)} %`
  return (
    <section>
      <p role="status">
        Model: {status === 'loading' ? `${progress?.stage ?? 'loading'}${percent}` : status}
        {error && ` (${error.code}: ${error.message})`}
      </p>
      <input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      {failure && <p role="alert">{failure}</p>}
      {cutout && (
        // A blob: URL made in the browser, so a plain <img> (next/image is for files it can optimise).
        <img src={cutout} alt="The cut-out" style={{ maxWidth: '100%' }} />
      )}
    </section>
  )
}
