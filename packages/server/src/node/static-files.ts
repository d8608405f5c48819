import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setSecurityHeaders } from './security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Headers that make the page cross-origin isolated: multi-threaded WASM and fine timers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export interface StaticOptions {
  /** The `Content-Security-Policy` of every file (workers take theirs from their script's answer); `null`: none. */
  contentSecurityPolicy: string | null;
  /** How long the client may read nothing before the download is cut and its file closed. */
  idleTimeoutMs: number;
}

/**
 * Serves a file from `root` for a URL path; `index.html` for `/`. Answers `false` when there is no
 * such file, so the caller can answer 404. Paths cannot leave `root`.
 */
export async function serveStatic(
  root: string,
  urlPath: string,
  response: ServerResponse,
  head: boolean,
  options: StaticOptions,
): Promise<boolean> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return false;
  }
  if (path.includes('\0')) return false;
  // `resolve` drops a trailing slash, so `root + sep` is the one prefix every file inside it has.
  const base = resolve(root);
  const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
  if (!file.startsWith(base + sep)) return false;
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return false;
  setSecurityHeaders(response, options.contentSecurityPolicy);
  response.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...ISOLATION_HEADERS,
  });
  if (head) {
    response.end();
    return true;
  }
  cutWhenIdle(response, options.idleTimeoutMs);
  // `pipeline`, not `.pipe`: when the client aborts or is cut, the file stream is destroyed too and
  // its descriptor closed (`.pipe` only unpipes, leaving the fd open for good).
  await pipeline(createReadStream(file), response).catch(() => response.destroy());
  return true;
}

/**
 * Cuts the connection when the client reads nothing of `response` for `ms`: a reader that stops
 * (or never starts) would otherwise hold the socket, its kernel send buffer and any file forever.
 * Node's keep-alive timeout takes over once the answer is sent.
 */
export function cutWhenIdle(response: ServerResponse, ms: number): void {
  response.setTimeout(ms, () => response.destroy());
}
