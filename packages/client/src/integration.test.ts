// The client against the real Node server (`@crowdserve/server/node`), over loopback sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serve, type Handler, type HandlerContext, type Server, type ServeOptions } from '@crowdserve/server/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type App, type Job, type JobStatus, type QueuedStatus, type TransportOption } from './index.node.js';

/** Every test below runs on both dialects a crowdserve server serves. */
const TRANSPORTS = ['ws', 'sse_v3'] as const satisfies readonly TransportOption[];

/** A handler whose calls wait until the test releases them, and give up when their signal fires. */
function gate() {
  const calls: { data: unknown[]; signal: AbortSignal; release: (output: unknown[]) => void }[] = [];
  const fn: Handler = (data, { signal }: HandlerContext) =>
    new Promise<unknown[]>((resolve, reject) => {
      calls.push({ data, signal, release: resolve });
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  return { fn, calls };
}

let server: Server | undefined;
let app: App | undefined;
let child: ChildProcess | undefined;
const unhandled = vi.fn();

async function start(options: Omit<ServeOptions, 'port' | 'host'>, transport: TransportOption): Promise<App> {
  server = await serve({ port: 0, host: '127.0.0.1', ...options });
  app = await connect(server.url, { transport, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
  return app;
}

async function queueSize(): Promise<number> {
  const response = await fetch(`${server!.url}/queue/status`);
  return ((await response.json()) as { queue_size: number }).queue_size;
}

function record<T>(job: Job<T>): JobStatus<T>[] {
  const seen: JobStatus<T>[] = [];
  void (async () => {
    for await (const s of job) seen.push(s);
  })();
  return seen;
}

const positions = (statuses: JobStatus[]): number[] =>
  statuses.filter((s): s is QueuedStatus => s.type === 'queued').map((s) => s.position);

beforeEach(() => {
  unhandled.mockClear();
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  app?.close();
  app = undefined;
  await server?.close();
  server = undefined;
  child?.kill('SIGKILL');
  child = undefined;
  // Node reports an unhandled rejection once the microtask queue drains: give it a macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', unhandled);
  expect(unhandled).not.toHaveBeenCalled();
});

describe.each(TRANSPORTS)('connect(url) over %s', (transport) => {
  it('calls fetch without a foreign `this`, as browsers require of window.fetch', async () => {
    server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/predict': { fn: async ([x]) => [x] } } });
    // Like the browser's fetch: a receiver other than the global object is an "Illegal invocation".
    const strictFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return fetch(input, init);
    };
    app = await connect(server.url, { transport, fetch: strictFetch as typeof fetch });
    expect(await app.predict('/predict', ['ok'])).toEqual(['ok']);
  });
});

describe.each(TRANSPORTS)('client ↔ @crowdserve/server over %s', (transport) => {
  it('reports a single job in order: queued, running, done', async () => {
    const client = await start(
      { endpoints: { '/predict': { fn: async ([x]) => [String(x).toUpperCase()] } } },
      transport,
    );
    expect(client.endpoints[0]).toMatchObject({ fnIndex: 0, apiName: '/predict' });
    const job = client.submit('/predict', ['hello']);
    const statuses = record(job);
    expect(await job.result).toEqual(['HELLO']);
    await vi.waitFor(() => expect(statuses.at(-1)?.type).toBe('done'));
    expect(statuses.map((s) => s.type)).toEqual(['queued', 'running', 'done']);
    expect(statuses[0]).toMatchObject({ position: 0 });
    expect(statuses.at(-1)).toMatchObject({ type: 'done', data: ['HELLO'], duration: expect.any(Number) });
  });

  it('counts ten waiting jobs down, one place per finished job (concurrencyCount 1)', async () => {
    const { fn, calls } = gate();
    const client = await start({ concurrencyCount: 1, endpoints: { '/predict': { fn } } }, transport);
    const jobs: Job[] = [];
    const seen: JobStatus[][] = [];
    for (let i = 0; i < 10; i++) {
      const job = client.submit('/predict', [i]);
      jobs.push(job);
      seen.push(record(job));
      // Join one at a time, so the line's order is the submit order.
      await vi.waitFor(() => expect(job.status).not.toBeNull());
    }
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const last = seen[9]!;
    await vi.waitFor(() => expect(positions(last).at(-1)).toBe(8));
    for (let done = 1; done < 10; done++) {
      calls[done - 1]!.release([done - 1]);
      await vi.waitFor(() => expect(calls).toHaveLength(done + 1));
      if (done < 9) await vi.waitFor(() => expect(positions(last).at(-1)).toBe(8 - done));
    }
    calls[9]!.release([9]);
    expect(await Promise.all(jobs.map((j) => j.result))).toEqual([[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]]);
    // Every job's place only ever went down; the last one saw every place from 8 to 0.
    for (const statuses of seen) {
      const p = positions(statuses);
      expect(p).toEqual([...p].sort((a, b) => b - a));
    }
    expect([...new Set(positions(last))]).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    await vi.waitFor(() => expect(seen.map((s) => s.at(-1)?.type)).toEqual(Array(10).fill('done')));
  });

  it('gives etaAt once the server has timings', async () => {
    const { fn, calls } = gate();
    const client = await start({ concurrencyCount: 1, endpoints: { '/predict': { fn } } }, transport);
    const first = client.submit('/predict', [1]);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const second = client.submit('/predict', [2]);
    const statuses = record(second);
    await vi.waitFor(() => expect(second.status?.type).toBe('queued'));
    expect(statuses[0]).toMatchObject({ type: 'queued', eta: null, etaAt: null });
    const before = Date.now();
    calls[0]!.release(['a']);
    await first.result;
    // With one sample, the third job waiting behind the second gets a real ETA.
    const third = client.submit('/predict', [3]);
    const thirds = record(third);
    await vi.waitFor(() => expect(thirds.find((s) => s.type === 'queued' && s.eta !== null)).toBeDefined());
    const timed = thirds.find((s): s is QueuedStatus => s.type === 'queued' && s.eta !== null)!;
    expect(timed.eta).toBeGreaterThan(0);
    expect(timed.etaAt).toBeGreaterThanOrEqual(before + timed.eta! * 1000);
    expect(timed.etaAt).toBeLessThanOrEqual(Date.now() + timed.eta! * 1000);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    calls[1]!.release(['b']);
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    calls[2]!.release(['c']);
    expect(await third.result).toEqual(['c']);
  });

  it('retries queue_full and gets in after a slot frees', async () => {
    const { fn, calls } = gate();
    const client = await start(
      {
        concurrencyCount: 1,
        maxSize: 1,
        endpoints: { '/predict': { fn, expectedDurationMs: 20 } },
      },
      transport,
    );
    const running = client.submit('/predict', ['a']);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const waiting = client.submit('/predict', ['b']);
    await vi.waitFor(() => expect(waiting.status?.type).toBe('queued'));
    const late = client.submit('/predict', ['c'], { retry: { maxAttempts: 100 } });
    const statuses = record(late);
    await vi.waitFor(() => expect(late.status).toMatchObject({ type: 'retrying', reason: 'queue_full' }));
    calls[0]!.release(['A']);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    calls[1]!.release(['B']);
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    calls[2]!.release(['C']);
    expect(await Promise.all([running.result, waiting.result, late.result])).toEqual([['A'], ['B'], ['C']]);
    await vi.waitFor(() => expect(statuses.at(-1)?.type).toBe('done'));
    expect(statuses[0]).toMatchObject({ type: 'retrying', attempt: 2, reason: 'queue_full' });
    expect(statuses.map((s) => s.type)).toContain('running');
  });

  it('gives up after maxAttempts with QUEUE_FULL', async () => {
    const { fn, calls } = gate();
    const client = await start(
      {
        concurrencyCount: 1,
        maxSize: 1,
        endpoints: { '/predict': { fn, expectedDurationMs: 20 } },
      },
      transport,
    );
    client.submit('/predict', ['a']);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const waiting = client.submit('/predict', ['b']);
    await vi.waitFor(() => expect(waiting.status?.type).toBe('queued'));
    const late = client.submit('/predict', ['c'], { retry: { maxAttempts: 3 } });
    const statuses = record(late);
    const error = await late.result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', attempts: 3, queueSize: 1, maxSize: 1 });
    await vi.waitFor(() => expect(statuses.at(-1)?.type).toBe('failed'));
    expect(statuses.map((s) => s.type)).toEqual(['retrying', 'retrying', 'failed']);
  });

  it('cancels a waiting job: the server queue shrinks', async () => {
    const { fn, calls } = gate();
    const client = await start({ concurrencyCount: 1, endpoints: { '/predict': { fn } } }, transport);
    client.submit('/predict', ['a']);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const controller = new AbortController();
    const waiting = client.submit('/predict', ['b'], { signal: controller.signal });
    await vi.waitFor(() => expect(waiting.status?.type).toBe('queued'));
    expect(await queueSize()).toBe(1);
    controller.abort();
    await expect(waiting.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(async () => expect(await queueSize()).toBe(0));
    expect(calls).toHaveLength(1);
  });

  it("cancels a running job: the handler's signal fires", async () => {
    const { fn, calls } = gate();
    const client = await start({ endpoints: { '/predict': { fn } } }, transport);
    const job = client.submit('/predict', ['a']);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(calls[0]!.signal.aborted).toBe(true));
  });

  it('streams a generator: partial statuses, then done', async () => {
    const client = await start(
      {
        endpoints: {
          '/count': {
            fn: async function* ([n]) {
              for (let i = 1; i <= Number(n); i++) yield [i];
            },
          },
        },
      },
      transport,
    );
    const job = client.submit('/count', [3]);
    const statuses = record(job);
    await job.result;
    await vi.waitFor(() => expect(statuses.at(-1)?.type).toBe('done'));
    expect(statuses.filter((s) => s.type === 'partial')).toEqual([
      { type: 'partial', data: [1] },
      { type: 'partial', data: [2] },
      { type: 'partial', data: [3] },
    ]);
    expect(statuses.map((s) => s.type).slice(-1)).toEqual(['done']);
  });

  it("fails a job with the server's text when the server closes gracefully mid-job", async () => {
    const { fn } = gate();
    const client = await start({ closeGraceMs: 0, endpoints: { '/predict': { fn } } }, transport);
    const job = client.submit('/predict', ['a']);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    const closing = server!.close();
    await expect(job.result).rejects.toMatchObject({ code: 'SERVER_ERROR', message: 'the server is shutting down' });
    await closing;
  });

  it('calls a server that dies mid-job CONNECTION_LOST, never a hang', async () => {
    // A server in its own process, so it can die the hard way (no close frame, no terminal message).
    const script = `
      import { serve } from '@crowdserve/server/node';
      const s = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/predict': { fn: () => new Promise(() => {}) } } });
      console.log(s.url);
    `;
    child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [url] = await new Promise<string[]>((resolve) =>
      createInterface({ input: child!.stdout! }).once('line', (line) => resolve([line])),
    );
    app = await connect(url!, { transport });
    const job = app.submit('/predict', ['a']);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    child.kill('SIGKILL');
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
