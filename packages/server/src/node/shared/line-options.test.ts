import { describe, expect, it } from 'vitest';
import { ServerOptionRangeError, ServerOptionTypeError, UnknownOptionError } from '../../errors.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  resolveRedisLineOptions,
  type RedisLineOptions,
} from './line-options.js';
import { RedisLine } from './redis-line.js';

const good: RedisLineOptions = { url: 'redis://127.0.0.1:6379', key: 'demo', slots: 2 };
const listener = { event() {}, relay() {} };

describe('resolveRedisLineOptions', () => {
  it('fills the named defaults', () => {
    expect(resolveRedisLineOptions(good)).toEqual({
      ...good,
      leaseMs: DEFAULT_LEASE_MS,
      commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
    });
    expect(resolveRedisLineOptions({ ...good, url: 'rediss://user:pw@host:6380/2', leaseMs: 100 })).toMatchObject({
      leaseMs: 100,
    });
  });

  it.each([
    [
      { url: 'http://x' },
      ServerOptionTypeError,
      `redis.url: expected a URL like 'redis://127.0.0.1:6379', got "http://x"`,
    ],
    [{ url: 6379 }, ServerOptionTypeError, "redis.url: expected a URL like 'redis://127.0.0.1:6379', got 6379"],
    [{ key: '' }, ServerOptionTypeError, `redis.key: expected a non-empty string, got ""`],
    [{ slots: 0 }, ServerOptionRangeError, 'redis.slots: expected an integer ≥ 1, got 0'],
    [{ slots: 1.5 }, ServerOptionTypeError, 'redis.slots: expected an integer ≥ 1, got 1.5'],
    [{ leaseMs: 10 }, ServerOptionRangeError, 'redis.leaseMs: expected an integer ≥ 100, got 10'],
    [{ commandTimeoutMs: '1s' }, ServerOptionTypeError, `redis.commandTimeoutMs: expected an integer ≥ 1, got "1s"`],
  ])('refuses %o with a message that says what it expected', (bad, kind, message) => {
    const call = () => resolveRedisLineOptions({ ...good, ...bad } as RedisLineOptions);
    expect(call).toThrow(kind);
    expect(call).toThrow(message);
  });

  it('refuses an unknown option, naming it', () => {
    const call = () => resolveRedisLineOptions({ ...good, lease: 10 } as RedisLineOptions);
    expect(call).toThrow(UnknownOptionError);
    expect(call).toThrow(
      /^redis: unknown option 'lease' \(expected one of url, key, slots, leaseMs, commandTimeoutMs\)$/,
    );
    expect(() => resolveRedisLineOptions(null as unknown as RedisLineOptions)).toThrow(ServerOptionTypeError);
  });

  it('makes RedisLine.open reject before it connects anywhere', async () => {
    await expect(RedisLine.open({ ...good, slots: -1 }, listener)).rejects.toBeInstanceOf(ServerOptionRangeError);
  });
});
