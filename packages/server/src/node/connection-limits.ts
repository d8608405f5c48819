import { isIPv6 } from 'node:net';

/** What a refused client is told to wait before trying again, in seconds. */
export const TOO_MANY_CONNECTIONS_RETRY_AFTER_S = 1;

export function tooManyConnectionsReason(limit: number): string {
  return `too many connections from your address (limit ${limit})`;
}

/**
 * Counts what each client address holds open (queue sockets, predict requests in flight) against
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
