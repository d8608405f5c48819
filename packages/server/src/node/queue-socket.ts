import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { rejectMessage } from '../core/gradio3.js';
import type { JobHost } from '../core/job-host.js';
import { addressKey } from './connection-limits.js';
import { corkForTick } from './cork.js';
import { Heartbeat } from './heartbeat.js';
import { handleJoinSocket } from './join-socket.js';
import type { Metrics } from './metrics.js';
import type { ResolvedServeOptions } from './options.js';
import { isOriginAllowed } from './origin.js';
import { requestPath } from './request-path.js';
import { limitMessages, MAX_FRAGMENTS_PER_MESSAGE, MAX_MESSAGES_PER_SOCKET } from './socket-guards.js';
import type { StatusWriter } from './status-writer.js';

const QUEUE_PATH = '/queue/join';

/** After `close()` sends 1001, how long peers get to answer the close frame before they are cut. */
export const CLOSE_HANDSHAKE_MS = 1000;

export interface QueueSocketContext {
  options: ResolvedServeOptions;
  host: JobHost;
  writer: StatusWriter;
  metrics: Metrics;
}

/**
 * The Gradio 3.x dialect's route family (DESIGN.md §3): WebSocket upgrades on `/queue/join`, each
 * socket one job's conversation. `upgrade` is the `http` server's `'upgrade'` listener.
 */
export class QueueSockets {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: Heartbeat;

  constructor(private readonly context: QueueSocketContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: context.options.maxPayloadBytes,
      maxFragments: MAX_FRAGMENTS_PER_MESSAGE,
      perMessageDeflate: false,
    });
    this.heartbeat = new Heartbeat(context.options.heartbeatIntervalMs);
  }

  /** Open queue sockets. */
  get size(): number {
    return this.wss.clients.size;
  }

  readonly upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node's server stops listening for this socket's errors once it is handed over: a peer that resets
    // it while we answer would raise an uncaught ECONNRESET, the whole process. So would a throw here.
    socket.on('error', () => socket.destroy());
    try {
      this.accept(request, socket, head);
    } catch {
      socket.destroy();
    }
  };

  private accept(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { options, host, writer, metrics } = this.context;
    const path = requestPath(request.url);
    if (path === null) return refuseUpgrade(socket, 400, 'expected a request target like /queue/join');
    if (path !== QUEUE_PATH || !options.dialects.gradio3) return refuseUpgrade(socket, 404, 'no WebSocket here');
    if (!isOriginAllowed(request, options.allowedOrigins)) {
      metrics.recordRefusal('origin');
      return refuseUpgrade(socket, 403, 'origin not allowed');
    }
    // Its TCP connection already holds its place under maxConnectionsPerIp (limitConnections).
    // The 101 answer and `send_hash` leave together.
    corkForTick(socket);
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.heartbeat.watch(ws);
      limitMessages(ws, MAX_MESSAGES_PER_SOCKET);
      const clientKey = `ip:${addressKey(request.socket.remoteAddress ?? '')}`;
      handleJoinSocket(ws, socket, host, { handshakeTimeoutMs: options.handshakeTimeoutMs, clientKey, writer });
    });
  }

  /**
   * Closes every socket with 1001 once every job has had its terminal message: sockets still open never
   * joined, and are told as a refused join first. Peers get `CLOSE_HANDSHAKE_MS` to answer (ws would wait 30 s).
   */
  async close(): Promise<void> {
    this.heartbeat.stop();
    const goodbye = JSON.stringify(
      rejectMessage('shutting_down', {
        queueSize: 0,
        maxSize: this.context.options.maxSize,
        retryAfter: 1,
        fnIndex: -1,
      }),
    );
    for (const ws of this.wss.clients) {
      if (ws.readyState === ws.OPEN) ws.send(goodbye);
      ws.close(1001, 'server closing');
    }
    const allClosed = new Promise<void>((resolve) => this.wss.close(() => resolve()));
    let handshake: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      allClosed,
      new Promise<void>((resolve) => (handshake = setTimeout(resolve, CLOSE_HANDSHAKE_MS))),
    ]);
    clearTimeout(handshake);
    for (const ws of this.wss.clients) ws.terminate();
    await allClosed;
  }

  sizes(): Record<string, number> {
    return { wsClients: this.wss.clients.size, heartbeatSockets: this.heartbeat.size };
  }
}

/** Answers a refused upgrade with a status and a one-line reason, then lets the socket go. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  // Not waiting for the peer's FIN: a client that never closes must not hold the socket.
  socket.once('finish', () => socket.destroy());
}
