// Three server processes sharing one queue on a real redis-server (issue 23): the semantics of one
// process — global maxSize, FIFO, batches, ranks, cancel — across all of them, on both dialects; and
// what happens when a process or Redis dies.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';
import { submit, type Call, type Dialect } from '../../../test/shared-callers.js';
import {
  Reports,
  startSharedServers,
  type SharedServer,
  type SharedServerOptions,
} from '../../../test/shared-servers.js';
import { RUNNER_GONE_ERROR, SHARED_QUEUE_UNAVAILABLE_REASON } from './shared-host.js';

const ECHO = 0;
const HOLD = 1;
const BATCH = 2;

let redis: RedisServer;
let servers: SharedServer[] = [];
let reports: Reports;
let keys = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  servers = [];
});

async function start(options: Partial<SharedServerOptions> = {}): Promise<SharedServer[]> {
  reports = new Reports();
  keys += 1;
  servers = await startSharedServers(3, { redisUrl: redis.url, key: `t${keys}`, ...options }, reports);
  return servers;
}

/**
 * Fills every slot (one per process) with a `/hold` job, one after another, each running before the next
 * is sent (a burst could meet a small maxSize: a job counts as waiting in Redis until a process claims it).
 */
async function holdEverySlot(dialect: Dialect): Promise<Call[]> {
  const holds: Call[] = [];
  for (const [i, server] of servers.entries()) {
    holds.push(await submit(dialect, server.url, HOLD, `h${i}`));
    await reports.waitFor((r) => r.started === `h${i}`, `h${i} started`);
  }
  return holds;
}

/** Submits one job at a time, each decided before the next is sent, so their order in line is known. */
async function inOrder(dialect: Dialect, fnIndex: number, names: string[]): Promise<Call[]> {
  const calls: Call[] = [];
  for (const [i, name] of names.entries()) {
    const call = await submit(dialect, servers[i % servers.length]!.url, fnIndex, name);
    expect(await call.admitted).toBe(true);
    // Accepted by Redis and in every process's line: it has been told its place.
    await vi.waitFor(() => expect(call.estimates().length).toBeGreaterThan(0), { timeout: 20_000 });
    calls.push(call);
  }
  return calls;
}

/** Which process ran `name` (the tag its `/hold` report came from). */
function runnerOf(name: string): string | undefined {
  return reports.all.find((report) => report.started === name)?.tag;
}

function releaseEverywhere(name: string): void {
  for (const server of servers) server.release(name);
}

describe.each<Dialect>(['ws', 'sse_v3'])('a queue shared by three processes, over %s', (dialect) => {
  it('holds maxSize across all of them, exactly, under a storm of joins', async () => {
    await start({ maxSize: 9 });
    const holds = await holdEverySlot(dialect);
    const storm = await Promise.all(
      Array.from({ length: 60 }, (_, i) => submit(dialect, servers[i % 3]!.url, HOLD, `w${i}`)),
    );
    const verdicts = await Promise.all(storm.map((call) => call.admitted));
    expect(verdicts.filter(Boolean)).toHaveLength(9);
    const refused = storm.filter((_, i) => !verdicts[i]);
    expect(refused).toHaveLength(51);
    for (const call of refused) expect(call.refusal()).toMatchObject({ retry_after: expect.any(Number) });

    // Nothing is lost: release whatever runs until every accepted job has its result.
    const accepted = [...holds, ...storm.filter((_, i) => verdicts[i])];
    await vi.waitFor(
      async () => {
        for (const server of servers) server.releaseAll();
        expect(reports.all.filter((r) => r.finished !== undefined)).toHaveLength(12);
      },
      { timeout: 30_000, interval: 50 },
    );
    for (const call of accepted) expect((await call.completed()).success).toBe(true);
  });

  it('serves the oldest job anywhere first, on whichever process has the free slot', async () => {
    await start();
    await holdEverySlot(dialect);
    const names = ['j0', 'j1', 'j2', 'j3', 'j4', 'j5'];
    const calls = await inOrder(dialect, HOLD, names);

    // One slot frees at a time: each time, the oldest waiting job of the whole line takes it.
    releaseEverywhere('h0');
    for (const [k, name] of names.entries()) {
      await reports.waitFor((r) => r.started === name, `${name} started`);
      expect(reports.started().filter((n) => n.startsWith('j'))).toEqual(names.slice(0, k + 1));
      releaseEverywhere(name);
    }
    const results = await Promise.all(calls.map((call) => call.completed()));
    // Each ran where the slot was free: the jobs of the other two processes' clients ran elsewhere.
    const ranElsewhere = results.filter((result, i) => result.output.data?.[0] !== `${names[i]}@s${i % 3}`);
    expect(ranElsewhere.length).toBeGreaterThanOrEqual(2);
    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({ success: true, output: { data: [`${names[i]}@${runnerOf(names[i]!)}`] } });
    }
  });

  it('gathers a batch from the clients of different processes', async () => {
    await start();
    await holdEverySlot(dialect);
    const calls = await inOrder(dialect, BATCH, ['b0', 'b1', 'b2']);
    releaseEverywhere('h0');
    const batch = await reports.waitFor((r) => r.batch !== undefined, 'a batch');
    expect(batch.batch).toEqual(['b0', 'b1', 'b2']);
    for (const call of calls) {
      expect(await call.completed()).toMatchObject({ success: true, output: { data: [`b0+b1+b2@${batch.tag}`] } });
    }
  });

  it('tells every client its global rank, which never rises; a leaving job is gone from every line at once', async () => {
    await start();
    await holdEverySlot(dialect);
    const names = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
    const calls = await inOrder(dialect, HOLD, names);
    const last = (call: Call) => call.estimates().at(-1);
    await vi.waitFor(() => calls.forEach((call, i) => expect(last(call)).toMatchObject({ rank: i, queue_size: 6 })), {
      timeout: 20_000,
    });

    await calls[2]!.leave();
    const left = [0, 1, 3, 4, 5];
    await vi.waitFor(() => left.forEach((i, rank) => expect(last(calls[i]!)).toMatchObject({ rank, queue_size: 5 })), {
      timeout: 20_000,
    });

    releaseEverywhere('h1');
    await reports.waitFor((r) => r.started === 'w0', 'w0 started');
    await vi.waitFor(
      () => left.slice(1).forEach((i, rank) => expect(last(calls[i]!)).toMatchObject({ rank, queue_size: 4 })),
      { timeout: 20_000 },
    );
    for (const call of calls) {
      const ranks = call.estimates().map((e) => e.rank);
      expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    }
    expect(reports.started()).not.toContain('w2');
  });
});

