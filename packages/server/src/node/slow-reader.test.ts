import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointDefinition } from '../endpoint.js';
import { statusWriterFor } from './join-socket.js';
import { serve, type Server } from './serve.js';
import { RawJob } from './test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A generator that streams 256 KB frames until its call is aborted; `aborted` tells when it was. */
function firehose() {
  const state = { aborted: false, frames: 0 };
  const chunk = 'x'.repeat(256 * 1024);
  const endpoint: EndpointDefinition = {
    fn: async function* (_data, { signal }) {
      signal.addEventListener('abort', () => (state.aborted = true));
      while (!signal.aborted) {
        state.frames++;
        yield [chunk];
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
  return { state, endpoint };
}

describe('a client that stops reading', () => {
  it('is terminated past maxBufferedBytes while the others get their estimates and results', async () => {
    const stream = firehose();
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 2,
      closeGraceMs: 500,
      endpoints: { '/stream': stream.endpoint, '/echo': { fn: async ([x]) => [x] } },
    });
    servers.push(server);
    // Before any socket: this server's sockets get small limits.
    const writer = statusWriterFor(server.queue, { slowClientBytes: 16 * 1024, maxBufferedBytes: 512 * 1024 });

    // The slow one sends its data, then never reads again.
    const slow = new RawJob(server.url);
    slow.socket.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { msg: string };
      if (m.msg === 'send_hash') slow.send({ fn_index: 0, session_hash: 'slow' });
      if (m.msg === 'send_data') {
        slow.send({ data: [], event_data: null, fn_index: 0, session_hash: 'slow' });
        slow.socket.pause();
      }
    });
    await vi.waitFor(() => expect(stream.state.frames).toBeGreaterThan(0));

    // Twenty others join while it streams; they all hear where they stand and get their results.
    const others = Array.from({ length: 20 }, (_, i) => RawJob.auto(server.url, 1, [i]));
    await Promise.all(others.map((job) => job.waitClosed(10_000)));
    for (const [i, job] of others.entries()) {
      expect(job.types()).toContain('estimation');
      expect(job.last()).toMatchObject({ msg: 'process_completed', success: true, output: { data: [i] } });
    }

    // The server stopped writing to the slow one once its backlog passed the limit, and its job ended.
    await vi.waitFor(() => expect(stream.state.aborted).toBe(true), { timeout: 10_000 });
    expect(writer.counts.terminated).toBe(1);
    await vi.waitFor(() => expect(server.queue.stats()).toMatchObject({ waiting: 0, running: 0, cancelled: 1 }));
  });
});

describe('an estimation round to a crowd', () => {
  it('reaches every waiting client, written a chunk per event-loop turn', async () => {
    let release = (): void => {};
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      concurrencyCount: 1,
      closeGraceMs: 500,
      maxConnectionsPerIp: null,
      endpoints: {
        '/hold': {
          // Short waits: each client may hear again 100 ms after its last estimate.
          expectedDurationMs: 10,
          fn: () => new Promise((resolve) => (release = () => resolve(['ok']))),
        },
      },
    });
    servers.push(server);
    const writer = statusWriterFor(server.queue, { statusChunkSize: 16 });
    const running = RawJob.auto(server.url, 0, []);
    await running.waitFor('send_data');
    const waiting: RawJob[] = [];
    for (let i = 0; i < 100; i++) waiting.push(RawJob.auto(server.url, 0, []));
    await Promise.all(waiting.map((job) => job.waitFor('estimation')));
    // The front of the line leaves: the 99 behind it move up one, and each hears its new rank.
    (waiting[0] as RawJob).socket.close();
    const ranks = (job: RawJob) => job.messages.flatMap((m) => (m.msg === 'estimation' ? [m.rank] : []));
    await Promise.all(
      waiting.slice(1).map((job, i) => vi.waitFor(() => expect(ranks(job).at(-1)).toBe(i), { timeout: 10_000 })),
    );
    expect(writer.counts.statusesWritten).toBeGreaterThanOrEqual(99);
    expect(writer.backlog).toBe(0);
    release();
  });
});
