// Data prefetch over real sockets: a job that waits behind a running batch is asked for its data
// (`send_data`) before its turn, keeps hearing estimations, and starts with its data in hand.
import type { ServerMessage } from '@crowdserve/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A batched echo whose calls wait until the test releases them; `calls` holds each call's inputs. */
async function start(maxBatchSize = 2): Promise<{ server: Server; calls: unknown[][]; release: () => void }> {
  const calls: unknown[][] = [];
  let gates: (() => void)[] = [];
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    concurrencyCount: 1,
    closeGraceMs: 200,
    endpoints: {
      '/echo': {
        batch: true,
        maxBatchSize,
        expectedDurationMs: 50,
        fn: async (requests) => {
          calls.push(requests.map(([x]) => x));
          const gate = deferred();
          gates.push(gate.resolve);
          await gate.promise;
          return requests.map(([x]) => [x]);
        },
      },
    },
  });
  servers.push(server);
  const release = (): void => {
    for (const open of gates) open();
    gates = [];
  };
  return { server, calls, release };
}

/**
 * A queue job's transcript in the Gradio 3 dialect with prefetch: `send_hash`, estimations, one
 * `send_data` (estimations may follow while it still waits), `process_starts`, `process_completed`.
 */
const TRANSCRIPT = /^send_hash( estimation)+ send_data( estimation)* process_starts process_completed$/;

const estimationsAfterSendData = (job: RawJob): ServerMessage[] =>
  job.messages.slice(job.types().indexOf('send_data')).filter((m) => m.msg === 'estimation');

describe('data prefetch on the queue socket', () => {
  it('asks a waiting job for its data while a batch runs; it keeps waiting, then runs with that data', async () => {
    const { server, calls, release } = await start();
    const first = RawJob.auto(server.url, 0, ['first']);
    await first.waitFor('process_starts');
    const [a, b] = (await RawJob.inOrder(server.url, 0, [['a'], ['b']])) as [RawJob, RawJob];
    // Both would form the next batch: asked now, while the first batch still runs.
    await a.waitFor('send_data');
    await b.waitFor('send_data');
    expect(calls).toEqual([['first']]);
    expect(a.types()).not.toContain('process_starts');
    expect(server.stats()).toMatchObject({ waiting: 2, running: 1 });

    // a leaves while prefetched: it is removed with its data, and b, already asked, hears its new place.
    a.socket.close();
    await vi.waitFor(() => expect(estimationsAfterSendData(b).at(-1)).toMatchObject({ rank: 0, queue_size: 1 }), {
      interval: 5,
    });

    release();
    await b.waitFor('process_starts');
    release();
    await b.waitClosed();
    expect(calls).toEqual([['first'], ['b']]);
    expect(b.types().join(' ')).toMatch(TRANSCRIPT);
    expect(first.types().join(' ')).toMatch(TRANSCRIPT);
    expect(b.last()).toMatchObject({ msg: 'process_completed', success: true, output: { data: ['b'] } });
    expect(b.types().filter((t) => t === 'send_data')).toHaveLength(1);
    await vi.waitFor(() => expect(Object.values(server.internalSizes()).every((n) => n === 0)).toBe(true));
  });

  it('asks at most one full batch ahead; the rest are asked when they move up', async () => {
    const { server, calls, release } = await start(2);
    const first = RawJob.auto(server.url, 0, [0]);
    await first.waitFor('process_starts');
    const jobs = await RawJob.inOrder(server.url, 0, [[1], [2], [3], [4]]);
    await jobs[1]?.waitFor('send_data');
    // Only the next batch (1 and 2) is asked.
    expect(jobs.map((job) => job.types().includes('send_data'))).toEqual([true, true, false, false]);
    release();
    await vi.waitFor(() => expect(calls).toHaveLength(2), { interval: 5 });
    // 1 and 2 run; 3 and 4 make the next batch and are asked while they wait.
    await jobs[3]?.waitFor('send_data');
    expect(jobs[2]?.types()).not.toContain('process_starts');
    release();
    await vi.waitFor(() => expect(calls).toHaveLength(3), { interval: 5 });
    release();
    await Promise.all(jobs.map((job) => job.waitClosed()));
    expect(calls).toEqual([[0], [1, 2], [3, 4]]);
    for (const job of [first, ...jobs]) expect(job.types().join(' ')).toMatch(TRANSCRIPT);
  });

  it('ends a prefetched job at shutdown like any waiting job', async () => {
    const { server, release } = await start();
    const first = RawJob.auto(server.url, 0, ['first']);
    await first.waitFor('process_starts');
    const waiting = RawJob.auto(server.url, 0, ['w']);
    await waiting.waitFor('send_data');
    const closing = server.close();
    expect(await waiting.waitClosed()).toBe(1001);
    expect(waiting.last()).toMatchObject({
      msg: 'process_completed',
      success: false,
      output: { error: 'the server is shutting down' },
    });
    release();
    await closing;
    expect(first.last()).toMatchObject({ msg: 'process_completed', success: true });
  });
});
