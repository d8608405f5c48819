import type { QueueHost } from '../../core/queue-host.js';
import { RedisLine } from './redis-line.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { SharedHost, type LineListener, type SharedHostHooks } from './shared-host.js';

export interface OpenSharedHostOptions {
  redis: ResolvedRedisOptions;
  concurrencyCount: number;
  maxSize: number | null;
  makeHost: (hooks: SharedHostHooks) => QueueHost;
  log?: (message: string) => void;
}

/**
 * Connects to Redis and joins the shared queue named by `redis.key` (`RedisLine.open` loads ioredis, an
 * optional peer dependency: a server without `redis` never needs it).
 */
export async function openSharedHost(options: OpenSharedHostOptions): Promise<SharedHost> {
  // The line speaks before the host exists (its first resync, the live set): those calls wait for it.
  const ready: { host?: SharedHost } = {};
  const early: ((listener: LineListener) => void)[] = [];
  const deliver = (call: (listener: LineListener) => void): void => {
    if (ready.host === undefined) early.push(call);
    else call(ready.host.listener);
  };
  const listener: LineListener = {
    event: (event) => deliver((l) => l.event(event)),
    relay: (from, body) => deliver((l) => l.relay(from, body)),
  };
  const { url, key, leaseMs } = options.redis;
  const line = await RedisLine.open({ url, key, leaseMs, slots: options.concurrencyCount }, listener);
  const shared = new SharedHost({
    line,
    makeHost: options.makeHost,
    maxSize: options.maxSize,
    slots: options.concurrencyCount,
    leaseMs: leaseMs,
    ...(options.log ? { log: options.log } : {}),
  });
  ready.host = shared;
  for (const replay of early.splice(0)) replay(shared.listener);
  return shared;
}
