import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Cross-origin isolation lets onnxruntime-web use several threads (see docs/getting-started-web.md).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }

export default defineConfig({
  plugins: [react()],
  // Pre-bundling would move @mattekit/web's worker and onnxruntime-web's .wasm away from the
  // `new URL(..., import.meta.url)` that finds them.
  optimizeDeps: { exclude: ['@mattekit/react', '@mattekit/web', 'onnxruntime-web'] },
  // MatteKit's worker is a module worker with code splitting.
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { headers: isolation },
  preview: { headers: isolation },
})
