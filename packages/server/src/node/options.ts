import { dropUndefined } from '@crowdserve/protocol';
import { DEFAULT_QUEUE_OPTIONS as ENGINE_DEFAULTS } from '@crowdserve/queue';
import type { EndpointDefinition } from '../endpoint.js';
import { checkInt, checkQueueOptions, DEFAULT_QUEUE_OPTIONS } from '../core/option-checks.js';
import { rejectUnknownOptions, ServerOptionRangeError, ServerOptionTypeError } from '../errors.js';
import { DEFAULT_PICKED_DATA_TIMEOUT_MS } from '../core/queue-host.js';
import { DEFAULT_CONTENT_SECURITY_POLICY } from './security-headers.js';
import { DEFAULT_SEND_LIMITS, resolveSendLimits, type SendLimits } from './send-limits.js';
import { resolveRedisOptions, type RedisOptions, type ResolvedRedisOptions } from './shared/redis-options.js';

/** Which of Gradio's queue dialects the server speaks (DESIGN.md §3); at least one. */
export interface Dialects {
  /** Gradio 3.x's WebSocket at `/queue/join` (`@gradio/client` 0.x). @default true */
  gradio3?: boolean;
  /**
   * Gradio ≥ 4.22's `sse_v3` under `/gradio_api` (`@gradio/client` 1.x – 2.x, Gradio 4/5 frontends);
   * `/config` then announces `protocol: 'sse_v3'`, which 1.x and 2.x follow. @default true
   */
  sseV3?: boolean;
}

export const DEFAULT_DIALECTS = { gradio3: true, sseV3: true } as const satisfies Required<Dialects>;

/** Options of {@link serve}. Gradio 3 names in brackets. */
export interface ServeOptions extends SendLimits {
  /** Port to listen on; 0 picks a free one (see `server.url`). @default 7860 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** [concurrency_count] Job slots that run at once, shared by all endpoints. @default 1 */
  concurrencyCount?: number;
  /** [max_size] Most waiting jobs; a join beyond it gets `queue_full`. `null` = unbounded. @default null */
  maxSize?: number | null;
  /** [api_open] `false`: the HTTP predict routes answer 404; only the queue is open. @default true */
  apiOpen?: boolean;
  /** [status_update_rate] `'auto'` or seconds between estimation pushes. @default 'auto' */
  statusUpdateRate?: 'auto' | number;
  /**
   * Origins allowed to open the queue socket and to get CORS answers (`'https://my.app'`).
   * @default null: the server's own host, and loopback origins
   */
  allowedOrigins?: string[] | null;
  /**
   * Largest WebSocket frame or HTTP body accepted; a larger frame closes the socket with 1009, a larger
   * body gets 413. Parsing is on the event loop (~3 ms per MiB of base64 text, ~14 ms per MiB of
   * numbers here), so every frame costs everyone its parse: 4 MiB covers the demo endpoints with room
   * (an OCR line ≈ 0.5 MB, a 30 s VAD clip 2.6 MB as base64). Raise it for larger inputs.
   * @default DEFAULT_MAX_PAYLOAD_BYTES (4 MiB)
   */
  maxPayloadBytes?: number;
  /**
   * Most queue sockets and predict requests one client address may hold open at once; more get
   * HTTP 429 with a reason. IPv6 addresses count by their /64 network. Behind a reverse proxy every
   * client has the proxy's address: raise this, or set `null` and limit at the proxy. `null` = no limit.
   * @default 64
   */
  maxConnectionsPerIp?: number | null;
  /** How long a client may take to send a request's headers (a WebSocket upgrade included); slower gets 408. @default 10000 */
  headersTimeoutMs?: number;
  /**
   * Request-body bytes one client address may have buffered at once, over all its requests; a chunk
   * past it gets HTTP 429 and the connection is closed. IPv6 counts by /64, as `maxConnectionsPerIp`.
   * @default 64 MiB
   */
  maxBodyBytesPerIp?: number;
  /** Request-body bytes buffered at once over all clients; past it HTTP 503 and the connection closes. @default 256 MiB */
  maxBodyBytesTotal?: number;
  /** Longest pause between two chunks of a request body (or before the first); slower gets 408. @default 10000 */
  bodyTimeoutMs?: number;
  /**
   * How long an HTTP response (a static file, an answer) may wait on a client that reads none of it;
   * then the connection is cut and its file closed. @default 30000
   */
  responseIdleTimeoutMs?: number;
  /** Protocol ping interval; a peer silent for two intervals is terminated. @default 15000 */
  heartbeatIntervalMs?: number;
  /** How long a new socket may take to say which endpoint it joins. @default 5000 */
  handshakeTimeoutMs?: number;
  /**
   * Ask the jobs that would form the next batches for their data while they still wait (at most one
   * full batch per slot), so a freed slot starts at once. `false`: a job is asked only when picked
   * (Gradio 3). @default true
   */
  prefetchData?: boolean;
  /** How long a job may take to send its data once asked (`send_data`). @default 60000 */
  dataTimeoutMs?: number;
  /**
   * How long a job may take to send its data once it has its slot (asked earlier or then); a silent one
   * loses the slot and fails, so sockets that never answer cannot hold the slots. @default 10000
   */
  pickedDataTimeoutMs?: number;
  /**
   * How long a job asked for its data may stay silent before it loses its turn (not its place): the
   * jobs behind it are asked, and it is not picked until its data is in. A client that has its data
   * answers in one round trip; a longer upload is served as soon as it is in and a slot frees.
   * @default 100
   */
  prefetchGraceMs?: number;
  /**
   * Most jobs one client address (IPv6: its /64) or one session may have waiting (not started) at once;
   * a join past it gets `queue_full` with a `reason` and a `retry_after` (HTTP 503). `'auto'`: half of
   * `maxSize`, at least 1, and no cap when `maxSize` is null. Behind a reverse proxy every client has
   * the proxy's address: set `null` and limit at the proxy. @default 'auto'
   */
  maxWaitingPerClient?: number | null | 'auto';
  /** How long `close()` lets running jobs finish before failing them. @default 10000 */
  closeGraceMs?: number;
  /** A folder of static files served at `/` (the built playground). @default null */
  staticDir?: string | null;
  /**
   * The `Content-Security-Policy` sent with every static file (a Web Worker takes its policy from its
   * script's answer). The default fits the playground: own-origin scripts, workers (also `blob:`),
   * WebAssembly, fetches and sockets; no framing. Set your own for another app, `null` for none.
   * API answers always get `default-src 'none'; frame-ancestors 'none'`.
   * @default DEFAULT_CONTENT_SECURITY_POLICY
   */
  contentSecurityPolicy?: string | null;
  /** Shown as the app's title in `/config`. @default 'crowdserve' */
  title?: string;
  /** Which dialects to serve. @default { gradio3: true, sseV3: true } */
  dialects?: Dialects;
  /**
   * Share one queue with other server processes on Redis (global FIFO, global `maxSize`, ETAs over every
   * process's slots; `concurrencyCount` stays per process). Needs the `ioredis` package. `null`: this
   * process's queue is its own. @default null
   */
  redis?: RedisOptions | null;
  /** The endpoints; their order gives `fn_index`, their keys `api_name`. */
  endpoints: Record<string, EndpointDefinition>;
}

