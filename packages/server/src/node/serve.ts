import { createServer, type Server as HttpServer, type ServerOptions } from 'node:http';
import type { QueueStats } from '@crowdserve/queue';
import { buildConfig, buildInfo, type ConfigSettings } from '../core/app-config.js';
import { resolveEndpoints } from '../core/endpoints.js';
import { SSE_API_PREFIX } from '../core/gradio-sse.js';
import type { JobHost } from '../core/job-host.js';
import { setUpEndpoints } from '../core/setup-endpoints.js';
import type { EndpointReport } from '../endpoint.js';
import { ConnectionLimiter, limitConnections } from './connection-limits.js';
import { closeGracefully, trackConnections } from './graceful-close.js';
import { createHttpHandler } from './http-api.js';
import { listen } from './listen.js';
import { Metrics } from './metrics.js';
import { openHost } from './open-host.js';
import {
  MAX_HEADERS_TIMEOUT_MS,
  resolveServeOptions,
  type ResolvedServeOptions,
  type ServeOptions,
} from './options.js';
import { QueueSockets } from './queue-socket.js';
import { BodyBudget } from './read-body.js';
import { resolveSendLimits } from './send-limits.js';
import { SseSessions } from './sse-sessions.js';
import { StatusWriter } from './status-writer.js';

export { CLOSE_HANDSHAKE_MS } from './queue-socket.js';

export interface Server {
  /** `http://host:port`, with the real port when `port` was 0. */
  readonly url: string;
  readonly port: number;
  /** What each endpoint reported at setup (e.g. `executionProvider`), by `api_name`. */
  readonly reports: Readonly<Record<string, EndpointReport>>;
  /** The queue's counters and gauges (waiting, running, completed, …), for dashboards and tests. */
  stats(): QueueStats;
  /**
   * Graceful close: refuse new joins, tell waiting jobs, let running ones finish (up to
   * `closeGraceMs`), close sockets with 1001, dispose endpoints. Safe to call twice.
   */
  close(): Promise<void>;
  /**
   * Sizes of every internal structure, the queue's and the transport's (open sockets, heartbeat
   * bookkeeping, per-address counts, HTTP connections): all 0 when no one is connected and nothing runs.
   */
  internalSizes(): Record<string, number>;
}

/**
 * Starts a Gradio-compatible queue server: the HTTP routes, the 3.x `/queue/join` WebSocket and the
 * `sse_v3` routes (DESIGN.md §3, §3b). Resolves once every endpoint is set up and the port is listening.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const o = resolveServeOptions(options);
  const endpoints = resolveEndpoints(o.endpoints);
  const reports = await setUpEndpoints(endpoints, o.concurrencyCount);

  const writer = new StatusWriter(resolveSendLimits(o));
  const metrics: Metrics = new Metrics((): number => sockets.size, writer.counts);
  const host = await openHost(o, endpoints, metrics);
  const config = buildConfig(endpoints, configSettings(o, reports));
  const info = buildInfo(endpoints);
  const sessions = o.dialects.sseV3 ? sseSessions(o, writer, host) : undefined;
  const sockets = new QueueSockets({ options: o, host, writer, metrics });
  // Set before the queue's shutdown runs, so the answers it triggers already know.
  let shuttingDown = false;

  const limiter = new ConnectionLimiter(o.maxConnectionsPerIp);
  const bodies = new BodyBudget(o.maxBodyBytesPerIp, o.maxBodyBytesTotal);
  const http = createServer(
    httpTimeouts(o),
    createHttpHandler({
      options: o,
      host,
      metrics,
      bodies,
      config: () => config,
      info: () => info,
      isClosing: () => shuttingDown,
      ...(sessions === undefined ? {} : { sessions }),
    }),
  );
  limitConnections(http, limiter, () => metrics.recordRefusal('connections_per_ip'));
  const connections = trackConnections(http);
  http.on('upgrade', sockets.upgrade);
  const { port, url } = await listenOrLeave(http, o, host);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    shuttingDown = true;
    return closeGracefully({ host, sockets, sessions, http, connections, endpoints, closeGraceMs: o.closeGraceMs });
  };

  return {
    url,
    port,
    reports,
    stats: () => host.stats(),
    close: () => (closing ??= close()),
    internalSizes: () => ({
      ...host.internalSizes(),
      ...sockets.sizes(),
      statusBacklog: writer.backlog,
      ...limiter.sizes(),
      ...bodies.sizes(),
      httpConnections: connections.size,
      ...sessions?.sizes(),
    }),
  };
}

/** The `sse_v3` dialect's sessions: their streams write through the same limits as the queue sockets. */
function sseSessions(o: ResolvedServeOptions, writer: StatusWriter, host: JobHost): SseSessions {
  return new SseSessions({
    limits: writer.limits,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    streamTimeoutMs: o.handshakeTimeoutMs,
    leave: (jobId) => host.leave(jobId),
  });
}

/** Listens on `o.port`; if it cannot, the queue is shut down before the error goes on. */
function listenOrLeave(http: HttpServer, o: ResolvedServeOptions, host: JobHost) {
  return listen(http, o.port, o.host).catch(async (error: unknown) => {
    // Not listening: nothing joined; a shared queue's process leaves Redis's live set at once.
    await host.shutdown(0);
    throw error;
  });
}

/** What `/config` shows of the options: the queue's settings and which dialects are served. */
function configSettings(o: ResolvedServeOptions, reports: Record<string, EndpointReport>): ConfigSettings {
  return {
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    apiOpen: o.apiOpen,
    title: o.title,
    reports,
    ...(o.dialects.sseV3 ? { apiPrefix: SSE_API_PREFIX } : {}),
    websocketQueue: o.dialects.gradio3,
  };
}

/** The HTTP server's own limits: a request (a WebSocket upgrade included) whose headers drip in is cut with 408. */
function httpTimeouts(o: ResolvedServeOptions): ServerOptions {
  return {
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: MAX_HEADERS_TIMEOUT_MS,
    connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(o.headersTimeoutMs / 4))),
  };
}
