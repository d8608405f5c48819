import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { buildConfig, buildInfo } from '../core/app-config.js';
import { resolveEndpoints } from '../core/endpoints.js';
import { QueueHost } from '../core/queue-host.js';
import { disposeEndpoints, setUpEndpoints } from '../core/setup-endpoints.js';
import type { EndpointReport } from '../endpoint.js';
import { createHttpHandler } from './http-api.js';
import { handleJoinSocket } from './join-socket.js';
import { Metrics } from './metrics.js';
import { resolveServeOptions, type ServeOptions } from './options.js';
import { isOriginAllowed } from './origin.js';

export interface Server {
  /** `http://host:port`, with the real port when `port` was 0. */
  readonly url: string;
  readonly port: number;
  /** The queue behind the server: stats and internal sizes, for dashboards and tests. */
  readonly queue: QueueHost;
  /** What each endpoint reported at setup (e.g. `executionProvider`), by `api_name`. */
  readonly reports: Readonly<Record<string, EndpointReport>>;
  /**
   * Graceful close: refuse new joins, tell waiting jobs, let running ones finish (up to
   * `closeGraceMs`), close sockets with 1001, dispose endpoints. Safe to call twice.
   */
  close(): Promise<void>;
}

const QUEUE_PATH = '/queue/join';

/**
 * Starts a Gradio-3-compatible queue server: HTTP routes and the `/queue/join` WebSocket.
 * Resolves once every endpoint is set up and the port is listening.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const o = resolveServeOptions(options);
  const endpoints = resolveEndpoints(o.endpoints);
  const reports = await setUpEndpoints(endpoints, o.concurrencyCount);

  const metrics = new Metrics();
  const host = new QueueHost({
    endpoints,
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    statusUpdateRate: o.statusUpdateRate,
    dataTimeoutMs: o.dataTimeoutMs,
    onBatchEnd: ({ fnIndex, seconds }) => metrics.recordBatch(endpoints[fnIndex]?.apiName ?? String(fnIndex), seconds),
  });
  const config = buildConfig(endpoints, {
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    apiOpen: o.apiOpen,
    title: o.title,
    reports,
  });
  const info = buildInfo(endpoints);
  let closing: Promise<void> | undefined;

  const http = createServer(
    createHttpHandler({
      options: o,
      host,
      metrics,
      config: () => config,
      info: () => info,
      isClosing: () => closing !== undefined,
    }),
  );
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayloadBytes, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== QUEUE_PATH) return refuse(404, 'Not Found');
    if (!isOriginAllowed(request, o.allowedOrigins)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(request, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      handleJoinSocket(ws, host, { handshakeTimeoutMs: o.handshakeTimeoutMs });
    });
  });

  // A peer that missed a whole interval of pings is gone: terminate it; its close removes its job.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, o.heartbeatIntervalMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostName = o.host.includes(':') ? `[${o.host}]` : o.host;

  const close = async (): Promise<void> => {
    await host.shutdown(o.closeGraceMs);
    clearInterval(heartbeat);
    for (const ws of wss.clients) ws.close(1001, 'server closing');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await disposeEndpoints(endpoints);
  };

  return {
    url: `http://${hostName}:${port}`,
    port,
    queue: host,
    reports,
    close: () => (closing ??= close()),
  };
}
