/**
 * `@mattekit/react`: React hooks for MatteKit. {@link useMatte} gives a component one Matter
 * (loaded on mount, disposed on unmount, safe under StrictMode) to matte images with;
 * {@link useMatteStream} replaces the background of a live camera or screen stream.
 *
 * Everything from `@mattekit/web` is re-exported, so a React app installs and imports this one
 * package. Importing it, and rendering components that use the hooks on a server, touches no
 * browser global: the hooks start work only in effects, in the browser. The build starts with
 * `'use client'`, so the hooks can be imported from Next.js App Router client components.
 *
 * @packageDocumentation
 */
export * from '@mattekit/web'
export { useMatte } from './use-matte.js'
export type { UseMatteOptions, UseMatteResult } from './use-matte.js'
export { useMatteStream } from './use-matte-stream.js'
export type { MatteStreamInput, MatteStreamStatus, UseMatteStreamOptions, UseMatteStreamResult } from './use-matte-stream.js'
