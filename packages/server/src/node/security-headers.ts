import type { ServerResponse } from 'node:http';

/**
 * What the playground needs, and nothing more: its own scripts and workers (ONNX Runtime's threads
 * start from `blob:` URLs), WebAssembly compiled from its own `.wasm` (`'wasm-unsafe-eval'`, not
 * `'unsafe-eval'`), fetches and the queue socket to its own origin, the data: favicon, and no framing.
 */
export const DEFAULT_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  // CSP3 lets 'self' match ws:/wss: to the same host; the scheme-less form covers older engines.
  "connect-src 'self' ws: wss: blob: data:",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** For answers that are data, never a page: nothing may run, load or frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Headers on every HTTP answer: no MIME sniffing (a JSON echo is never run as a script), no framing. */
export const COMMON_SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

/** Sets the common headers and `policy` as the Content-Security-Policy (`null`: none). */
export function setSecurityHeaders(response: ServerResponse, policy: string | null): void {
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) response.setHeader(name, value);
  if (policy !== null) response.setHeader('Content-Security-Policy', policy);
  else response.removeHeader('Content-Security-Policy');
}
