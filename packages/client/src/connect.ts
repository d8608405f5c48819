import type { ApiInfo } from '@crowdserve/protocol';
import { createApp, checkSessionHash, checkTimeout, randomSessionHash, type App } from './app.js';
import { BadRequestError, describeValue } from './errors.js';
import { checkDialect } from './dialect.js';
import { readEndpoints } from './endpoints.js';
import { httpTarget } from './http-target.js';
import { resolveRetryOptions, type RetryOptions } from './retry-policy.js';
import type { QueueTarget, WebSocketConstructor } from './transport.js';

/**
 * How long a server may take to say `send_hash` after a job's connection opens, before the attempt
 * fails, and how long `connect()` waits for each of `/config` and `/info` (then `TIMEOUT`).
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** The WebSocket class for a URL target. @default the global `WebSocket` (and `ws` in Node, from the node entry) */
  WebSocket?: WebSocketConstructor;
  /** @default the global `fetch` */
  fetch?: typeof fetch;
  /** Aborts `connect()` itself (its `/config` and `/info` requests). */
  signal?: AbortSignal;
  /** Retry options for every job of the app; a job's own `retry` overrides them. `false` never retries. */
  retry?: Partial<RetryOptions> | false;
  /** @default {@link DEFAULT_CONNECT_TIMEOUT_MS} */
  connectTimeoutMs?: number;
  /** The `session_hash` every job sends. @default 16 random hex characters */
  sessionHash?: string;
  /** Every job fails with `TIMEOUT` this long after submit; a job's own `timeoutMs` overrides it. @default null (none) */
  timeoutMs?: number | null;
}

/**
 * Connects to a queue: a server's URL (`'http://127.0.0.1:7860'`) or an in-page {@link QueueTarget}.
 * Reads its config once; rejects with a `CrowdserveError` when it cannot.
 */
export function connect(target: string | URL | QueueTarget, options: ConnectOptions = {}): Promise<App> {
  return connectWith(target, options, () => (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);
}

/** The shared body of the browser and Node entries; they differ only in where a default WebSocket comes from. */
export async function connectWith(
  target: string | URL | QueueTarget,
  options: ConnectOptions,
  defaultWebSocket: () => WebSocketConstructor | undefined | Promise<WebSocketConstructor | undefined>,
): Promise<App> {
  const retry = resolveRetryOptions(options.retry);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (typeof connectTimeoutMs !== 'number' || !(connectTimeoutMs > 0)) {
    throw new BadRequestError(`connectTimeoutMs: expected a number > 0, got ${describeValue(connectTimeoutMs)}`);
  }
  const sessionHash = checkSessionHash(options.sessionHash ?? randomSessionHash());
  const timeoutMs = checkTimeout(options.timeoutMs);

  let queue: QueueTarget;
  if (typeof target === 'string' || target instanceof URL) {
    const WebSocket = options.WebSocket ?? (await defaultWebSocket());
    if (typeof WebSocket !== 'function') {
      throw new BadRequestError(
        `WebSocket: expected a WebSocket class (no global one here), got ${describeValue(WebSocket)}`,
      );
    }
    const fetchFn = options.fetch ?? globalThis.fetch;
    queue = httpTarget(target, { WebSocket, fetch: fetchFn, signal: options.signal, timeoutMs: connectTimeoutMs });
  } else if (isQueueTarget(target)) {
    queue = target;
  } else {
    throw new BadRequestError(`target: expected a URL or a QueueTarget, got ${describeValue(target)}`);
  }

  // /info only informs `app.endpoints`; an older server without it is still usable.
  const [config, info] = await Promise.all([queue.config(), optionalInfo(queue, options.signal)]);
  checkDialect(config);
  return createApp(queue, config, info, readEndpoints(config, info), {
    retry,
    connectTimeoutMs,
    sessionHash,
    timeoutMs,
  });
}

async function optionalInfo(target: QueueTarget, signal: AbortSignal | undefined): Promise<ApiInfo | null> {
  if (!target.info) return null;
  try {
    return await target.info();
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

function isQueueTarget(value: unknown): value is QueueTarget {
  const v = value as Partial<QueueTarget> | null;
  return typeof v === 'object' && v !== null && typeof v.config === 'function' && typeof v.open === 'function';
}
