import { dropUndefined } from '@crowdserve/protocol';
import { rejectUnknownOptions, ServerOptionRangeError, ServerOptionTypeError } from '../../errors.js';
import { DEFAULT_LEASE_MS, MIN_LEASE_MS } from './line-options.js';

/** Several server processes, on one machine or many, serving one queue on Redis (DESIGN §2 "Shared line"). */
export interface RedisOptions {
  /** The Redis to share the queue on: `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Names the shared queue: processes with the same `url` and `key` share one line. @default 'crowdserve' */
  key?: string;
  /**
   * How long a process that stops answering (killed, cut off) keeps its place: after it, the others take
   * its waiting jobs out of the line and fail the jobs it was running. @default DEFAULT_LEASE_MS (5000)
   */
  leaseMs?: number;
}

export type ResolvedRedisOptions = Required<RedisOptions>;

/** @default 'crowdserve' */
export const DEFAULT_REDIS_KEY = 'crowdserve';

const REDIS_OPTION_NAMES = ['url', 'key', 'leaseMs'];
const KEY = /^[\w.:-]{1,64}$/;

/** Checks `serve({ redis })` once; `null`: this process keeps its queue to itself. */
export function resolveRedisOptions(redis: RedisOptions | null): ResolvedRedisOptions | null {
  if (redis === null) return null;
  if (typeof redis !== 'object' || Array.isArray(redis)) {
    throw new ServerOptionTypeError('redis', "an object like { url: 'redis://127.0.0.1:6379' } or null", redis);
  }
  rejectUnknownOptions('redis', redis, REDIS_OPTION_NAMES);
  const o = { key: DEFAULT_REDIS_KEY, leaseMs: DEFAULT_LEASE_MS, ...dropUndefined(redis) };
  if (typeof o.url !== 'string' || !/^rediss?:\/\//.test(o.url)) {
    throw new ServerOptionTypeError('redis.url', 'a redis:// or rediss:// URL', o.url);
  }
  if (typeof o.key !== 'string' || !KEY.test(o.key)) {
    throw new ServerOptionTypeError('redis.key', '1–64 letters, digits or . : _ -', o.key);
  }
  if (typeof o.leaseMs !== 'number' || !Number.isInteger(o.leaseMs) || o.leaseMs < MIN_LEASE_MS) {
    throw new ServerOptionRangeError('redis.leaseMs', `an integer ≥ ${MIN_LEASE_MS} (milliseconds)`, o.leaseMs);
  }
  return { url: o.url, key: o.key, leaseMs: o.leaseMs };
}
