// The client against a scripted Gradio 3 server on loopback: real sockets, exact frames.
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions, type JobStatus } from './index.js';
import { say, scriptedServer, type ScriptedServer, type Step } from '../test/test-utils.js';

let server: ScriptedServer | undefined;
const unhandled = vi.fn();

async function start(scripts: Step[][]): Promise<ScriptedServer> {
  server = await scriptedServer(scripts);
  return server;
}

const fast: ConnectOptions = { WebSocket, retry: { baseDelayMs: 5, maxDelayMs: 20 } };

async function statusesOf<T>(job: AsyncIterable<JobStatus<T>>): Promise<JobStatus<T>[]> {
  const out: JobStatus<T>[] = [];
  for await (const s of job) out.push(s);
  return out;
}

beforeEach(() => {
  unhandled.mockClear();
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  // Node reports an unhandled rejection once the microtask queue drains: give it a macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', unhandled);
  expect(unhandled).not.toHaveBeenCalled();
});

describe('client ↔ scripted Gradio 3 server', () => {
  it('plays the happy path: exact frames sent, statuses in order', async () => {
    const s = await start([
      [
        say.sendHash,
        say.receive,
        say.estimation(1, 2, 3),
        say.estimation(0, 1, 1.5),
        say.sendData,
        say.receive,
        say.starts(0.5),
        {
          send: {
            msg: 'progress',
            progress_data: [{ index: 1, length: 2, unit: 'steps', progress: null, desc: null }],
          },
        },
        say.completed(['HELLO'], 0.25),
        say.close(),
      ],
    ]);
    const app = await connect(s.url, { ...fast, sessionHash: 'sess-1' });
    const before = Date.now();
    const job = app.submit('/predict', ['hello']);
    const statuses = await statusesOf(job);
    expect(await job.result).toEqual(['HELLO']);
    expect(statuses.map((st) => st.type)).toEqual(['queued', 'queued', 'running', 'progress', 'done']);
    expect(statuses[0]).toMatchObject({ type: 'queued', position: 1, queueSize: 2, eta: 3 });
    const etaAt = (statuses[0] as { etaAt: number }).etaAt;
    expect(etaAt).toBeGreaterThanOrEqual(before + 3000);
    expect(etaAt).toBeLessThanOrEqual(Date.now() + 3000);
    expect(statuses[2]).toEqual({ type: 'running', eta: 0.5 });
    expect(statuses[4]).toEqual({ type: 'done', data: ['HELLO'], duration: 0.25 });
    expect(s.connections[0]!.received).toEqual([
      { fn_index: 0, session_hash: 'sess-1' },
      { data: ['hello'], event_data: null, fn_index: 0, session_hash: 'sess-1' },
    ]);
  });

  it('ignores log, heartbeat, unknown and malformed frames', async () => {
    const s = await start([
      [
        { send: { msg: 'log', log: 'starting', level: 'info' } },
        say.sendHash,
        say.receive,
        { send: '{"msg": "heartbeat"}' },
        { send: 'this is not json' },
        { send: { msg: 'estimation', rank: 'nope' } },
        say.sendData,
        say.receive,
        { send: { msg: 'log', log: 'running', level: 'warning' } },
        say.completed(['ok']),
        say.close(),
      ],
    ]);
    const app = await connect(s.url, fast);
    const job = app.submit('/predict', ['x']);
    expect(await job.result).toEqual(['ok']);
    expect((await statusesOf(job)).map((st) => st.type)).toEqual(['done']);
  });

  it('streams a generator: partial statuses, then done', async () => {
    const s = await start([
      [
        say.sendHash,
        say.receive,
        say.sendData,
        say.receive,
        say.starts(),
        { send: { msg: 'process_generating', output: { data: ['a'], is_generating: true }, success: true } },
        { send: { msg: 'process_generating', output: { data: ['ab'], is_generating: true }, success: true } },
        say.completed(['ab']),
        say.close(),
      ],
    ]);
    const app = await connect(s.url, fast);
    const statuses = await statusesOf(app.submit('/stream', []));
    expect(statuses).toEqual([
      { type: 'running', eta: null },
      { type: 'partial', data: ['a'] },
      { type: 'partial', data: ['ab'] },
      { type: 'done', data: ['ab'], duration: 0.1 },
    ]);
    expect(s.connections[0]!.received[0]).toMatchObject({ fn_index: 2 });
  });

  it("fails with SERVER_ERROR and the server's text on success:false", async () => {
    const s = await start([
      [say.sendHash, say.receive, say.sendData, say.receive, say.failed('division by zero'), say.close()],
    ]);
    const app = await connect(s.url, fast);
    await expect(app.predict('/predict', [1])).rejects.toMatchObject({
      code: 'SERVER_ERROR',
      message: 'division by zero',
    });
  });

  it('calls a clean close with no terminal message CONNECTION_LOST, never a hang, never a resubmit', async () => {
    const s = await start([[say.sendHash, say.receive, say.sendData, say.receive, say.starts(), say.close(1000)]]);
    const app = await connect(s.url, fast);
    const job = app.submit('/predict', ['x']);
    const statuses = await statusesOf(job);
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    expect(statuses.map((st) => st.type)).toEqual(['running', 'failed']);
    expect(s.connections).toHaveLength(1);
  });

  it('calls a dropped TCP connection while running CONNECTION_LOST', async () => {
    const s = await start([[say.sendHash, say.receive, say.sendData, say.receive, say.starts(), { terminate: true }]]);
    const app = await connect(s.url, fast);
    await expect(app.predict('/predict', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('retries queue_full then close, and succeeds', async () => {
    const full = [say.sendHash, say.receive, say.queueFull(), say.close()];
    const ok = [say.sendHash, say.receive, say.sendData, say.receive, say.completed(['third time']), say.close()];
    const s = await start([full, full, ok]);
    const app = await connect(s.url, fast);
    const seen: JobStatus[] = [];
    const job = app.submit('/predict', ['x'], { onStatus: (st) => seen.push(st) });
    expect(await job.result).toEqual(['third time']);
    expect(seen.map((st) => st.type)).toEqual(['retrying', 'retrying', 'done']);
    expect(seen.slice(0, 2)).toMatchObject([
      { type: 'retrying', attempt: 2, reason: 'queue_full' },
      { type: 'retrying', attempt: 3, reason: 'queue_full' },
    ]);
    expect(s.connections).toHaveLength(3);
    // Every attempt joins afresh; only the accepted one sends data.
    expect(s.connections.map((c) => c.received.length)).toEqual([1, 1, 2]);
  });

  it('gives up after maxAttempts with QUEUE_FULL', async () => {
    const s = await start([[say.sendHash, say.receive, say.queueFull(), say.close()]]);
    const app = await connect(s.url, { ...fast, retry: { ...fast.retry, maxAttempts: 3 } });
    const job = app.submit('/predict', []);
    const statuses = await statusesOf(job);
    await expect(job.result).rejects.toMatchObject({ code: 'QUEUE_FULL', attempts: 3, queueSize: 2, maxSize: 2 });
    expect(statuses.map((st) => st.type)).toEqual(['retrying', 'retrying', 'failed']);
    expect(s.connections).toHaveLength(3);
  });

  it('retries a connection refused before the job was sent', async () => {
    const s = await start([
      [say.close(1011)],
      [say.sendHash, say.receive, say.sendData, say.receive, say.completed([1])],
    ]);
    const app = await connect(s.url, fast);
    const seen: JobStatus[] = [];
    expect(await app.predict('/predict', [], { onStatus: (st) => seen.push(st) })).toEqual([1]);
    expect(seen[0]).toMatchObject({ type: 'retrying', attempt: 2, reason: 'connection' });
  });

  it('cancels while waiting: the server sees the socket close', async () => {
    const s = await start([[say.sendHash, say.receive, say.estimation(3, 4)]]);
    const app = await connect(s.url, fast);
    const job = app.submit('/predict', []);
    await vi.waitFor(() => expect(job.status?.type).toBe('queued'));
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(s.connections[0]!.closeCode).toBe(1000));
    expect(s.connections[0]!.received).toHaveLength(1);
  });

  it('cancels while running through an AbortSignal: the server sees the socket close', async () => {
    const s = await start([[say.sendHash, say.receive, say.sendData, say.receive, say.starts(2)]]);
    const app = await connect(s.url, fast);
    const controller = new AbortController();
    const job = app.submit('/predict', [], { signal: controller.signal });
    const statuses = statusesOf(job);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    controller.abort();
    expect((await statuses).map((st) => st.type)).toEqual(['running', 'failed']);
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(s.connections[0]!.closeCode).not.toBeNull());
  });

  it('opens no socket for a job aborted before it connects', async () => {
    const s = await start([[say.sendHash, say.receive]]);
    const app = await connect(s.url, fast);
    const job = app.submit('/predict', [], { signal: AbortSignal.abort() });
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    const cancelledAtOnce = app.submit('/predict', []);
    cancelledAtOnce.cancel();
    await expect(cancelledAtOnce.result).rejects.toMatchObject({ code: 'CANCELLED' });
    // A later job does connect, so the server would have seen the earlier ones.
    const probe = app.submit('/predict', []);
    await vi.waitFor(() => expect(s.connections).toHaveLength(1));
    probe.cancel();
  });

  it('is cancelled by connect() with an aborted signal, and reports unreachable servers and bad answers', async () => {
    const s = await start([[]]);
    await expect(connect(s.url, { ...fast, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(connect(`${s.url}/missing`, fast)).rejects.toMatchObject({ code: 'SERVER_ERROR', status: 404 });
    const url = s.url;
    await s.close();
    server = undefined;
    await expect(connect(url, fast)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await expect(connect('ftp://example.com', fast)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('asks for a WebSocket class where the browser entry finds no global one (Node 20)', async () => {
    const s = await start([[]]);
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBeUndefined();
    await expect(connect(s.url)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