export type ResolvedServeOptions = Required<Omit<ServeOptions, 'endpoints' | 'dialects' | 'redis'>> &
  Pick<ServeOptions, 'endpoints'> & { dialects: Required<Dialects>; redis: ResolvedRedisOptions | null };

/** @default 4 MiB: see `maxPayloadBytes`. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** Node keeps `requestTimeout` ≥ `headersTimeout`; the server's `requestTimeout` is this. */
export const MAX_HEADERS_TIMEOUT_MS = 300_000;

export const DEFAULT_SERVE_OPTIONS = {
  ...DEFAULT_QUEUE_OPTIONS,
  port: 7860,
  host: '127.0.0.1',
  apiOpen: true,
  allowedOrigins: null,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxConnectionsPerIp: 64,
  headersTimeoutMs: 10_000,
  maxBodyBytesPerIp: 64 * 1024 * 1024,
  maxBodyBytesTotal: 256 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
  responseIdleTimeoutMs: 30_000,
  heartbeatIntervalMs: 15_000,
  prefetchData: true,
  pickedDataTimeoutMs: DEFAULT_PICKED_DATA_TIMEOUT_MS,
  prefetchGraceMs: ENGINE_DEFAULTS.prefetchGraceMs,
  maxWaitingPerClient: 'auto',
  ...DEFAULT_SEND_LIMITS,
  staticDir: null,
  contentSecurityPolicy: DEFAULT_CONTENT_SECURITY_POLICY,
  title: 'crowdserve',
  dialects: DEFAULT_DIALECTS,
  redis: null,
} as const satisfies Required<Omit<ServeOptions, 'endpoints'>>;

