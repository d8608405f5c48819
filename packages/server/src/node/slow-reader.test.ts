import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointDefinition } from '../endpoint.js';
import { serve, type Server } from './serve.js';
import { RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** One unlabelled counter or gauge from the server's `/metrics`. */
async function metric(server: Server, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

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
      slowClientBytes: 16 * 1024,
      maxBufferedBytes: 512 * 1024,
      endpoints: { '/stream': stream.endpoint, '/echo': { fn: async ([x]) => [x] } },
    });
    servers.push(server);

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
    expect(await metric(server, 'crowdserve_slow_sockets_terminated_total')).toBe(1);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ waiting: 0, running: 0, cancelled: 1 }));
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
      statusChunkSize: 16,
      endpoints: {
        '/hold': {
          // Short waits: each client may hear again 100 ms after its last estimate.
          expectedDurationMs: 10,
          fn: () => new Promise((resolve) => (release = () => resolve(['ok']))),
        },
      },
    });
    servers.push(server);
    const running = RawJob.auto(server.url, 0, []);
    await running.waitFor('send_data');
    // Opened together, they join in whatever order their frames arrive: each one's place is the rank it heard.
    const crowd: RawJob[] = [];
    for (let i = 0; i < 100; i++) crowd.push(RawJob.auto(server.url, 0, []));
    await Promise.all(crowd.map((job) => job.waitFor('estimation')));
    const ranks = (job: RawJob) => job.messages.flatMap((m) => (m.msg === 'estimation' ? [m.rank] : []));
    const waiting = [...crowd].sort((a, b) => Number(ranks(a).at(-1)) - Number(ranks(b).at(-1)));
    expect(waiting.map((job) => ranks(job).at(-1))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // The front of the line leaves: the 99 behind it move up one, and each hears its new rank.
    (waiting[0] as RawJob).socket.close();
    await Promise.all(
      waiting.slice(1).map((job, i) => vi.waitFor(() => expect(ranks(job).at(-1)).toBe(i), { timeout: 10_000 })),
    );
    // Through the status writer: all but perhaps the new front of the line, which prefetch asks for
    // its data and which may hear its rank just before `send_data`, written at once.
    expect(await metric(server, 'crowdserve_status_frames_written_total')).toBeGreaterThanOrEqual(98);
    expect(server.internalSizes().statusBacklog).toBe(0);
    release();
  });
});
