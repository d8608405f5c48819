// An endpoint's `prepare` over real sockets: each request is prepared as its data arrives, while it
// still waits behind a running batch; what it makes reaches `fn` as `context.prepared`; a request it
// refuses fails alone, before any batch sees it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HandlerContext } from '../endpoint.js';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Seen {
  /** Each `prepare` call's input, in order. */
  prepared: unknown[];
  /** Each batch's requests and `context.prepared`. */
  calls: { requests: unknown[]; prepared: readonly unknown[] | undefined }[];
}

/**
 * A batched endpoint (batches of up to 3, one slot) whose calls wait until released. `prepare`
 * doubles a number, and refuses anything else: synchronously, or (with `async: true`) by rejecting.
 */
async function start({ async = false } = {}) {
  const seen: Seen = { prepared: [], calls: [] };
  let gates: (() => void)[] = [];
  const prepare = (data: unknown[]): unknown => {
    seen.prepared.push(data[0]);
    const [x] = data;
    if (typeof x !== 'number') {
      const error = new Error(`expected a number, got ${JSON.stringify(x)}`);
      if (async) return Promise.reject(error);
      throw error;
    }
    return async ? new Promise((resolve) => setTimeout(() => resolve(x * 2), 5)) : x * 2;
  };
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    concurrencyCount: 1,
    closeGraceMs: 200,
    endpoints: {
      '/double': {
        batch: true,
        maxBatchSize: 3,
        expectedDurationMs: 50,
        prepare,
        fn: async (requests: unknown[][], { prepared }: HandlerContext) => {
          seen.calls.push({ requests: requests.map(([x]) => x), prepared });
          const gate = deferred();
          gates.push(gate.resolve);
          await gate.promise;
          return (prepared ?? []).map((p) => [p]);
        },
      },
    },
  });
  servers.push(server);
  const release = (): void => {
    for (const open of gates) open();
    gates = [];
  };
  return { server, seen, release };
}

describe.each([
  ['a synchronous prepare', false],
  ['an asynchronous prepare', true],
])('%s', (_, async) => {
  it('prepares waiting requests while a batch runs, and hands what it made to fn', async () => {
    const { server, seen, release } = await start({ async });
    const first = RawJob.auto(server.url, 0, [1]);
    await first.waitFor('process_starts');
    // Prefetch asks them for their data while the first batch still runs; each is prepared on arrival.
    const waiting = await RawJob.inOrder(server.url, 0, [[2], [3], [4]], 'send_data');
    await vi.waitFor(() => expect(seen.prepared).toEqual([1, 2, 3, 4]));
    expect(seen.calls).toHaveLength(1);
    release();
    await vi.waitFor(() => expect(seen.calls).toHaveLength(2));
    release();
    for (const [i, job] of [first, ...waiting].entries()) {
      await job.waitClosed();
      expect(job.last()).toMatchObject({ msg: 'process_completed', success: true, output: { data: [(i + 1) * 2] } });
    }
    expect(seen.calls).toEqual([
      { requests: [1], prepared: [2] },
      { requests: [2, 3, 4], prepared: [4, 6, 8] },
    ]);
  });

  it('fails a request it refuses alone, with its message; the rest of the batch runs', async () => {
    const { server, seen, release } = await start({ async });
    const first = RawJob.auto(server.url, 0, [1]);
    await first.waitFor('process_starts');
    const good = await RawJob.inOrder(server.url, 0, [[2], [3]]);
    const bad = RawJob.auto(server.url, 0, ['x']);
    // The refused one ends while the first batch still runs: it never takes a place in a batch.
    expect(await bad.waitClosed()).toBe(1000);
    expect(bad.last()).toEqual({
      msg: 'process_completed',
      success: false,
      output: { error: 'expected a number, got "x"' },
    });
    expect(seen.calls).toHaveLength(1);
    release();
    await vi.waitFor(() => expect(seen.calls).toHaveLength(2));
    release();
    for (const job of good) {
      await job.waitClosed();
      expect(job.last()).toMatchObject({ msg: 'process_completed', success: true });
    }
    expect(seen.calls[1]).toEqual({ requests: [2, 3], prepared: [4, 6] });
    await vi.waitFor(() =>
      expect(server.internalSizes()).toEqual(
        Object.fromEntries(Object.keys(server.internalSizes()).map((k) => [k, 0])),
      ),
    );
  });

  it('prepares an HTTP predict request too, and answers one it refuses with 422', async () => {
    const { server, release } = await start({ async });
    const ok = fetch(`${server.url}/run/double`, { method: 'POST', body: JSON.stringify({ data: [21] }) });
    await vi.waitFor(() => expect(server.stats().running).toBe(1));
    release();
    const answer = await ok;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: unknown[] }).data).toEqual([42]);
    const refused = await fetch(`${server.url}/run/double`, { method: 'POST', body: JSON.stringify({ data: [[]] }) });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ detail: 'expected a number, got []', error: 'expected a number, got []' });
  });
});

