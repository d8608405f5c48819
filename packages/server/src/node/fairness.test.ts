// Per-client fairness (issue 21.4), on real loopback sockets: one address that joins and never sends
// its data takes neither every place in the line nor the slots for long; a real client gets in.
import { connect } from '@crowdserve/client';
import type { ServerMessage } from '@crowdserve/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { serve, type Server } from './serve.js';
import { post } from '../../test/sse-test-utils.js';
import { deferred } from '../../test/test-utils.js';

const servers: Server[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The attacker's own loopback address: Linux answers all of 127/8, so it is another client than the test's. */
const ATTACKER = '127.0.0.2';

interface Silent {
  joins: number;
  refusals: ServerMessage[];
  cut: number;
}

/**
 * One silent job: joins, never answers `send_data`, and joins again whenever its job is cut (as the
 * attack of issue 21.4 did), but not after a refusal.
 */
function silentJob(url: string, tally: Silent, session: string, localAddress = ATTACKER): void {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/queue/join`, { localAddress });
  sockets.push(socket);
  let refused = false;
  let cut = false;
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as ServerMessage;
    if (message.msg === 'send_hash') {
      tally.joins++;
      socket.send(JSON.stringify({ fn_index: 0, session_hash: session }));
    } else if (message.msg === 'queue_full') {
      refused = true;
      tally.refusals.push(message);
    } else if (message.msg === 'process_completed') {
      cut = true;
      tally.cut++;
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (cut && !refused && sockets.includes(socket)) silentJob(url, tally, session, localAddress);
  });
}

describe('per-client fairness (issue 21.4)', () => {
  it('22 silent joins from one address hold neither every place nor the slots: a real client gets in', async () => {
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 2,
      maxSize: 20,
      // Short, so the test does not wait out the default (10 s) while the silent jobs cycle.
      pickedDataTimeoutMs: 200,
      endpoints: { '/echo': { fn: async (d) => d } },
    });
    servers.push(server);
    const tally: Silent = { joins: 0, refusals: [], cut: 0 };
    for (let i = 0; i < 22; i++) silentJob(server.url, tally, `silent-${i}`);
    // Half of maxSize (the default share), counting the two picked ones: the other 12 are refused.
    await vi.waitFor(() => expect(tally.refusals).toHaveLength(12), { timeout: 10_000 });
    expect(tally.refusals[0]).toMatchObject({
      msg: 'queue_full',
      max_size: 20,
      reason: 'too many waiting jobs from your address or session (limit 10)',
    });
    expect((tally.refusals[0] as { retry_after: number }).retry_after).toBeGreaterThanOrEqual(1);

    const app = await connect(server.url);
    expect(await app.submit('/echo', ['mine']).result).toEqual(['mine']);
    // It got in while the attack went on: silent jobs were cut at their turn and joined again.
    expect(tally.cut).toBeGreaterThan(0);
    app.close?.();
  });

  it('with the default deadlines a real client is served while the silent jobs still hold their places and slots', async () => {
    // The defaults: pickedDataTimeoutMs 10 s, dataTimeoutMs 60 s. A silent job loses its turn, not its
    // place (prefetchGraceMs): the real client's jobs are asked past it and take the slots it held.
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 2,
      maxSize: 20,
      endpoints: { '/echo': { fn: async (d) => d } },
    });
    servers.push(server);
    const tally: Silent = { joins: 0, refusals: [], cut: 0 };
    for (let i = 0; i < 22; i++) silentJob(server.url, tally, `silent-${i}`);
    await vi.waitFor(() => expect(tally.refusals).toHaveLength(12), { timeout: 10_000 });
    const app = await connect(server.url);
    for (const n of [1, 2, 3]) expect(await app.submit('/echo', [n]).result).toEqual([n]);
    // Served before any silent job was cut: it did not wait out their deadlines.
    expect(tally.cut).toBe(0);
    app.close?.();
  });

  it.each([
    { share: 2, refused: 2 },
    { share: null, refused: 0 },
  ])(
    'a session is capped like an address, from any address (maxWaitingPerClient $share)',
    async ({ share, refused }) => {
      const server = await serve({
        port: 0,
        host: '127.0.0.1',
        concurrencyCount: 1,
        maxSize: 8,
        maxWaitingPerClient: share,
        endpoints: { '/echo': { fn: async (d) => d } },
      });
      servers.push(server);
      const tally: Silent = { joins: 0, refusals: [], cut: 0 };
      for (let i = 0; i < 4; i++) silentJob(server.url, tally, 'one-session', `127.0.0.${10 + i}`);
      await vi.waitFor(() => {
        const { waiting, running } = server.stats();
        expect(waiting + running + tally.refusals.length).toBe(4);
      });
      expect(tally.refusals).toHaveLength(refused);
      for (const socket of sockets.splice(0)) socket.terminate();
      await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0, shareJobs: 0, shareKeys: 0 }));
    },
  );

  it('sse_v3 joins and predict requests are counted too: past the share, 503 with the reason', async () => {
    const gate = deferred();
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 1,
      maxSize: 4,
      endpoints: { '/echo': { fn: async (d) => (await gate.promise, d) } },
    });
    servers.push(server);
    const join = () =>
      post(server.url, '/gradio_api/queue/join', { data: ['x'], fn_index: 0, session_hash: 'session-one' });
    // One in the slot (started: not counted), then two waiting: the share of maxSize 4.
    expect((await join()).status).toBe(200);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ running: 1 }));
    expect((await join()).status).toBe(200);
    expect((await join()).status).toBe(200);
    const refused = await join();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      msg: 'queue_full',
      detail: 'too many waiting jobs from your address or session (limit 2)',
    });
    // The same address over predict, with no session.
    const predict = await post(server.url, '/run/echo', { data: ['y'] });
    expect(predict.status).toBe(503);
    expect(await predict.json()).toMatchObject({
      detail: 'too many waiting jobs from your address or session (limit 2)',
    });
    gate.resolve();
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0, shareJobs: 0, shareKeys: 0 }));
  });
});
