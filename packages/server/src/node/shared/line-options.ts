import { rejectUnknownOptions, ServerOptionRangeError, ServerOptionTypeError } from '../../errors.js';

export interface RedisLineOptions {
  /** `redis://host:port` or `rediss://…` (TLS), as ioredis reads it. */
  url: string;
  /** Names the shared queue: every Redis key of it lives under the hash tag `{key}`. */
  key: string;
  /** This process's `concurrencyCount`, published in `processes` events. */
  slots: number;
  /**
   * How long a process that stops heartbeating stays in the live set; its waiting jobs leave after it.
   * It heartbeats every third of this.
   * @default DEFAULT_LEASE_MS
   */
  leaseMs?: number;
  /**
   * A command that gets no answer in this long fails with SharedQueueUnavailableError (never a hang).
   * @default DEFAULT_COMMAND_TIMEOUT_MS
   */
  commandTimeoutMs?: number;
}

/** @default 5000: a killed process's jobs leave the line within 5 s (plus a heartbeat). */
export const DEFAULT_LEASE_MS = 5000;

/** @default 2000 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Shorter leases than this would need heartbeats faster than Redis round trips on a busy host. */
export const MIN_LEASE_MS = 100;

export type ResolvedRedisLineOptions = Required<RedisLineOptions>;

const KNOWN = ['url', 'key', 'slots', 'leaseMs', 'commandTimeoutMs'] as const;

/** Checks the options once, with "expected X, got Y", and fills the defaults. */
export function resolveRedisLineOptions(options: RedisLineOptions): ResolvedRedisLineOptions {
  if (typeof options !== 'object' || options === null) throw new ServerOptionTypeError('redis', 'an object', options);
  rejectUnknownOptions('redis', options, KNOWN);
  const { url, key, slots, leaseMs = DEFAULT_LEASE_MS, commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS } = options;
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) {
    throw new ServerOptionTypeError('redis.url', "a URL like 'redis://127.0.0.1:6379'", url);
  }
  if (typeof key !== 'string' || key === '') throw new ServerOptionTypeError('redis.key', 'a non-empty string', key);
  positiveInteger('redis.slots', slots, 1);
  positiveInteger('redis.leaseMs', leaseMs, MIN_LEASE_MS);
  positiveInteger('redis.commandTimeoutMs', commandTimeoutMs, 1);
  return { url, key, slots, leaseMs, commandTimeoutMs };
}

function positiveInteger(option: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ServerOptionTypeError(option, `an integer ≥ ${min}`, value);
  }
  if (value < min) throw new ServerOptionRangeError(option, `an integer ≥ ${min}`, value);
}
