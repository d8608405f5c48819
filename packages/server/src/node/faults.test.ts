// Faults the server must survive: handlers that throw or hang, peers that vanish, cancels that
// race. (Worker crashes, hangs and OOM are proven in ../onnx/node.test.ts.)
import type { ServerMessage } from '@crowdserve/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { ServeOptions } from './options.js';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeOptions> & Pick<ServeOptions, 'endpoints'>): Promise<Server> {
  // dataTimeoutMs: the queue's data-timeout tick outlives its job and fires idle; short, so `idle()` sees it go.
  const server = await serve({ port: 0, host: '127.0.0.1', closeGraceMs: 200, dataTimeoutMs: 500, ...options });
  servers.push(server);
  return server;
}

async function expectIdle(server: Server, timeout = 5000): Promise<void> {
  await vi.waitFor(() => expect(Object.entries(server.internalSizes()).filter(([, n]) => n !== 0)).toEqual([]), {
    timeout,
  });
}

/** Runs `count` jobs through `run`, at most `width` at a time (under the per-address limit). */
async function inWaves<T>(count: number, width: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await run(i);
    }),
  );
  return results;
}

describe('handlers that throw', () => {
  const throwers: ((i: number) => unknown)[] = [
    (i) => {
      throw new Error(`sync ${i}`);
    },
    async (i) => {
      throw new Error(`async ${i}`);
    },
    () => Promise.reject(new TypeError('rejected')),
    (i) => {
      throw `a string ${i}`;
    },
    () => {
      throw undefined;
    },
    () => {
      throw { code: 42 };
    },
  ];
  const expected = (i: number): string =>
    [
      `sync ${i}`,
      `async ${i}`,
      'rejected',
      `a string ${i}`,
      'handler failed: undefined',
      'handler failed: {"code":42}',
    ][i % throwers.length]!;

  it('fails each of 1,000 jobs cleanly and never blocks the queue', async () => {
    const server = await start({
      concurrencyCount: 2,
      // 50 sockets in flight: on a loaded machine a prefetched job can take longer than 0.5 s to answer.
      dataTimeoutMs: 10_000,
      endpoints: { '/throw': { fn: ([i]) => throwers[Number(i) % throwers.length]!(Number(i)) as Promise<unknown[]> } },
    });
    const endings = await inWaves(1000, 50, async (i) => {
      const job = RawJob.auto(server.url, 0, [i]);
      const code = await job.waitClosed(20_000);
      return { code, types: job.types(), last: job.last() };
    });
    endings.forEach(({ code, types, last }, i) => {
      expect(code).toBe(1000);
      expect(types.filter((t) => t === 'process_completed')).toHaveLength(1);
      expect(last).toEqual({ msg: 'process_completed', output: { error: expected(i) }, success: false });
    });
    expect(server.stats()).toMatchObject({ failed: 1000, completed: 0, busySlots: 0, waiting: 0, running: 0 });
    await expectIdle(server, 20_000);
  });

  it('fails every member of a batch whose handler throws, then runs the next batch', async () => {
    let calls = 0;
    const gate = deferred();
    const server = await start({
      endpoints: {
        '/block': { fn: async () => (await gate.promise, []) },
        '/batch': {
          batch: true,
          maxBatchSize: 4,
          fn: async (requests) => {
            if (calls++ === 0) throw new Error('the whole batch failed');
            return requests.map(([x]) => [x]);
          },
        },
      },
    });
    const blocker = RawJob.auto(server.url, 0, []);
    await blocker.waitFor('process_starts');
    const first = Array.from({ length: 4 }, (_, i) => RawJob.auto(server.url, 1, [i]));
    for (const job of first) await job.waitFor('estimation');
    gate.resolve();
    for (const job of first) await job.waitClosed();
    for (const job of first)
      expect(job.last()).toMatchObject({ success: false, output: { error: 'the whole batch failed' } });
    expect(calls).toBe(1);
    const next = RawJob.auto(server.url, 1, ['ok']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['ok'] } });
    await expectIdle(server);
  });
});

describe('handlers that hang', () => {
  it('times each hung call out, frees its slot, and ignores its late answer', async () => {
    const late = deferred<unknown[]>();
    const server = await start({
      concurrencyCount: 1,
      endpoints: {
        // Ignores its signal: only the endpoint timeout can free the slot.
        '/hang': { timeoutMs: 50, fn: ([x]) => (x === 'quick' ? Promise.resolve(['quick']) : late.promise) },
      },
    });
    const hung = Array.from({ length: 5 }, () => RawJob.auto(server.url, 0, ['hang']));
    for (const job of hung) await job.waitClosed();
    for (const job of hung) {
      expect(job.last()).toEqual({
        msg: 'process_completed',
        output: { error: 'timed out after 0.05 s' },
        success: false,
      });
    }
    const quick = RawJob.auto(server.url, 0, ['quick']);
    await quick.waitClosed();
    expect(quick.last()).toMatchObject({ success: true, output: { data: ['quick'] } });
    late.resolve(['too late']);
    await expectIdle(server);
    expect(server.stats()).toMatchObject({ failed: 5, completed: 1, busySlots: 0 });
  });
});

