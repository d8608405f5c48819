import { parseApiInfo, parseAppConfig, type ApiInfo, type ParseResult } from '@crowdserve/protocol/base';
import {
  abortError,
  BadRequestError,
  ConnectionLostError,
  describeValue,
  ServerError,
  TimeoutError,
} from './errors.js';
import type { AppConfig } from '@crowdserve/protocol/base';

export interface HttpTargetOptions {
  fetch: typeof fetch;
  /** Aborts the `/config` and `/info` requests. */
  signal?: AbortSignal | undefined;
  /** Each of `/config` and `/info` fails with `TIMEOUT` after this long (undici alone waits ~5 min). */
  timeoutMs: number;
}

/** A remote server's HTTP side: its config and API description, and where its queue routes hang. */
export interface HttpTarget {
  /** `http(s)://host/path`, without a trailing slash. */
  readonly root: string;
  config(): Promise<AppConfig>;
  /** `GET {root}{apiPrefix}/info`: Gradio ≥ 5 serves it under its `api_prefix`. */
  infoAt(apiPrefix: string): Promise<ApiInfo>;
}

/** A remote server's `/config` and `/info`, over HTTP; its jobs go through a dialect's transport. */
export function httpTarget(url: string | URL, options: HttpTargetOptions): HttpTarget {
  const root = rootOf(url);
  return {
    root,
    config: () => getJson(`${root}/config`, parseAppConfig, options),
    infoAt: (apiPrefix) => getJson(`${root}${apiPrefix}/info`, parseApiInfo, options),
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

/** GETs `url` and checks its answer once with the protocol's parser: a malformed answer is a `SERVER_ERROR`. */
async function getJson<T>(
  url: string,
  parse: (value: unknown) => ParseResult<T>,
  options: HttpTargetOptions,
): Promise<T> {
  // A timer of our own rather than AbortSignal.timeout(), so the caller's signal and ours stay apart.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`GET ${url} gave no answer within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  try {
    const parsed = parse(await fetchJson(url, options.fetch, controller.signal));
    if (parsed.ok) return parsed.value;
    throw new ServerError(`GET ${url} answered ${parsed.error.path}: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchJson(url: string, fetchFn: typeof fetch, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    // Called detached, never as `options.fetch(…)`: browsers throw "Illegal invocation" when
    // `window.fetch` runs with another `this`.
    response = await fetchFn(url, { signal, headers: { accept: 'application/json' } });
  } catch (cause) {
    if (signal.aborted) throw abortError(signal.reason);
    throw new ConnectionLostError(`could not reach ${url}`, { cause });
  }
  if (!response.ok) {
    throw new ServerError(`GET ${url} answered ${response.status}`, { status: response.status });
  }
  try {
    return await response.json();
  } catch (cause) {
    if (signal.aborted) throw abortError(signal.reason);
    throw new ServerError(`GET ${url} answered with something that is not JSON`, { cause, status: response.status });
  }
}