describe.each<Dialect>(['ws', 'sse_v3'])(
  'a queue shared by three processes over %s, when one of them or Redis dies',
  (dialect) => {
    it('fails a job whose runner was killed with a clear error; the dead process leaves the line', async () => {
      // A lease a busy machine cannot outrun (a process stalled past it would be reaped while alive).
      await start({ leaseMs: 1500, maxSize: 2 });
      await holdEverySlot(dialect);
      // x0 waits on s0; y0 waits on s1, whose process will die with its client's socket.
      const [x0] = await inOrder(dialect, HOLD, ['x0', 'y0']);
      await vi.waitFor(() => expect(x0!.estimates().at(-1)).toMatchObject({ rank: 0, queue_size: 2 }), {
        timeout: 20_000,
      });
      // Free s2's slot: x0 (a client of s0) runs on s2.
      const onS2 = reports.all.find((r) => r.tag === 's2' && r.started?.startsWith('h'))!.started!;
      servers[2]!.release(onS2);
      await reports.waitFor((r) => r.started === 'x0', 'x0 started');
      expect(runnerOf('x0')).toBe('s2');

      await servers[2]!.kill();
      const completion = await x0!.completed();
      expect(completion).toMatchObject({ success: false, output: { error: RUNNER_GONE_ERROR } });

      // s1 dies too: its waiting job leaves the line, and nothing stays counted against maxSize.
      await servers[1]!.kill();
      await vi.waitFor(
        async () => {
          const status = (await (await fetch(`${servers[0]!.url}/queue/status`)).json()) as { queue_size: number };
          expect(status.queue_size).toBe(0);
        },
        { timeout: 20_000, interval: 50 },
      );
      const again = await Promise.all([
        submit('ws', servers[0]!.url, HOLD, 'z0'),
        submit('ws', servers[0]!.url, HOLD, 'z1'),
      ]);
      expect(await Promise.all(again.map((call) => call.admitted))).toEqual([true, true]);
    });

    it('a process that closes lets its job running elsewhere finish, and the others serve on', async () => {
      await start();
      await holdEverySlot(dialect);
      const [c0, c1] = await inOrder(dialect, HOLD, ['c0', 'c1']);
      // c0 (a client of s0) runs on s2; c1 (a client of s1) still waits.
      const onS2 = reports.all.find((r) => r.tag === 's2' && r.started?.startsWith('h'))!.started!;
      servers[2]!.release(onS2);
      await reports.waitFor((r) => r.started === 'c0', 'c0 started');
      expect(runnerOf('c0')).toBe('s2');

      // s0 closes: its running job elsewhere may finish within its grace; new joins elsewhere still work.
      const closing = servers[0]!.stop();
      releaseEverywhere('c0');
      expect(await c0!.completed()).toMatchObject({ success: true, output: { data: ['c0@s2'] } });
      await closing;
      releaseEverywhere('c1');
      await reports.waitFor((r) => r.started === 'c1', 'c1 started');
      releaseEverywhere('c1');
      expect(await c1!.completed()).toMatchObject({ success: true });
      const after = await submit(dialect, servers[1]!.url, ECHO, 'after');
      expect(await after.completed()).toMatchObject({
        success: true,
        output: { data: [expect.stringMatching(/^after@s[12]$/)] },
      });
    });

    it('refuses joins with a retryable error while Redis is down, finishes running jobs, and serves again after it returns', async () => {
      await start();
      const held = await submit(dialect, servers[0]!.url, HOLD, 'h0');
      await reports.waitFor((r) => r.started === 'h0', 'h0 started');

      await redis.kill();
      const refused = await submit(dialect, servers[0]!.url, ECHO, 'while-down');
      expect(await refused.admitted).toBe(false);
      expect(refused.refusal()).toMatchObject({
        reason: SHARED_QUEUE_UNAVAILABLE_REASON,
        retry_after: expect.any(Number),
      });

      // The running job finishes; if it ran on another process, its result travels once Redis is back.
      releaseEverywhere('h0');
      await reports.waitFor((r) => r.finished === 'h0', 'h0 finished');
      await redis.restart();
      expect(await held.completed()).toMatchObject({ success: true, output: { data: [`h0@${runnerOf('h0')}`] } });

      for (const server of servers) {
        await vi.waitFor(
          async () => {
            const call = await submit(dialect, server.url, ECHO, `after-${server.tag}`);
            expect(await call.completed()).toMatchObject({ success: true });
          },
          { timeout: 30_000, interval: 200 },
        );
      }
    });
  },
);
