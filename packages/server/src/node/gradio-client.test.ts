// The official @gradio/client, as Gradio 3 apps use it, against our server: predict, status
// events (queue position, ETA, complete) and the queue-full error, with 0.6.0 and 1.19.1.
import { client as client06 } from 'gradio-client-0.6';
import { Client as Client119 } from 'gradio-client-1.19';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Gate {
  promise: Promise<void>;
  resolve: () => void;
}

async function start(gate: Gate, maxSize: number | null = null): Promise<Server> {
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
        fn: async ([text]) => {
          if (text === 'block') await gate.promise;
          return [String(text).toUpperCase()];
        },
      },
    },
  });
  servers.push(server);
  return server;
}

interface StatusEvent {
  stage?: string;
  position?: number;
  eta?: number | null;
  message?: string;
}

describe('@gradio/client 0.6.0', () => {
  it('predicts', async () => {
    const server = await start(deferred());
    const app = await client06(server.url, {});
    const result = (await app.predict('/predict', ['hello'])) as { data: unknown[] };
    expect(result.data).toEqual(['HELLO']);
  });

  it('reports queue position and ETA while waiting, then completes', async () => {
    const gate = deferred();
    const server = await start(gate);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await client06(server.url, {});
    const statuses: StatusEvent[] = [];
    const data: unknown[] = [];
    const job = app.submit('/predict', ['queued']);
    job.on('status', (s: StatusEvent) => statuses.push(s)).on('data', (d: { data: unknown[] }) => data.push(d.data));
    await expect.poll(() => statuses.some((s) => s.position === 0)).toBe(true);
    expect(statuses.find((s) => s.position === 0)?.eta).toBeGreaterThan(0);
    gate.resolve();
    await expect.poll(() => statuses.at(-1)?.stage).toBe('complete');
    expect(data).toEqual([['QUEUED']]);
  });

  it('reports a full queue as an error status', async () => {
    const gate = deferred();
    const server = await start(gate, 0);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await client06(server.url, {});
    await expect(app.predict('/predict', ['refused'])).rejects.toMatchObject({
      stage: 'error',
      message: 'This application is too busy. Keep trying!',
    });
    gate.resolve();
  });
});

describe('@gradio/client 1.19.1', () => {
  it('predicts', async () => {
    const server = await start(deferred());
    const app = await Client119.connect(server.url);
    const result = await app.predict('/predict', ['hello']);
    expect(result.data).toEqual(['HELLO']);
  });

  it('reports queue position and ETA while waiting, then completes', async () => {
    const gate = deferred();
    const server = await start(gate);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await Client119.connect(server.url, { events: ['status', 'data'] });
    const statuses: StatusEvent[] = [];
    const data: unknown[] = [];
    const job = app.submit('/predict', ['queued']);
    // Read in the background: 1.19's iterator never ends by itself, and breaking out of it hangs in return().
    void (async () => {
      for await (const message of job) {
        if (message.type === 'status') statuses.push(message as StatusEvent);
        if (message.type === 'data') data.push(message.data);
      }
    })();
    await expect.poll(() => statuses.some((s) => s.position === 0)).toBe(true);
    expect(statuses.find((s) => s.position === 0)?.eta).toBeGreaterThan(0);
    gate.resolve();
    await expect.poll(() => statuses.at(-1)?.stage).toBe('complete');
    expect(data).toEqual([['QUEUED']]);
  });

  it('reports a full queue as an error status', async () => {
    const gate = deferred();
    const server = await start(gate, 0);
    const blocker = RawJob.auto(server.url, 0, ['block']);
    await blocker.waitFor('process_starts');
    const app = await Client119.connect(server.url);
    await expect(app.predict('/predict', ['refused'])).rejects.toMatchObject({
      stage: 'error',
      message: 'This application is currently busy. Please try again. ',
    });
    gate.resolve();
  });
});
