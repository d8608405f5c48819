import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a request's `Origin` may use the queue (cross-site WebSocket hijacking guard).
 * Compared as whole origins, never by prefix or suffix, so `https://my.app.evil.test` is not `https://my.app`.
 * No `Origin` at all is a non-browser client (a script, `@gradio/client` in Node) and is allowed,
 * unless a browser's `Sec-Fetch-Site` says it comes from another site.
 */
export function isOriginAllowed(request: IncomingMessage, allowedOrigins: string[] | null): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) {
    // Browsers send Sec-Fetch-Site; Node's fetch sends only Sec-Fetch-Mode, and must still get in.
    const site = request.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the literal 'null' origin of sandboxed frames and file: pages
  }
  if (url.origin !== origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  if (allowedOrigins !== null) return allowedOrigins.includes(origin);
  return LOOPBACK_HOSTS.has(url.hostname) || url.host === request.headers.host;
}
