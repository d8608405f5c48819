// The two ioredis connections of a line: one for commands, one blocked in XREAD. Both fail fast while
// Redis is away (no offline queue, no resending of commands whose answer was lost: a resent join
// could run twice) and reconnect by themselves.
import type { Redis, RedisOptions } from 'ioredis';
import type { ResolvedRedisLineOptions } from './line-options.js';
import { RedisClientMissingError, SharedQueueUnavailableError } from './errors.js';

export type RedisClass = typeof Redis;

/** ioredis is an optional peer: loaded only when a shared line opens, so plain servers never need it. */
export async function loadRedisClient(): Promise<RedisClass> {
  try {
    return (await import('ioredis')).Redis;
  } catch (error) {
    throw new RedisClientMissingError(
      `a shared queue (serve({ redis })) needs the ioredis package: npm install ioredis (${describe(error)})`,
      { cause: error },
    );
  }
}

export function openConnection(
  Redis: RedisClass,
  options: ResolvedRedisLineOptions,
  name: string,
  role: 'command' | 'reader',
  blockMs: number,
): Redis {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.commandTimeoutMs,
    connectionName: `${name}:${role}`,
  };
  const redis =
    role === 'command'
      ? new Redis(options.url, { ...common, commandTimeout: options.commandTimeoutMs })
      : // A blocked read may last blockMs; past that plus the command timeout, the connection is dead.
        new Redis(options.url, {
          ...common,
          blockingTimeout: blockMs + options.commandTimeoutMs,
          blockingTimeoutGrace: options.commandTimeoutMs,
        });
  // Failures surface as rejected commands; ioredis would otherwise log every refused reconnect.
  redis.on('error', () => {});
  return redis;
}

/** Connects, or rejects with SharedQueueUnavailableError naming where (without a password). */
export async function connect(redis: Redis, url: string): Promise<void> {
  try {
    await redis.connect();
  } catch (error) {
    throw new SharedQueueUnavailableError(`could not reach Redis at ${redactedUrl(url)}: ${describe(error)}`, {
      cause: error,
    });
  }
}

export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
