// A hostile or careless peer on real loopback sockets: whatever it does, the server goes on serving
// others, and what the attack held (jobs, batches, slots) goes back to its baseline once it stops.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const never = () => new Promise<never>(() => {});

describe('hostile clients and handlers', () => {
  it('calls that time out while their handler never settles leave no batch behind (issue 21.2)', async () => {
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 2,
      endpoints: { '/hang': { timeoutMs: 20, fn: never }, '/ok': { fn: async (d) => d } },
    });
    servers.push(server);
    const jobs = Array.from({ length: 10 }, () => RawJob.auto(server.url, 0, []));
    for (const job of jobs) await job.waitClosed();
    for (const job of jobs) expect(job.last()).toMatchObject({ msg: 'process_completed', success: false });
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostBatches: 0, hostJobs: 0 }));
    const next = RawJob.auto(server.url, 1, ['next']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
  });

  it('/healthz and /metrics report a call held past its timeout, until its handler returns (issue 21.3)', async () => {
    const release = deferred();
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      endpoints: { '/deaf': { timeoutMs: 20, fn: async () => (await release.promise, ['late']) } },
    });
    servers.push(server);
    const job = RawJob.auto(server.url, 0, []);
    await job.waitClosed();
    const health = async () => (await (await fetch(`${server.url}/healthz`)).json()) as { callsPastTimeout: number };
    expect(await health()).toMatchObject({ status: 'ok', callsPastTimeout: 1 });
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('crowdserve_calls_past_timeout 1');
    release.resolve();
    await vi.waitFor(async () => expect(await health()).toMatchObject({ callsPastTimeout: 0 }));
  });

  it('a deeply nested join frame is refused unread, by its length (issue 24.2)', async () => {
    const server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/echo': { fn: async (d) => d } } });
    servers.push(server);
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send('['.repeat(5_000));
    expect(await job.waitClosed()).toBe(1000);
    expect(job.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining('expected at most 4096 characters') },
    });
    expect(server.internalSizes()).toMatchObject({ hostJobs: 0 });
  });

  it('a first frame far past any join frame is cut unread, by the bytes before it ends (issue 24.2)', async () => {
    const server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/echo': { fn: async (d) => d } } });
    servers.push(server);
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    // Under maxPayloadBytes (4 MiB): ws alone would read it to its end.
    job.send('['.repeat(1_000_000));
    // Cut (no close frame), not refused after a read: nothing was answered.
    expect(await job.waitClosed()).toBe(1006);
    expect(job.last()).toMatchObject({ msg: 'send_hash' });
    expect(server.internalSizes()).toMatchObject({ hostJobs: 0 });
    const next = RawJob.auto(server.url, 0, ['next']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
  });

  it('a deeply nested data frame fails its job by the depth budget, before JSON.parse (issue 24.2)', async () => {
    const server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/echo': { fn: async (d) => d } } });
    servers.push(server);
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send({ fn_index: 0, session_hash: 'h' });
    await job.waitFor('send_data');
    job.send(`{"data":[${'['.repeat(1_000_000)}],"fn_index":0,"session_hash":"h"}`);
    expect(await job.waitClosed()).toBe(1000);
    expect(job.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining('nested at most 64 levels deep') },
    });
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0, hostBatches: 0 }));
    const next = RawJob.auto(server.url, 0, [[[1]]]);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: [[[1]]] } });
  });

  it('a join frame that arrived while the loop was stalled past the join deadline is read, not refused (issue 21.12)', async () => {
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      handshakeTimeoutMs: 50,
      endpoints: { '/echo': { fn: async (d) => d } },
    });
    servers.push(server);
    const job = new RawJob(server.url);
    job.socket.once('message', () => {
      job.send({ fn_index: 0, session_hash: 'h' });
      // A busy machine: this process (the server's too) does nothing else for longer than the deadline,
      // while the join frame waits in the server's socket.
      const until = performance.now() + 200;
      while (performance.now() < until);
    });
    const asked = await job.waitFor('send_data');
    expect(asked).toMatchObject({ msg: 'send_data' });
    job.send({ data: ['in'], event_data: null, fn_index: 0, session_hash: 'h' });
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['in'] } });
  });
});
