import type { ApiInfo, AppConfig } from '@crowdserve/protocol';
import { abortError, BadRequestError, ConnectionLostError, describeValue, ServerError } from './errors.js';
import { webSocketDuplex, type QueueTarget, type WebSocketConstructor } from './transport.js';

export interface HttpTargetOptions {
  WebSocket: WebSocketConstructor;
  fetch: typeof fetch;
  /** Aborts the `/config` and `/info` requests. */
  signal?: AbortSignal | undefined;
}

/** A remote server as a {@link QueueTarget}: `/config` and `/info` over HTTP, each job over a WebSocket. */
export function httpTarget(url: string | URL, options: HttpTargetOptions): QueueTarget {
  const root = rootOf(url);
  const joinUrl = `${root.replace(/^http/, 'ws')}/queue/join`;
  return {
    config: () => getJson<AppConfig>(`${root}/config`, options),
    info: () => getJson<ApiInfo>(`${root}/info`, options),
    open: () => webSocketDuplex(new options.WebSocket(joinUrl)),
  };
}

/** `http(s)://host/path/` → `http(s)://host/path`, with query and hash dropped. */
function rootOf(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new BadRequestError(`url: expected an absolute http(s) URL, got ${describeValue(String(url))}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BadRequestError(`url: expected an http: or https: URL, got ${describeValue(parsed.protocol)}`);
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

async function getJson<T>(url: string, options: HttpTargetOptions): Promise<T> {
  let response: Response;
  try {
    // Called detached, never as `options.fetch(…)`: browsers throw "Illegal invocation" when
    // `window.fetch` runs with another `this`.
    const fetchFn = options.fetch;
    response = await fetchFn(url, { signal: options.signal ?? null, headers: { accept: 'application/json' } });
  } catch (cause) {
    if (options.signal?.aborted) throw abortError(options.signal.reason);
    throw new ConnectionLostError(`could not reach ${url}`, { cause });
  }
  if (!response.ok) {
    throw new ServerError(`GET ${url} answered ${response.status}`, { status: response.status });
  }
  try {
    return (await response.json()) as T;
  } catch (cause) {
    if (options.signal?.aborted) throw abortError(options.signal.reason);
    throw new ServerError(`GET ${url} answered with something that is not JSON`, { cause, status: response.status });
  }
}
