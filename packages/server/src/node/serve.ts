import { createServer, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { buildConfig, buildInfo } from '../core/app-config.js';
import { defaultMaxWaitingPerClient } from '../core/client-share.js';
import { resolveEndpoints } from '../core/endpoints.js';
import { rejectMessage } from '../core/gradio3.js';
import { SSE_API_PREFIX } from '../core/gradio-sse.js';
import { QueueHost } from '../core/queue-host.js';
import { disposeEndpoints, setUpEndpoints } from '../core/setup-endpoints.js';
import type { EndpointReport } from '../endpoint.js';
import { addressKey, ConnectionLimiter, limitConnections } from './connection-limits.js';
import { corkForTick } from './cork.js';
import { Heartbeat } from './heartbeat.js';
import { createHttpHandler } from './http-api.js';
import { handleJoinSocket } from './join-socket.js';
import { Metrics } from './metrics.js';
import { BodyBudget } from './read-body.js';
import { MAX_HEADERS_TIMEOUT_MS, resolveServeOptions, type ServeOptions } from './options.js';
import { isOriginAllowed } from './origin.js';
import { requestPath } from './request-path.js';
import { resolveSendLimits } from './send-limits.js';
import { SseSessions } from './sse-sessions.js';
import { limitMessages, MAX_FRAGMENTS_PER_MESSAGE, MAX_MESSAGES_PER_SOCKET } from './socket-guards.js';
import { StatusWriter } from './status-writer.js';

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
  /**
   * Sizes of every internal structure, the queue's and the transport's (open sockets, heartbeat
   * bookkeeping, per-address counts, HTTP connections): all 0 when no one is connected and nothing runs.
   */
  internalSizes(): Record<string, number>;
}

const QUEUE_PATH = '/queue/join';

/** After `close()` sends 1001, how long peers get to answer the close frame before they are cut. */
export const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Starts a Gradio-3-compatible queue server: HTTP routes and the `/queue/join` WebSocket.
 * Resolves once every endpoint is set up and the port is listening.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const o = resolveServeOptions(options);
  const endpoints = resolveEndpoints(o.endpoints);
  const reports = await setUpEndpoints(endpoints, o.concurrencyCount);

  const writer = new StatusWriter(resolveSendLimits(o));
  const metrics = new Metrics(() => wss.clients.size, writer.counts);
  const host = new QueueHost({
    endpoints,
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    statusUpdateRate: o.statusUpdateRate,
    dataTimeoutMs: o.dataTimeoutMs,
    pickedDataTimeoutMs: o.pickedDataTimeoutMs,
    maxWaitingPerClient:
      o.maxWaitingPerClient === 'auto' ? defaultMaxWaitingPerClient(o.maxSize) : o.maxWaitingPerClient,
    prefetchData: o.prefetchData,
    onBatchEnd: ({ fnIndex, seconds }) => metrics.recordBatch(endpoints[fnIndex]?.apiName ?? String(fnIndex), seconds),
  });
  const config = buildConfig(endpoints, {
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    apiOpen: o.apiOpen,
    title: o.title,
    reports,
    ...(o.dialects.sseV3 ? { apiPrefix: SSE_API_PREFIX } : {}),
    websocketQueue: o.dialects.gradio3,
  });
  const sessions = o.dialects.sseV3
    ? new SseSessions({
        limits: writer.limits,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        streamTimeoutMs: o.handshakeTimeoutMs,
        leave: (jobId) => host.leave(jobId),
      })
    : undefined;
  const info = buildInfo(endpoints);
  let closing: Promise<void> | undefined;
  // Set before the queue's shutdown runs, so the answers it triggers already know.
  let shuttingDown = false;

  const limiter = new ConnectionLimiter(o.maxConnectionsPerIp);
  const bodies = new BodyBudget(o.maxBodyBytesPerIp, o.maxBodyBytesTotal);
  const http = createServer(
    {
      // A request (a WebSocket upgrade included) whose headers drip in is cut with 408.
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: MAX_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(o.headersTimeoutMs / 4))),
    },
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
  const connections = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxPayloadBytes,
    maxFragments: MAX_FRAGMENTS_PER_MESSAGE,
    perMessageDeflate: false,
  });
  const heartbeat = new Heartbeat(o.heartbeatIntervalMs);

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = requestPath(request.url);
    if (path === null) return refuse(socket, 400, 'expected a request target like /queue/join');
    if (path !== QUEUE_PATH || !o.dialects.gradio3) return refuse(socket, 404, 'no WebSocket here');
    if (!isOriginAllowed(request, o.allowedOrigins)) {
      metrics.recordRefusal('origin');
      return refuse(socket, 403, 'origin not allowed');
    }
    // Its TCP connection already holds its place under maxConnectionsPerIp (limitConnections).
    // The 101 answer and `send_hash` leave together.
    corkForTick(socket);
    wss.handleUpgrade(request, socket, head, (ws) => {
      heartbeat.watch(ws);
      limitMessages(ws, MAX_MESSAGES_PER_SOCKET);
      const clientKey = `ip:${addressKey(request.socket.remoteAddress ?? '')}`;
      handleJoinSocket(ws, socket, host, { handshakeTimeoutMs: o.handshakeTimeoutMs, clientKey, writer });
    });
  };
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's server stops listening for this socket's errors once it is handed over: a peer that resets
    // it while we answer would raise an uncaught ECONNRESET, the whole process. So would a throw here.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(request, socket, head);
    } catch {
      socket.destroy();
    }
  });

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
    shuttingDown = true;
    await host.shutdown(o.closeGraceMs);
    sessions?.closeAll();
    heartbeat.stop();
    // Every job has had its terminal message; sockets still open never joined. Tell them as a refused join.
    const goodbye = JSON.stringify(
      rejectMessage('shutting_down', { queueSize: 0, maxSize: o.maxSize, retryAfter: 1, fnIndex: -1 }),
    );
    for (const ws of wss.clients) {
      if (ws.readyState === ws.OPEN) ws.send(goodbye);
      ws.close(1001, 'server closing');
    }
    const allClosed = new Promise<void>((resolve) => wss.close(() => resolve()));
    let handshake: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      allClosed,
      new Promise<void>((resolve) => (handshake = setTimeout(resolve, CLOSE_HANDSHAKE_MS))),
    ]);
    clearTimeout(handshake);
    // A peer that does not answer the close frame is not waited for (ws would wait 30 s).
    for (const ws of wss.clients) ws.terminate();
    await allClosed;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
      for (const socket of connections) socket.destroy();
    });
    // Destroyed sockets say 'close' a turn later; a socket still in the set has not said it yet.
    await Promise.all([...connections].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
    await disposeEndpoints(endpoints);
  };

  return {
    url: `http://${hostName}:${port}`,
    port,
    queue: host,
    reports,
    close: () => (closing ??= close()),
    internalSizes: () => ({
      ...host.internalSizes(),
      wsClients: wss.clients.size,
      statusBacklog: writer.backlog,
      heartbeatSockets: heartbeat.size,
      ...limiter.sizes(),
      ...bodies.sizes(),
      httpConnections: connections.size,
      ...sessions?.sizes(),
    }),
  };
}

/** Answers a refused upgrade with a status and a one-line reason, then lets the socket go. */
function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  // Not waiting for the peer's FIN: a client that never closes must not hold the socket.
  socket.once('finish', () => socket.destroy());
}
