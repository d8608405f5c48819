import type { ApiInfo } from '@crowdserve/protocol/base';
import { createApp, checkSessionHash, checkTimeout, randomSessionHash, type App, type AppSettings } from './app.js';
import { BadRequestError, describeValue } from './errors.js';
import { checkTransport, chooseDialect, DEFAULT_TRANSPORT, type TransportOption } from './dialect.js';
import { readEndpoints } from './endpoints.js';
import { httpTarget } from './http-target.js';
import type { JobTransport } from './job-transport.js';
import { remoteWebSocketTransport, webSocketTransport } from './ws-transport.js';
import { resolveRetryOptions, type RetryOptions } from './retry-policy.js';
import type { QueueTarget, WebSocketConstructor } from './transport.js';
import type { AppFor, EndpointsLike } from './typed-app.js';
import type { Deadlines } from './deadlines.js';
import type { SseHttp } from './sse-http.js';

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
  /**
   * The queue dialect of a URL target's jobs: `'ws'` (Gradio 3.x's WebSocket), `'sse_v3'` (Gradio ≥ 4.22),
   * or `'auto'`: the WebSocket where the server serves it, else `sse_v3`. A dialect the server does not
   * serve is refused with `UNSUPPORTED_SERVER`. An in-page `QueueTarget` speaks the WebSocket dialect only.
   * @default {@link DEFAULT_TRANSPORT}
   */
  transport?: TransportOption;
}

/**
 * Connects to a queue: a server's URL (`'http://127.0.0.1:7860'`) or an in-page {@link QueueTarget}.
 * Reads its config once; rejects with a `CrowdserveError` when it cannot. `connect<typeof endpoints>(url)`
 * types the app's routes, inputs and results from the server's endpoints (a `TypedApp`).
 */
export function connect<E extends EndpointsLike | undefined = undefined>(
  target: string | URL | QueueTarget,
  options: ConnectOptions = {},
): Promise<AppFor<E>> {
  // The types are the caller's claim about the server; the server checks every request's data.
  return connectWith(target, options, () => (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket) as Promise<
    AppFor<E>
  >;
}

/** How an entry finds what the caller did not give; the browser and Node entries differ only here. */
type DefaultWebSocket = () => WebSocketConstructor | undefined | Promise<WebSocketConstructor | undefined>;
type DefaultSseHttp = () => Promise<(deadlines: Deadlines) => SseHttp>;

/** The options every target needs, checked once before anything is opened. */
interface ConnectSettings {
  connectTimeoutMs: number;
  wanted: TransportOption;
  app: AppSettings;
}

/** The shared body of the browser and Node entries; they differ only in where a default WebSocket comes from. */
export async function connectWith(
  target: string | URL | QueueTarget,
  options: ConnectOptions,
  defaultWebSocket: DefaultWebSocket,
  /** How `sse_v3` requests are made when no `fetch` is given (Node: `node:http`); else over the global `fetch`. */
  defaultSseHttp?: DefaultSseHttp,
): Promise<App> {
  const settings = resolveConnectSettings(options);
  if (typeof target === 'string' || target instanceof URL) {
    return connectUrl(target, options, settings, defaultWebSocket, defaultSseHttp);
  }
  if (!isQueueTarget(target)) {
    throw new BadRequestError(`target: expected a URL or a QueueTarget, got ${describeValue(target)}`);
  }
  return connectQueueTarget(target, options, settings);
}

function resolveConnectSettings(options: ConnectOptions): ConnectSettings {
  const retry = resolveRetryOptions(options.retry);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (typeof connectTimeoutMs !== 'number' || !(connectTimeoutMs > 0)) {
    throw new BadRequestError(`connectTimeoutMs: expected a number > 0, got ${describeValue(connectTimeoutMs)}`);
  }
  const sessionHash = checkSessionHash(options.sessionHash ?? randomSessionHash());
  const timeoutMs = checkTimeout(options.timeoutMs);
  const wanted = checkTransport(options.transport ?? DEFAULT_TRANSPORT);
  return { connectTimeoutMs, wanted, app: { retry, sessionHash, timeoutMs } };
}

/** A server's URL: `/config` picks the dialect, then `/info` (optional) and the jobs' transport. */
async function connectUrl(
  target: string | URL,
  options: ConnectOptions,
  { connectTimeoutMs, wanted, app }: ConnectSettings,
  defaultWebSocket: DefaultWebSocket,
  defaultSseHttp: DefaultSseHttp | undefined,
): Promise<App> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const http = httpTarget(target, {
    fetch: fetchFn,
    signal: options.signal,
    timeoutMs: connectTimeoutMs,
  });
  const config = await http.config();
  const dialect = chooseDialect(config, wanted);
  // Loaded only for servers that need it, so a bundler may split it off.
  const sse = dialect === 'sse_v3' ? await import('./sse-transport.js') : null;
  const apiPrefix = sse === null ? '' : sse.apiPrefixOf(config);
  // /info only informs `app.endpoints`; an older server without it is still usable.
  const info = await optionalInfo(() => http.infoAt(apiPrefix), options.signal);
  let transport: JobTransport;
  if (sse !== null) {
    const sseHttp = options.fetch === undefined ? await defaultSseHttp?.() : undefined;
    transport = sse.sseTransport({
      apiRoot: `${http.root}${apiPrefix}`,
      fetch: fetchFn,
      http: sseHttp,
      connectTimeoutMs,
    });
  } else {
    // The WebSocket class is looked for only once /config says the jobs need one.
    const WebSocket = options.WebSocket ?? (await defaultWebSocket());
    if (typeof WebSocket !== 'function') {
      throw new BadRequestError(
        `WebSocket: expected a WebSocket class (no global one here), got ${describeValue(WebSocket)}`,
      );
    }
    transport = remoteWebSocketTransport(http.root, WebSocket, connectTimeoutMs);
  }
  return createApp(transport, config, info, readEndpoints(config, info), app);
}

/** An in-page queue: it speaks the WebSocket dialect only. */
async function connectQueueTarget(
  queue: QueueTarget,
  options: ConnectOptions,
  { connectTimeoutMs, wanted, app }: ConnectSettings,
): Promise<App> {
  if (wanted === 'sse_v3') {
    throw new BadRequestError("transport: expected 'auto' or 'ws' for an in-page QueueTarget, got 'sse_v3'");
  }
  const [config, info] = await Promise.all([
    queue.config(),
    optionalInfo(queue.info ? () => queue.info!() : null, options.signal),
  ]);
  chooseDialect(config, 'ws');
  const transport = webSocketTransport(() => queue.open(), connectTimeoutMs);
  return createApp(transport, config, info, readEndpoints(config, info), app);
}

async function optionalInfo(
  info: (() => ApiInfo | Promise<ApiInfo>) | null,
  signal: AbortSignal | undefined,
): Promise<ApiInfo | null> {
  if (!info) return null;
  try {
    return await info();
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

function isQueueTarget(value: unknown): value is QueueTarget {
  const v = value as Partial<QueueTarget> | null;
  return typeof v === 'object' && v !== null && typeof v.config === 'function' && typeof v.open === 'function';
}
