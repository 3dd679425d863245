// Vite's `?inline` import of a binary asset yields a base64 `data:` URL (tests only).
declare module '*.png?inline' {
  const dataUrl: string
  export default dataUrl
}
