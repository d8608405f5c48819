import { isIPv6, type Server as NetServer, type Socket } from 'node:net';

/** What a refused client is told to wait before trying again, in seconds. */
export const TOO_MANY_CONNECTIONS_RETRY_AFTER_S = 1;

export function tooManyConnectionsReason(limit: number): string {
  return `too many connections from your address (limit ${limit})`;
}

/**
 * Counts what each client address holds open (every TCP connection: plain HTTP, predict requests, queue sockets) against
 * `maxConnectionsPerIp`, so one client cannot take every socket and queue place. An IPv6 client
 * usually owns a whole /64 and can change address at will: it counts by that network.
 */
export class ConnectionLimiter {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(readonly limit: number | null) {}

  /** Takes a place for `address`: its release (safe to call twice), or `null` at the limit. */
  acquire(address: string | undefined): (() => void) | null {
    if (this.limit === null) return () => {};
    const key = addressKey(address ?? '');
    const count = this.held.get(key) ?? 0;
    if (count >= this.limit) return null;
    this.held.set(key, count + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left === 0) this.held.delete(key);
      else this.held.set(key, left);
    };
  }

  /** Places held, and addresses holding them: both 0 when no one is connected. */
  sizes(): { connections: number; connectionAddresses: number } {
    return { connections: this.total, connectionAddresses: this.held.size };
  }
}

/** The address a client is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Counts every TCP connection `server` accepts against `limiter`, from accept to close. A WebSocket is
 * its HTTP connection upgraded, so it counts once. One past the limit is answered 429 before any of
 * its bytes are parsed and closed at once: unfinished headers can no longer take the server's fds.
 */
export function limitConnections(server: NetServer, limiter: ConnectionLimiter, onRefused: () => void): void {
  // Node's own connection listener (the HTTP parser) runs first; the request's bytes arrive no sooner
  // than the next poll, after the answer below is written and the socket destroyed.
  server.on('connection', (socket: Socket) => {
    const release = limiter.acquire(socket.remoteAddress);
    if (release !== null) {
      socket.once('close', release);
      return;
    }
    onRefused();
    refuseConnection(socket, limiter.limit ?? 0);
  });
}

function refuseConnection(socket: Socket, limit: number): void {
  const body = JSON.stringify({ detail: tooManyConnectionsReason(limit) });
  socket.end(
    'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nRetry-After: ${TOO_MANY_CONNECTIONS_RETRY_AFTER_S}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}
