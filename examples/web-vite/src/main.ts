import { createMatter, isMatteError, type ProcessedTrack, type TrackBackground, type WebMatter } from '@mattekit/web'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const video = $<HTMLVideoElement>('video')
const status = $<HTMLParagraphElement>('status')
const startButton = $<HTMLButtonElement>('start')
const stopButton = $<HTMLButtonElement>('stop')
const backgrounds = $<HTMLFieldSetElement>('backgrounds')

// The official MODNet (fetched once from its pinned revision, verified, cached in the Cache API),
// or a model you host yourself, set at build time.
const { VITE_MATTEKIT_MODEL_URL: url, VITE_MATTEKIT_MODEL_SHA256: sha256 } = import.meta.env
const model = url && sha256 ? { url, sha256 } : { variant: 'fp32' as const }

let matter: WebMatter | undefined
let camera: MediaStream | undefined
let processed: ProcessedTrack | undefined
let statsTimer: number | undefined

const BACKGROUNDS: Record<string, TrackBackground> = {
  blur: { type: 'blur' },
  color: { type: 'color', color: '#00b140' },
}

function selectedBackground(): string {
  return backgrounds.querySelector<HTMLInputElement>('input:checked')?.value ?? 'blur'
}

/** Shows the processed track, or the camera itself for "Off"; switches without restarting. */
function applyBackground(): void {
  if (!camera || !processed) return
  const choice = selectedBackground()
  const background = BACKGROUNDS[choice]
  if (background) {
    processed.setBackground(background)
    video.srcObject = new MediaStream([processed.track])
  } else {
    video.srcObject = camera
  }
}

async function start(): Promise<void> {
  startButton.disabled = true
  try {
    status.textContent = 'Loading the model…'
    matter ??= await createMatter({
      model,
      onProgress: (event) => {
        if (event.status === 'download' && event.total) {
          status.textContent = `Downloading the model: ${Math.round((100 * event.loaded) / event.total)} %`
        }
      },
    })
    status.textContent = 'Starting the camera…'
    camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
    const [track] = camera.getVideoTracks()
    if (!track) throw new Error('The camera gave no video track.')
    processed = matter.processTrack(track, { background: BACKGROUNDS[selectedBackground()] ?? { type: 'blur' } })
    applyBackground()
    backgrounds.disabled = false
    stopButton.disabled = false
    statsTimer = window.setInterval(() => {
      const stats = processed?.stats
      if (stats) status.textContent = `${stats.fpsOut.toFixed(0)} fps out of ${stats.fpsIn.toFixed(0)}, model ${stats.fpsModel.toFixed(1)} fps`
    }, 500)
    processed.ended.then(stop, stop)
  } catch (error) {
    status.textContent = isMatteError(error) ? `${error.code}: ${error.message}` : String(error)
    stop()
  }
}

/** Stops processing and the camera, and frees the model. */
function stop(): void {
  window.clearInterval(statsTimer)
  processed?.stop() // also stops the camera track
  camera?.getTracks().forEach((t) => t.stop())
  processed = undefined
  camera = undefined
  video.srcObject = null
  backgrounds.disabled = true
  stopButton.disabled = true
  startButton.disabled = false
}

startButton.addEventListener('click', () => void start())
stopButton.addEventListener('click', stop)
backgrounds.addEventListener('change', applyBackground)
window.addEventListener('pagehide', () => {
  stop()
  void matter?.dispose()
})
