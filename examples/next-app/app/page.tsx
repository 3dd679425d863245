// A server component: rendered on the server (and at build time), it imports nothing from
// MatteKit itself; the interactive part is the client component below.
import { CutOut } from './cut-out'

export default function Page() {
  return (
    <main>
      <h1>MatteKit with Next.js</h1>
      <p>Pick a photo: MODNet cuts the person out in your browser (in a Web Worker); nothing is uploaded.</p>
      <CutOut />
    </main>
  )
}