it('with releaseData, lets go of the data once prepared: fn gets [] in its place, and what prepare made', async () => {
  const calls: { requests: unknown[][]; prepared: readonly unknown[] | undefined }[] = [];
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    concurrencyCount: 1,
    endpoints: {
      '/double': {
        batch: true,
        maxBatchSize: 4,
        releaseData: true,
        prepare: ([x]: unknown[]) => (x as number) * 2,
        fn: (requests: unknown[][], { prepared }: HandlerContext) => {
          calls.push({ requests, prepared });
          return (prepared ?? []).map((p) => [p]);
        },
      },
      '/async': {
        releaseData: true,
        prepare: async ([x]: unknown[]) => `prepared ${String(x)}`,
        fn: (data: unknown[], { prepared }: HandlerContext) => [data.length, prepared?.[0]],
      },
    },
  });
  servers.push(server);
  const job = RawJob.auto(server.url, 0, [21]);
  await job.waitClosed();
  expect(job.last()).toMatchObject({ msg: 'process_completed', success: true, output: { data: [42] } });
  expect(calls).toEqual([{ requests: [[]], prepared: [42] }]);
  // HTTP predict, through an asynchronous prepare.
  const answer = await fetch(`${server.url}/run/async`, { method: 'POST', body: JSON.stringify({ data: ['x'] }) });
  expect(((await answer.json()) as { data: unknown[] }).data).toEqual([0, 'prepared x']);
});

it('refuses a releaseData that is not a boolean', async () => {
  await expect(
    serve({
      port: 0,
      host: '127.0.0.1',
      endpoints: { '/x': { releaseData: 'yes' as never, prepare: (d: unknown[]) => d, fn: (d: unknown[]) => d } },
    }),
  ).rejects.toThrow(`endpoints['/x'].releaseData: expected a boolean, got "yes"`);
});

it('drops the preparation of a job whose client left before it finished', async () => {
  const gate = deferred<number>();
  const fnCalls: unknown[] = [];
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    // The data-timeout tick outlives the job and fires idle; short, so the idle check sees it go.
    dataTimeoutMs: 300,
    endpoints: {
      '/slow-prepare': {
        prepare: () => gate.promise,
        fn: ([x]) => {
          fnCalls.push(x);
          return ['ran'];
        },
      },
    },
  });
  servers.push(server);
  const job = RawJob.auto(server.url, 0, ['x']);
  await job.waitFor('send_data');
  await vi.waitFor(() => expect(server.stats().running).toBe(1));
  job.socket.close();
  await vi.waitFor(() => expect(server.stats().running).toBe(0));
  gate.resolve(1);
  // The left job's `prepare` settles in this turn's microtasks, before the next job's bytes can arrive;
  // that job running through the same slot (and only it) shows the left one's was dropped, not late.
  const next = RawJob.auto(server.url, 0, ['next']);
  await next.waitClosed();
  expect(next.last()).toMatchObject({ msg: 'process_completed', success: true });
  expect(fnCalls).toEqual(['next']);
  await vi.waitFor(() =>
    expect(server.internalSizes()).toEqual(Object.fromEntries(Object.keys(server.internalSizes()).map((k) => [k, 0]))),
  );
});

it('hands a plain (unbatched) handler its one prepared value', async () => {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    endpoints: {
      '/shout': {
        prepare: ([text]) => String(text).toUpperCase(),
        fn: (data, { prepared }) => [data[0], prepared],
      },
    },
  });
  servers.push(server);
  const job = RawJob.auto(server.url, 0, ['hi']);
  await job.waitClosed();
  expect(job.last()).toMatchObject({ msg: 'process_completed', success: true, output: { data: ['hi', ['HI']] } });
});
