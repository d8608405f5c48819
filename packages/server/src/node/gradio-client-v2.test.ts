// The official @gradio/client 2.x (what `npm install @gradio/client` gives today) against our server
// over the sse_v3 dialect: predict on a plain and a batched endpoint, submit with its status events,
// a generator streamed (sse_v3 diffs), progress, the queue-full error, cancel.
import { Client } from 'gradio-client-2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface StatusEvent {
  type: 'status';
  stage?: string;
  position?: number;
  eta?: number | null;
  message?: string;
  progress_data?: { index: number | null; length: number | null; desc: string | null }[];
}
interface DataEvent {
  type: 'data';
  data: unknown[];
}

async function start(gate: Promise<void>, maxSize: number | null = null): Promise<Server> {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    maxSize,
    closeGraceMs: 200,
    endpoints: {
      '/predict': {
        inputs: [{ label: 'text', type: 'string' }],
        outputs: [{ label: 'upper', type: 'string' }],
        expectedDurationMs: 50,
        fn: async ([text], { progress, signal }) => {
          if (text === 'block') await gate;
          if (text === 'hang') await new Promise((resolve) => signal.addEventListener('abort', resolve));
          if (text === 'progress') progress({ index: 1, length: 2, desc: 'half' });
          return [String(text).toUpperCase()];
        },
      },
      '/classify': {
        inputs: [{ label: 'text', type: 'string' }],
        outputs: [{ label: 'length', type: 'number' }],
        batch: true,
        maxBatchSize: 8,
        fn: async (requests) => requests.map(([text]) => [String(text).length]),
      },
      '/count': {
        inputs: [{ label: 'n', type: 'number' }],
        outputs: [
          { label: 'text', type: 'string' },
          { label: 'items', type: 'array' },
        ],
        fn: async function* ([n]) {
          let text = '';
          const items: number[] = [];
          for (let i = 0; i < Number(n); i++) {
            text += `${i};`;
            items.push(i);
            yield [text, [...items]];
          }
        },
      },
    },
  });
  servers.push(server);
  return server;
}

async function connect(server: Server): Promise<Client> {
  const client = await Client.connect(server.url, { events: ['status', 'data'] });
  clients.push(client);
  return client;
}

/**
 * Reads a submission's events in the background (2.x's iterator ends after the terminal status). Each
 * is copied as it comes: 2.x applies later diffs to the very arrays it handed out before.
 */
function collect(job: AsyncIterable<unknown>) {
  const events: (StatusEvent | DataEvent)[] = [];
  const done = (async () => {
    for await (const event of job) events.push(structuredClone(event) as StatusEvent | DataEvent);
  })();
  return { events, done };
}

const statuses = (events: (StatusEvent | DataEvent)[]) => events.filter((e): e is StatusEvent => e.type === 'status');
const datas = (events: (StatusEvent | DataEvent)[]) => events.filter((e): e is DataEvent => e.type === 'data');

describe('@gradio/client 2.x over sse_v3', () => {
  it('predicts on a plain endpoint', async () => {
    const server = await start(Promise.resolve());
    const app = await connect(server);
    const result = await app.predict('/predict', ['hello']);
    expect(result.data).toEqual(['HELLO']);
  });

  it('predicts on a batched endpoint, several calls at once in one batch', async () => {
    const gate = deferred();
    const server = await start(gate.promise);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await connect(server);
    const calls = ['a', 'bb', 'ccc'].map((text) => app.predict('/classify', [text]));
    await vi.waitFor(() => expect(server.stats().waiting).toBe(3));
    gate.resolve();
    const results = await Promise.all(calls);
    expect(results.map((r: { data: unknown }) => r.data)).toEqual([[1], [2], [3]]);
  });

  it('submits: pending with position and ETA, then complete with the data', async () => {
    const gate = deferred();
    const server = await start(gate.promise);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await connect(server);
    const { events, done } = collect(app.submit('/predict', ['queued']));
    await vi.waitFor(() => expect(statuses(events).some((s) => s.position === 0)).toBe(true));
    expect(statuses(events).find((s) => s.position === 0)?.eta).toBeGreaterThan(0);
    gate.resolve();
    await done;
    expect(statuses(events).at(-1)?.stage).toBe('complete');
    expect(datas(events).map((d) => d.data)).toEqual([['QUEUED']]);
  });

  it('streams a generator: each yield rebuilt from its diff, then complete', async () => {
    const server = await start(Promise.resolve());
    const app = await connect(server);
    const { events, done } = collect(app.submit('/count', [3]));
    await done;
    expect(statuses(events).some((s) => s.stage === 'generating')).toBe(true);
    expect(statuses(events).at(-1)?.stage).toBe('complete');
    expect(datas(events).map((d) => d.data)).toEqual([
      ['0;', [0]],
      ['0;1;', [0, 1]],
      ['0;1;2;', [0, 1, 2]],
      ['0;1;2;', [0, 1, 2]],
    ]);
  });

  it('reports progress', async () => {
    const server = await start(Promise.resolve());
    const app = await connect(server);
    const { events, done } = collect(app.submit('/predict', ['progress']));
    await done;
    const progress = statuses(events).find((s) => s.progress_data !== undefined && s.progress_data !== null);
    expect(progress?.progress_data?.[0]).toMatchObject({ index: 1, length: 2, desc: 'half' });
    expect(datas(events).at(-1)?.data).toEqual(['PROGRESS']);
  });

  it("reports a full queue as its error; the 503 carries Gradio's detail and our Retry-After", async () => {
    const gate = deferred();
    const server = await start(gate.promise, 0);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await connect(server);
    await expect(app.predict('/predict', ['refused'])).rejects.toMatchObject({
      stage: 'error',
      message: 'This application is currently busy. Please try again. ',
    });
    const raw = await fetch(`${server.url}/gradio_api/queue/join`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: ['x'], fn_index: 0, session_hash: 'raw-session-1' }),
    });
    expect(raw.status).toBe(503);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await raw.json()).toMatchObject({ detail: 'Queue is full. Max size is 0 and size is 0.' });
    gate.resolve();
  });

  it('cancels a running job: its handler is aborted, the job ends, the queue serves the next', async () => {
    const server = await start(Promise.resolve());
    const app = await connect(server);
    const job = app.submit('/predict', ['hang']);
    const { events, done } = collect(job);
    await vi.waitFor(() => expect(server.stats().running).toBe(1));
    await job.cancel();
    await done;
    expect(statuses(events).at(-1)).toMatchObject({ stage: 'error', message: 'cancelled' });
    await vi.waitFor(() => expect(server.stats().running).toBe(0));
    expect((await app.predict('/predict', ['after'])).data).toEqual(['AFTER']);
  });

  it('cancels a waiting job: it leaves the queue at once', async () => {
    const gate = deferred();
    const server = await start(gate.promise);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await connect(server);
    const job = app.submit('/predict', ['waiting']);
    const { done } = collect(job);
    await vi.waitFor(() => expect(server.stats().waiting).toBe(1));
    await job.cancel();
    await done;
    expect(server.stats().waiting).toBe(0);
    gate.resolve();
    await blocker.waitFor('process_completed');
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ sseSessions: 0, sseEvents: 0, hostJobs: 0 }));
  });
});
