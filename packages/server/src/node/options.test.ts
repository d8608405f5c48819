import { describe, expect, it } from 'vitest';
import { ServerOptionRangeError, ServerOptionTypeError, UnknownOptionError } from '../errors.js';
import { DEFAULT_SERVE_OPTIONS, resolveServeOptions, type ServeOptions } from './options.js';

const endpoints = { '/predict': { fn: async () => ['ok'] } };

describe('resolveServeOptions', () => {
  it('fills every default, the send limits included', () => {
    expect(resolveServeOptions({ endpoints })).toEqual({ ...DEFAULT_SERVE_OPTIONS, endpoints });
    expect(DEFAULT_SERVE_OPTIONS).toMatchObject({
      statusChunkSize: 256,
      slowClientBytes: 65_536,
      maxBufferedBytes: 4_194_304,
      prefetchGraceMs: 100,
    });
  });

  it('keeps what was given and treats undefined as absent', () => {
    const o = resolveServeOptions({ endpoints, port: 0, maxSize: 5, statusChunkSize: 16, title: undefined });
    expect(o).toMatchObject({ port: 0, maxSize: 5, statusChunkSize: 16, title: 'crowdserve' });
  });

  it.each<[Partial<ServeOptions>, string]>([
    [{ port: 70_000 }, 'port: expected an integer from 0 to 65535, got 70000'],
    [{ concurrencyCount: 0 }, 'concurrencyCount: expected an integer from 1 to 1024, got 0'],
    [{ maxSize: -1 }, 'maxSize: expected an integer from 0'],
    [{ statusUpdateRate: 0 }, "statusUpdateRate: expected 'auto' or a number of seconds > 0, got 0"],
    [{ allowedOrigins: ['https://my.app/path'] }, "allowedOrigins: expected origins like 'https://my.app'"],
    [{ maxPayloadBytes: 10 }, 'maxPayloadBytes: expected an integer from 1024'],
    [{ prefetchData: 'yes' as unknown as boolean }, 'prefetchData: expected a boolean, got "yes"'],
    [{ maxBodyBytesPerIp: 10 }, 'maxBodyBytesPerIp: expected an integer from 1024'],
    [{ maxBodyBytesTotal: 1.5 }, 'maxBodyBytesTotal: expected an integer from 1024'],
    [{ bodyTimeoutMs: 0 }, 'bodyTimeoutMs: expected an integer from 1'],
    [{ responseIdleTimeoutMs: -1 }, 'responseIdleTimeoutMs: expected an integer from 1'],
    [{ pickedDataTimeoutMs: 0 }, 'pickedDataTimeoutMs: expected an integer from 1'],
    [{ prefetchGraceMs: 0.5 }, 'prefetchGraceMs: expected an integer from 1'],
    [{ maxWaitingPerClient: 0 }, 'maxWaitingPerClient: expected an integer from 1'],
    [
      { maxWaitingPerClient: 'half' as unknown as number },
      `maxWaitingPerClient: expected an integer ≥ 1, 'auto' or null, got "half"`,
    ],
    [{ contentSecurityPolicy: '' }, 'contentSecurityPolicy: expected a policy string or null, got ""'],
    [{ statusChunkSize: 0 }, 'statusChunkSize: expected an integer ≥ 1, got 0'],
    [{ slowClientBytes: 1.5 }, 'slowClientBytes: expected an integer ≥ 1, got 1.5'],
    [
      { slowClientBytes: 2048, maxBufferedBytes: 1024 },
      'slowClientBytes: expected at most maxBufferedBytes (1024), got 2048',
    ],
    [
      { dialects: 'sse' as unknown as object },
      'dialects: expected an object like { gradio3: true, sseV3: true }, got "sse"',
    ],
    [{ dialects: { sseV3: 1 as unknown as boolean } }, 'dialects.sseV3: expected a boolean, got 1'],
    [{ dialects: { gradio3: false, sseV3: false } }, 'dialects: expected at least one of gradio3, sseV3 to be true'],
  ])('refuses %o with a message that says what was expected', (bad, message) => {
    expect(() => resolveServeOptions({ endpoints, ...bad })).toThrow(message);
    expect(() => resolveServeOptions({ endpoints, ...bad })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: expect.stringMatching(/^\w+/) }),
    );
  });

  it('names the wrong option in a TypeError or RangeError with code INVALID_OPTION', () => {
    const type = catchError(() => resolveServeOptions({ endpoints, apiOpen: 'no' as unknown as boolean }));
    expect(type).toBeInstanceOf(ServerOptionTypeError);
    expect(type).toBeInstanceOf(TypeError);
    expect(type).toMatchObject({ code: 'INVALID_OPTION', option: 'apiOpen' });
    const range = catchError(() => resolveServeOptions({ endpoints, port: -1 }));
    expect(range).toBeInstanceOf(ServerOptionRangeError);
    expect(range).toBeInstanceOf(RangeError);
    expect(range).toMatchObject({ code: 'INVALID_OPTION', option: 'port' });
  });

  it('refuses an unknown option, naming it (a typo must not start a different server)', () => {
    const error = catchError(() => resolveServeOptions({ endpoints, redisUrl: 'redis://x' } as ServeOptions));
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toMatchObject({ code: 'UNKNOWN_OPTION', option: 'redisUrl' });
    expect((error as Error).message).toMatch(
      /^serve\(options\): unknown option 'redisUrl' \(expected one of .*\bport\b.*\bredis\b.*\bendpoints\)$/,
    );
    expect(() => resolveServeOptions({ endpoints, concurencyCount: 2 } as ServeOptions)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPTION', option: 'concurencyCount' }),
    );
  });

  it('checks the redis option: a URL, a key, a lease; unknown keys named', () => {
    expect(resolveServeOptions({ endpoints }).redis).toBeNull();
    expect(resolveServeOptions({ endpoints, redis: { url: 'redis://127.0.0.1:6379' } }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      key: 'crowdserve',
      leaseMs: 5000,
    });
    expect(() => resolveServeOptions({ endpoints, redis: 'redis://x' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'redis' }),
    );
    expect(() => resolveServeOptions({ endpoints, redis: { url: 'http://x' } })).toThrow(
      'redis.url: expected a redis:// or rediss:// URL, got "http://x"',
    );
    expect(() => resolveServeOptions({ endpoints, redis: { url: 'redis://x', key: 'a b' } })).toThrow(
      expect.objectContaining({ option: 'redis.key' }),
    );
    expect(() => resolveServeOptions({ endpoints, redis: { url: 'redis://x', leaseMs: 10 } })).toThrow(
      expect.objectContaining({ option: 'redis.leaseMs' }),
    );
    expect(() => resolveServeOptions({ endpoints, redis: { url: 'redis://x', db: 1 } as never })).toThrow(
      "redis: unknown option 'db' (expected one of url, key, leaseMs)",
    );
  });

  it('refuses an unknown dialect, naming it', () => {
    expect(() => resolveServeOptions({ endpoints, dialects: { sse: true } as object })).toThrow(
      "dialects: unknown option 'sse' (expected one of gradio3, sseV3)",
    );
    expect(() => resolveServeOptions({ endpoints, dialects: { sse: true } as object })).toThrow(UnknownOptionError);
  });

  it('serves both dialects unless told otherwise', () => {
    expect(resolveServeOptions({ endpoints }).dialects).toEqual({ gradio3: true, sseV3: true });
    expect(resolveServeOptions({ endpoints, dialects: { gradio3: false } }).dialects).toEqual({
      gradio3: false,
      sseV3: true,
    });
  });

  it('refuses options that are not an object', () => {
    expect(() => resolveServeOptions(null as unknown as ServeOptions)).toThrow(
      'serve(options): expected an object, got null',
    );
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
