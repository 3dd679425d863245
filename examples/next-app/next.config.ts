import type { NextConfig } from 'next'

const config: NextConfig = {
  // Cross-origin isolation lets onnxruntime-web use several threads (see docs/getting-started-web.md).
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
        ],
      },
    ]
  },
}

export default config
