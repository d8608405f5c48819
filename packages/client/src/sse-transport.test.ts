// The sse_v3 transport against the real Node server (`@crowdserve/server/node`), over loopback.
import { serve, type Handler, type Server, type ServeOptions } from '@crowdserve/server/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, type App, type ConnectOptions, type JobStatus } from './index.node.js';

let server: Server | undefined;
let app: App | undefined;

afterEach(async () => {
  app?.close();
  app = undefined;
  await server?.close();
  server = undefined;
});

/** A fetch that records `METHOD /path` of every request, then makes it. */
function recordingFetch() {
  const requests: string[] = [];
  const fetchFn: typeof fetch = (input, init) => {
    requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };
  return { requests, fetchFn };
}

async function start(options: Omit<ServeOptions, 'port' | 'host'>, connectOptions: ConnectOptions = {}) {
  server = await serve({ port: 0, host: '127.0.0.1', ...options });
  const { requests, fetchFn } = recordingFetch();
  app = await connect(server.url, { fetch: fetchFn, ...connectOptions });
  return { app, requests };
}

const echo: Handler = async ([x]) => [x];

describe("the dialect connect() picks from a crowdserve server's /config", () => {
  it('auto: the WebSocket where the server serves both, sse_v3 where it serves only that', async () => {
    const both = await start({ endpoints: { '/predict': { fn: echo } } });
    expect(await both.app.predict('/predict', ['ws'])).toEqual(['ws']);
    expect(both.requests).toEqual(['GET /config', 'GET /info']);
    app?.close();
    await server?.close();

    const sseOnly = await start({ dialects: { gradio3: false }, endpoints: { '/predict': { fn: echo } } });
    expect(await sseOnly.app.predict('/predict', ['sse'])).toEqual(['sse']);
    expect(sseOnly.requests).toEqual([
      'GET /config',
      'GET /gradio_api/info',
      'POST /gradio_api/queue/join',
      'GET /gradio_api/queue/data',
    ]);
  });

  it('a forced dialect the server does not serve is UNSUPPORTED_SERVER at connect()', async () => {
    server = await serve({ port: 0, host: '127.0.0.1', dialects: { sseV3: false }, endpoints: { '/p': { fn: echo } } });
    await expect(connect(server.url, { transport: 'sse_v3' })).rejects.toMatchObject({ code: 'UNSUPPORTED_SERVER' });
    await server.close();
    server = await serve({
      port: 0,
      host: '127.0.0.1',
      dialects: { gradio3: false },
      endpoints: { '/p': { fn: echo } },
    });
    await expect(connect(server.url, { transport: 'ws' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_SERVER',
      protocol: 'sse_v3',
    });
  });
});

describe('the sse_v3 transport', () => {
  it('shares one queue/data stream among many submits, and opens a new one after the server closed it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Handler = async ([x]) => {
      await released;
      return [x];
    };
    const { app, requests } = await start(
      { concurrencyCount: 4, endpoints: { '/predict': { fn: held }, '/echo': { fn: echo } } },
      { transport: 'sse_v3' },
    );
    const jobs = Array.from({ length: 20 }, (_, i) => app.submit('/predict', [i]));
    // All twenty pending at once: one session, one stream.
    await vi.waitFor(() => expect(jobs.every((j) => j.status !== null)).toBe(true));
    release();
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [i]));
    expect(requests.filter((r) => r === 'POST /gradio_api/queue/join')).toHaveLength(20);
    const streams = () => requests.filter((r) => r === 'GET /gradio_api/queue/data').length;
    expect(streams()).toBe(1);
    // Nothing pending: the server ends the session and its stream (close_stream).
    await vi.waitFor(() => expect(server!.internalSizes()).toMatchObject({ sseStreams: 0, sseSessions: 0 }));
    expect(await app.predict('/echo', ['again'])).toEqual(['again']);
    expect(streams()).toBe(2);
  });

  it('rebuilds every partial of a generator from its diffs, never changing one already handed out', async () => {
    const { app } = await start(
      {
        endpoints: {
          '/story': {
            fn: async function* () {
              yield ['Once', { words: 1, tags: ['a'] }];
              yield ['Once upon', { words: 2, tags: ['a', 'b'] }];
              yield ['Once upon a time', { words: 4, tags: ['b'] }];
              yield ['The end', { words: 2 }];
            },
          },
        },
      },
      { transport: 'sse_v3' },
    );
    const job = app.submit('/story', []);
    const partials: unknown[] = [];
    const copies: string[] = [];
    for await (const s of job as AsyncIterable<JobStatus>) {
      if (s.type !== 'partial') continue;
      partials.push(s.data);
      copies.push(JSON.stringify(s.data));
    }
    expect(partials).toEqual([
      ['Once', { words: 1, tags: ['a'] }],
      ['Once upon', { words: 2, tags: ['a', 'b'] }],
      ['Once upon a time', { words: 4, tags: ['b'] }],
      ['The end', { words: 2 }],
    ]);
    expect(partials.map((p) => JSON.stringify(p))).toEqual(copies);
    expect(await job.result).toEqual(['The end', { words: 2 }]);
  });

  it('fails a join the server refuses as bad input with its text, once, without retrying', async () => {
    const { app, requests } = await start(
      { endpoints: { '/predict': { fn: echo } } },
      { transport: 'sse_v3', sessionHash: 'short' },
    );
    await expect(app.predict('/predict', ['x'])).rejects.toMatchObject({ code: 'SERVER_ERROR', status: 422 });
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual(['POST /gradio_api/queue/join']);
  });
});
