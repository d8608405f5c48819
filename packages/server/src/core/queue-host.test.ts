// A host's job bookkeeping under cancels that race: one ending per job, nothing after it, nothing left.
import type { ServerMessage } from '@crowdserve/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointDefinition } from '../endpoint.js';
import { resolveEndpoints } from './endpoints.js';
import { QueueHost, type JobSink } from './queue-host.js';

const hosts: QueueHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.shutdown(200)));
});

function startHost(endpoints: Record<string, EndpointDefinition>): QueueHost {
  const host = new QueueHost({
    endpoints: resolveEndpoints(endpoints),
    concurrencyCount: 1,
    maxSize: null,
    statusUpdateRate: 'auto',
    dataTimeoutMs: 500,
  });
  hosts.push(host);
  return host;
}

async function expectIdle(host: QueueHost): Promise<void> {
  await vi.waitFor(() => expect(Object.entries(host.internalSizes()).filter(([, n]) => n !== 0)).toEqual([]), {
    timeout: 5000,
  });
}

/** A sink that records what the queue tells one job. */
function recordingSink() {
  const messages: ServerMessage[] = [];
  const closes: number[] = [];
  const sink: JobSink = { send: (m) => messages.push(m), close: (code) => closes.push(code) };
  const terminal = () => messages.filter((m) => m.msg === 'process_completed' || m.msg === 'queue_full');
  return { sink, messages, closes, terminal };
}

describe('cancels that race', () => {
  const hold = () => {
    const calls: { release: (out: unknown[]) => void; signal: AbortSignal }[] = [];
    const fn: EndpointDefinition['fn'] = (_data: unknown[], { signal }: { signal: AbortSignal }) =>
      new Promise<unknown[]>((resolve) => calls.push({ release: resolve, signal }));
    return { fn, calls };
  };

  it('cancel twice, on a waiting and on a running job: one close each, no message after it, no crash', async () => {
    const { fn, calls } = hold();
    const host = startHost({ '/hold': { fn } });
    const running = recordingSink();
    const waiting = recordingSink();
    const runningId = host.join(running.sink, 0, ['r']);
    const waitingId = host.join(waiting.sink, 0, ['w']);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    host.leave(waitingId);
    host.leave(waitingId);
    host.leave(runningId);
    host.leave(runningId);
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[0]!.release(['after cancel']);
    await expectIdle(host);
    for (const job of [running, waiting]) {
      expect(job.closes).toHaveLength(1);
      expect(job.terminal()).toEqual([]);
    }
    expect(calls).toHaveLength(1);
  });

  it('cancel racing completion: whichever wins, one ending', async () => {
    const { fn, calls } = hold();
    const host = startHost({ '/hold': { fn } });
    for (let round = 0; round < 50; round++) {
      const job = recordingSink();
      const id = host.join(job.sink, 0, [round]);
      await vi.waitFor(() => expect(calls).toHaveLength(round + 1), { interval: 2 });
      // Both in the same tick, in either order.
      if (round % 2 === 0) {
        calls[round]!.release([round]);
        host.leave(id);
      } else {
        host.leave(id);
        calls[round]!.release([round]);
      }
      await vi.waitFor(() => expect(job.closes).toHaveLength(1), { interval: 2 });
      expect(job.terminal().length).toBeLessThanOrEqual(1);
    }
    await expectIdle(host);
  });

  it('cancel of an unknown or finished job does nothing', async () => {
    const host = startHost({ '/quick': { fn: async ([x]) => [x] } });
    const job = recordingSink();
    const id = host.join(job.sink, 0, ['done']);
    await vi.waitFor(() => expect(job.closes).toHaveLength(1));
    host.leave(id);
    host.leave('no such job');
    host.leave('');
    expect(job.terminal()).toHaveLength(1);
    expect(job.closes).toEqual([1000]);
    await expectIdle(host);
    expect(host.stats()).toMatchObject({ completed: 1, cancelled: 0 });
  });
});

describe('pickedDataTimeoutMs', () => {
  it('ends a picked job that never sends its data with the deadline it passed; the next job gets the slot', async () => {
    const host = new QueueHost({
      endpoints: resolveEndpoints({ '/echo': { fn: async (d: unknown[]) => d } }),
      concurrencyCount: 1,
      maxSize: null,
      statusUpdateRate: 'auto',
      dataTimeoutMs: 60_000,
      pickedDataTimeoutMs: 50,
    });
    hosts.push(host);
    const silent = recordingSink();
    const ready = recordingSink();
    host.join(silent.sink, 0);
    host.join(ready.sink, 0, ['mine']);
    await vi.waitFor(() => expect(ready.terminal()).toHaveLength(1));
    expect(silent.terminal()).toEqual([
      { msg: 'process_completed', output: { error: "timed out waiting for the job's data (0.05 s)" }, success: false },
    ]);
    expect(ready.terminal()[0]).toMatchObject({ success: true, output: { data: ['mine'] } });
    await expectIdle(host);
  });
});

describe('prefetchGraceMs', () => {
  it('asks past a silent job once its grace, as given, has passed; the job behind it runs first', async () => {
    let now = 0;
    const calls: ((out: unknown[]) => void)[] = [];
    const host = new QueueHost({
      endpoints: resolveEndpoints({
        '/hold': { fn: (d: unknown[]) => (d[0] === 'r' ? new Promise((resolve) => calls.push(resolve)) : d) },
      }),
      concurrencyCount: 1,
      maxSize: null,
      statusUpdateRate: 'auto',
      dataTimeoutMs: 60_000,
      prefetchGraceMs: 10,
      clock: () => now,
    });
    hosts.push(host);
    host.join(recordingSink().sink, 0, ['r']);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const silent = recordingSink();
    const next = recordingSink();
    host.join(silent.sink, 0);
    host.join(next.sink, 0, ['n']);
    // One slot, batches of one: only the silent job is asked while it is in its grace.
    await vi.waitFor(() => expect(silent.messages.map((m) => m.msg)).toContain('send_data'));
    expect(host.internalSizes().prefetched).toBe(1);
    // Past the 10 ms given, short of the engine's default (100 ms): the job behind it is asked.
    now = 20;
    await vi.waitFor(() => expect(host.internalSizes().prefetched).toBe(2));
    calls[0]!(['R']);
    await vi.waitFor(() => expect(next.terminal()).toHaveLength(1));
    expect(next.terminal()[0]).toMatchObject({ success: true, output: { data: ['n'] } });
    expect(silent.terminal()).toEqual([]);
  });
});
