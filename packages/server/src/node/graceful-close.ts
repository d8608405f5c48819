import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { ResolvedEndpoint } from '../core/endpoints.js';
import type { JobHost } from '../core/job-host.js';
import { disposeEndpoints } from '../core/setup-endpoints.js';
import type { QueueSockets } from './queue-socket.js';
import type { SseSessions } from './sse-sessions.js';

/** Every open TCP connection of `http`, so a close can end them and wait until each has said `close`. */
export function trackConnections(http: HttpServer): Set<Socket> {
  const connections = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  return connections;
}

export interface ClosingServer {
  host: JobHost;
  sockets: QueueSockets;
  sessions: SseSessions | undefined;
  http: HttpServer;
  connections: Set<Socket>;
  endpoints: ResolvedEndpoint[];
  closeGraceMs: number;
}

/**
 * `server.close()` (DESIGN.md §9.2): the queue refuses new joins, tells the waiting and lets running jobs
 * finish for up to `closeGraceMs`; then the `sse_v3` streams and queue sockets close, every HTTP
 * connection ends, and the endpoints are disposed.
 */
export async function closeGracefully(server: ClosingServer): Promise<void> {
  const { host, sockets, sessions, http, connections } = server;
  await host.shutdown(server.closeGraceMs);
  sessions?.closeAll();
  await sockets.close();
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
    for (const socket of connections) socket.destroy();
  });
  // Destroyed sockets say 'close' a turn later; a socket still in the set has not said it yet.
  await Promise.all([...connections].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
  await disposeEndpoints(server.endpoints);
}
