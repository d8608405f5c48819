import type { QueueHost } from '../../core/queue-host.js';
import { RedisClientMissingError } from '../../errors.js';
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
 * Connects to Redis and joins the shared queue named by `redis.key`. ioredis is loaded here, and only
 * here: a server without `redis` never needs it (it is an optional peer dependency).
 */
export async function openSharedHost(options: OpenSharedHostOptions): Promise<SharedHost> {
  const { RedisLine } = await import('./redis-line.js').catch((error: unknown) => {
    if (isMissing(error, 'ioredis')) throw new RedisClientMissingError();
    throw error;
  });
  // The line may speak before the host exists (its first resync): those calls wait for it.
  let shared: SharedHost | undefined;
  const early: ((listener: LineListener) => void)[] = [];
  const listener: LineListener = {
    event: (event) => (shared ? shared.listener.event(event) : early.push((l) => l.event(event))),
    relay: (from, body) => (shared ? shared.listener.relay(from, body) : early.push((l) => l.relay(from, body))),
  };
  const { url, key, leaseMs } = options.redis;
  const line = await RedisLine.open({ url, key, leaseMs, slots: options.concurrencyCount }, listener);
  shared = new SharedHost({
    line,
    makeHost: options.makeHost,
    maxSize: options.maxSize,
    ...(options.log ? { log: options.log } : {}),
  });
  for (const replay of early.splice(0)) replay(shared.listener);
  return shared;
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`);
}