/** Every option `serve()` takes; any other key is an {@link UnknownOptionError}. */
const SERVE_OPTION_NAMES: readonly string[] = [...Object.keys(DEFAULT_SERVE_OPTIONS), 'endpoints'];

/** Fills defaults and checks every option once, with a message that says what was expected. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ServerOptionTypeError('serve(options)', 'an object', options);
  }
  rejectUnknownOptions('serve(options)', options, SERVE_OPTION_NAMES);
  const o = { ...DEFAULT_SERVE_OPTIONS, ...dropUndefined(options) } as ResolvedServeOptions;
  checkInt('port', o.port, 0, 65535);
  if (typeof o.host !== 'string' || o.host === '') throw new ServerOptionTypeError('host', 'a host name', o.host);
  if (typeof o.apiOpen !== 'boolean') throw new ServerOptionTypeError('apiOpen', 'a boolean', o.apiOpen);
  if (typeof o.prefetchData !== 'boolean') {
    throw new ServerOptionTypeError('prefetchData', 'a boolean', o.prefetchData);
  }
  checkQueueOptions(o);
  if (o.allowedOrigins !== null) checkAllowedOrigins(o.allowedOrigins);
  checkInt('maxPayloadBytes', o.maxPayloadBytes, 1024);
  if (o.maxConnectionsPerIp !== null) checkInt('maxConnectionsPerIp', o.maxConnectionsPerIp, 1);
  checkInt('headersTimeoutMs', o.headersTimeoutMs, 1, MAX_HEADERS_TIMEOUT_MS);
  checkInt('maxBodyBytesPerIp', o.maxBodyBytesPerIp, 1024);
  checkInt('maxBodyBytesTotal', o.maxBodyBytesTotal, 1024);
  checkInt('bodyTimeoutMs', o.bodyTimeoutMs, 1);
  checkInt('responseIdleTimeoutMs', o.responseIdleTimeoutMs, 1);
  checkInt('heartbeatIntervalMs', o.heartbeatIntervalMs, 10);
  checkInt('pickedDataTimeoutMs', o.pickedDataTimeoutMs, 1);
  checkInt('prefetchGraceMs', o.prefetchGraceMs, 1);
  if (o.maxWaitingPerClient !== null && o.maxWaitingPerClient !== 'auto') {
    if (typeof o.maxWaitingPerClient !== 'number')
      throw new ServerOptionTypeError('maxWaitingPerClient', "an integer ≥ 1, 'auto' or null", o.maxWaitingPerClient);
    checkInt('maxWaitingPerClient', o.maxWaitingPerClient, 1);
  }
  resolveSendLimits(o);
  if (
    o.contentSecurityPolicy !== null &&
    (typeof o.contentSecurityPolicy !== 'string' || o.contentSecurityPolicy === '')
  ) {
    throw new ServerOptionTypeError('contentSecurityPolicy', 'a policy string or null', o.contentSecurityPolicy);
  }
  if (o.staticDir !== null && typeof o.staticDir !== 'string') {
    throw new ServerOptionTypeError('staticDir', 'a folder path or null', o.staticDir);
  }
  o.dialects = resolveDialects(options.dialects);
  o.redis = resolveRedisOptions(options.redis ?? null);
  return o;
}

/** Each origin must be exactly an origin (scheme, host, port), as the `Origin` header it is compared with. */
function checkAllowedOrigins(allowedOrigins: unknown): void {
  if (!Array.isArray(allowedOrigins)) {
    throw new ServerOptionTypeError('allowedOrigins', 'an array of origins or null', allowedOrigins);
  }
  for (const origin of allowedOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ServerOptionRangeError(
        'allowedOrigins',
        "origins like 'https://my.app' (scheme, host, port; no path)",
        origin,
      );
    }
  }
}

function resolveDialects(dialects: Dialects | undefined): Required<Dialects> {
  if (dialects === undefined) return { ...DEFAULT_DIALECTS };
  if (typeof dialects !== 'object' || dialects === null || Array.isArray(dialects)) {
    throw new ServerOptionTypeError('dialects', 'an object like { gradio3: true, sseV3: true }', dialects);
  }
  rejectUnknownOptions('dialects', dialects, Object.keys(DEFAULT_DIALECTS));
  const resolved = { ...DEFAULT_DIALECTS, ...dropUndefined(dialects) };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'boolean') throw new ServerOptionTypeError(`dialects.${key}`, 'a boolean', value);
  }
  if (!resolved.gradio3 && !resolved.sseV3) {
    throw new ServerOptionRangeError('dialects', 'at least one of gradio3, sseV3 to be true', { said: 'both false' });
  }
  return resolved;
}
