import type { ApiInfo, AppConfig } from '@crowdserve/protocol';
import type { QueueStats } from '@crowdserve/queue';
import { buildConfig, buildInfo } from '../core/app-config.js';
import { dropUndefined } from '@crowdserve/protocol';
import { resolveEndpoints } from '../core/endpoints.js';
import { checkQueueOptions, DEFAULT_QUEUE_OPTIONS } from '../core/option-checks.js';
import { LocalServerStateError, rejectUnknownOptions, ServerOptionTypeError } from '../errors.js';
import { startConversation } from '../core/join-conversation.js';
import { QueueHost } from '../core/queue-host.js';
import { disposeEndpoints, setUpEndpoints } from '../core/setup-endpoints.js';
import type { EndpointDefinition, EndpointReport } from '../endpoint.js';

/** Options of {@link createLocalServer}: the queue options of `serve()`, without the network ones. */
export interface LocalServerOptions {
  /** Job slots that run at once; for ONNX endpoints, the number of Web Workers. @default 1 */
  concurrencyCount?: number;
  /** Most waiting jobs; a join beyond it gets `queue_full`. `null` = unbounded. @default null */
  maxSize?: number | null;
  /** `'auto'` or seconds between estimation pushes. @default 'auto' */
  statusUpdateRate?: 'auto' | number;
  /** How long a picked job may take to send its data. @default 60000 */
  dataTimeoutMs?: number;
  /** How long a conversation may take to say which endpoint it joins. @default 5000 */
  handshakeTimeoutMs?: number;
  /** How long `close()` lets running jobs finish. @default 10000 */
  closeGraceMs?: number;
  endpoints: Record<string, EndpointDefinition>;
}

export const DEFAULT_LOCAL_SERVER_OPTIONS = {
  ...DEFAULT_QUEUE_OPTIONS,
} as const satisfies Required<Omit<LocalServerOptions, 'endpoints'>>;

const LOCAL_SERVER_OPTION_NAMES: readonly string[] = [...Object.keys(DEFAULT_LOCAL_SERVER_OPTIONS), 'endpoints'];

/** One job's in-page conversation; the same shape as the client's `Duplex`. */
export interface LocalDuplex {
  send(text: string): void;
  close(): void;
  onmessage: ((text: string) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/** An in-page queue server: `connect(local)` from `@crowdserve/client` talks to it like to a remote one. */
export interface LocalServer {
  /** Resolves when every endpoint is set up (workers started, models loaded); rejects naming the one that failed. */
  readonly ready: Promise<void>;
  /** What each endpoint reported at setup (e.g. `executionProvider`), by `api_name`; filled when ready. */
  readonly reports: Readonly<Record<string, EndpointReport>>;
  /** The queue's counters and gauges once ready (`undefined` before), for dashboards and tests. */
  stats(): QueueStats | undefined;
  /** The app config, as `GET /config` would answer; waits until ready. */
  config(): Promise<AppConfig>;
  /** The API description, as `GET /info` would answer. */
  info(): Promise<ApiInfo>;
  /** Opens one job's conversation (what `new WebSocket('…/queue/join')` is to a remote server). */
  open(): LocalDuplex;
  /** Refuses new jobs, lets running ones finish, stops the workers. */
  close(): Promise<void>;
}

/**
 * The queue engine in the page: the same semantics and the same protocol messages as `serve()`,
 * carried over in-memory conversations instead of WebSockets. Messages are delivered
 * asynchronously (a microtask later), as a socket would.
 */
export function createLocalServer(options: LocalServerOptions): LocalServer {
  if (typeof options !== 'object' || options === null) {
    throw new ServerOptionTypeError('createLocalServer(options)', 'an object', options);
  }
  rejectUnknownOptions('createLocalServer(options)', options, LOCAL_SERVER_OPTION_NAMES);
  const o = { ...DEFAULT_LOCAL_SERVER_OPTIONS, ...dropUndefined(options) } as Required<LocalServerOptions>;
  checkQueueOptions(o);
  const endpoints = resolveEndpoints(o.endpoints);
  const reports: Record<string, EndpointReport> = {};
  let host: QueueHost | undefined;
  let closing: Promise<void> | undefined;

  const ready = setUpEndpoints(endpoints, o.concurrencyCount).then((set) => {
    Object.assign(reports, set);
    host = new QueueHost({
      endpoints,
      concurrencyCount: o.concurrencyCount,
      maxSize: o.maxSize,
      statusUpdateRate: o.statusUpdateRate,
      dataTimeoutMs: o.dataTimeoutMs,
    });
  });
  // `ready` is also awaited through config(); a failure must not be an unhandled rejection here.
  ready.catch(() => {});

  const config = async (): Promise<AppConfig> => {
    await ready;
    return buildConfig(endpoints, {
      concurrencyCount: o.concurrencyCount,
      maxSize: o.maxSize,
      apiOpen: false,
      title: 'crowdserve (in-page)',
      reports,
    });
  };

  const open = (): LocalDuplex => {
    if (host === undefined)
      throw new LocalServerStateError(
        'LOCAL_SERVER_NOT_READY',
        'the local server is not ready: await local.ready (or connect(local)) first',
      );
    if (closing !== undefined) throw new LocalServerStateError('LOCAL_SERVER_CLOSED', 'the local server is closed');
    return openDuplex(host, o.handshakeTimeoutMs);
  };

  return {
    ready,
    reports,
    stats: () => host?.stats(),
    config,
    info: async () => (await ready, buildInfo(endpoints)),
    open,
    close: () =>
      (closing ??= (async () => {
        await ready.catch(() => {});
        await host?.shutdown(o.closeGraceMs);
        await disposeEndpoints(endpoints);
      })()),
  };
}

function openDuplex(host: QueueHost, handshakeTimeoutMs: number): LocalDuplex {
  let open = true;
  const duplex: LocalDuplex = {
    send: (text) => {
      if (open) queueMicrotask(() => conversation.receive(text));
    },
    close: () => {
      if (!open) return;
      open = false;
      queueMicrotask(() => conversation.closed());
    },
    onmessage: null,
    onclose: null,
  };
  const conversation = startConversation(
    {
      send: (text) => queueMicrotask(() => open && duplex.onmessage?.(text)),
      close: (code, reason) =>
        queueMicrotask(() => {
          if (!open) return;
          open = false;
          duplex.onclose?.({ code, reason });
        }),
    },
    host,
    { handshakeTimeoutMs },
  );
  return duplex;
}