describe('dead peers', () => {
  // The heartbeat beats on the fake clock: each test moves it one interval at a time and waits on what
  // that beat did, so a loaded machine can neither run two beats where the test meant one nor none.
  const INTERVAL_MS = 1000;
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    vi.useRealTimers();
  });

  /**
   * One heartbeat: each of `live` receives its ping, and then a ping of its own comes back, which the
   * server answers only after it has read the pong sent before it.
   */
  async function beat(...live: RawJob[]): Promise<void> {
    const pinged = live.map((job) => new Promise((resolve) => job.socket.once('ping', resolve)));
    vi.advanceTimersByTime(INTERVAL_MS);
    await Promise.all(pinged);
    await Promise.all(
      live.map(
        (job) =>
          new Promise((resolve) => {
            job.socket.once('pong', resolve);
            job.socket.ping();
          }),
      ),
    );
  }

  /**
   * A client that stops answering pings once its job is where the test wants it (`vanishAfter`: joined,
   * or running), as a machine that vanished from the network then. Silent from the start, it could be
   * cut before its join arrived: a stalled event loop can run the heartbeat's second beat first.
   */
  function deadPeer(server: Server, vanishAfter: 'estimation' | 'process_starts') {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/queue/join`, { autoPong: false });
    const heard: ServerMessage[] = [];
    let vanished = false;
    let pings = 0;
    let closed = false;
    ws.on('ping', (data) => {
      if (vanished) pings++;
      else ws.pong(data);
    });
    ws.on('close', () => (closed = true));
    ws.on('error', () => {});
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      heard.push(m);
      if (m.msg === 'send_hash') ws.send(JSON.stringify({ fn_index: 0, session_hash: 'dead' }));
      if (m.msg === 'send_data')
        ws.send(JSON.stringify({ data: ['dead'], event_data: null, fn_index: 0, session_hash: 'dead' }));
      if (m.msg === vanishAfter) vanished = true;
    });
    /** `pings`: those it let go unanswered. */
    return { heard, pings: () => pings, closed: () => closed };
  }

  it('terminates a waiting peer that stops answering pings within two intervals, and removes its job', async () => {
    const gate = deferred();
    const seen: unknown[] = [];
    const server = await start({
      heartbeatIntervalMs: INTERVAL_MS,
      endpoints: { '/slow': { fn: async ([x]) => (seen.push(x), await gate.promise, [x]) } },
    });
    const running = RawJob.auto(server.url, 0, ['running']);
    await running.waitFor('process_starts');
    const dead = deadPeer(server, 'estimation');
    await vi.waitFor(() => expect(dead.heard.map((m) => m.msg)).toContain('estimation'));
    await beat(running);
    await vi.waitFor(() => expect(dead.pings()).toBe(1));
    expect(dead.closed()).toBe(false);
    await beat(running);
    await vi.waitFor(() => expect(dead.closed()).toBe(true), { timeout: 5000 });
    // It had joined the line behind the running job when it went silent.
    expect(dead.heard.find((m) => m.msg === 'estimation')).toMatchObject({ rank: 0, queue_size: 1 });
    expect(dead.heard.map((m) => m.msg)).not.toContain('process_starts');
    // Pinged once, silent through the next beat: cut at the second, never a second ping.
    expect(dead.pings()).toBe(1);
    expect(server.stats().waiting).toBe(0);
    // The live peer answers every ping and stays.
    expect(running.closeCode).toBeUndefined();
    gate.resolve();
    await running.waitClosed();
    expect(seen).toEqual(['running']);
    await expectIdle(server);
  });

  it("aborts a running dead peer's call and frees the slot", async () => {
    const aborted = deferred<string>();
    const server = await start({
      heartbeatIntervalMs: INTERVAL_MS,
      endpoints: {
        '/wait': {
          fn: (_, { signal }) =>
            new Promise((resolve) =>
              signal.addEventListener('abort', () => {
                aborted.resolve('aborted');
                resolve(['late']);
              }),
            ),
        },
      },
    });
    const dead = deadPeer(server, 'process_starts');
    await vi.waitFor(() => expect(dead.heard.map((m) => m.msg)).toContain('process_starts'));
    await beat();
    await vi.waitFor(() => expect(dead.pings()).toBe(1));
    await beat();
    expect(await aborted.promise).toBe('aborted');
    expect(dead.pings()).toBe(1);
    await expectIdle(server);
  });

  it('keeps a peer that answers every ping for as long as its job runs', async () => {
    const gate = deferred();
    const server = await start({
      heartbeatIntervalMs: INTERVAL_MS,
      endpoints: { '/slow': { fn: async ([x]) => (await gate.promise, [x]) } },
    });
    const job = RawJob.auto(server.url, 0, ['alive']);
    let pings = 0;
    job.socket.on('ping', () => pings++);
    await job.waitFor('process_starts');
    for (let i = 0; i < 5; i++) await beat(job);
    expect(pings).toBe(5);
    expect(job.closeCode).toBeUndefined();
    gate.resolve();
    expect(await job.waitClosed()).toBe(1000);
    expect(job.last()).toMatchObject({ success: true, output: { data: ['alive'] } });
  });
});

describe('cancels that race', () => {
  it('cancel racing completion on the wire: the socket closes as the result is sent', async () => {
    const server = await start({ endpoints: { '/quick': { fn: async ([x]) => [x] } } });
    const jobs = await inWaves(200, 20, async (i) => {
      const job = RawJob.auto(server.url, 0, [i]);
      job.socket.on('message', (raw) => {
        if ((JSON.parse(raw.toString()) as ServerMessage).msg === 'process_starts') job.socket.close();
      });
      await job.waitClosed();
      return job;
    });
    for (const job of jobs) expect(job.types().filter((t) => t === 'process_completed').length).toBeLessThanOrEqual(1);
    await expectIdle(server);
    const stats = server.stats();
    expect(stats.completed + stats.cancelled).toBe(200);
  });
});
