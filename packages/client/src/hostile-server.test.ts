// A hostile or broken server against the client, on real loopback sockets: each case is a fault
// that once hung or misled the client (issues 21 and 24).
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@crowdserve/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { connect } from './connect.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
import { DEFAULT_SILENCE_TIMEOUT_MS } from './job-socket.js';
import { MAX_RETRY_AFTER_MS } from './retry-policy.js';
import type { JobStatus } from './status.js';
import { say, scriptedServer, TEST_CONFIG, type ScriptedServer } from '../test/test-utils.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Only the timers: sockets, fetch and promises keep running for real. */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
}

async function served(...scripts: Parameters<typeof scriptedServer>): Promise<ScriptedServer> {
  const server = await scriptedServer(...scripts);
  cleanups.push(() => server.close());
  return server;
}

/** An HTTP server that answers `/config` (and everything else) with `answer`, or never. */
async function httpServer(answer: ((res: ServerResponse) => void) | null): Promise<string> {
  const http: Server = createServer((_req, res) => answer?.(res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

describe('a hostile server', () => {
  // Issue 21.9: silent after the data was sent, it hung the client forever (failed before the fix).
  it('that goes silent after the data is sent fails the job with CONNECTION_LOST', async () => {
    const server = await served([[say.sendHash, say.receive, say.sendData, say.receive]]);
    const app = await connect(server.url, { WebSocket });
    fakeTimers();
    const job = app.submit('/predict', ['x']);
    await vi.waitFor(() => expect(server.connections[0]?.received).toHaveLength(2), { interval: 1 });
    // vi.waitFor moved the fake clock a few ms past the arming; the margin covers that.
    await vi.advanceTimersByTimeAsync(DEFAULT_SILENCE_TIMEOUT_MS - 1000);
    expect(job.status).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  // Issue 21.10: a /config that never answers held connect() ~5 min (failed before the fix).
  it('whose /config never answers fails connect() with TIMEOUT after the default', async () => {
    const url = await httpServer(null);
    fakeTimers();
    const connecting = connect(url, { WebSocket });
    const settled = vi.fn();
    connecting.catch(settled);
    await vi.advanceTimersByTimeAsync(DEFAULT_CONNECT_TIMEOUT_MS - 1);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(connecting).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('whose /config never answers lets connect() be cancelled by its signal', async () => {
    const url = await httpServer(null);
    const controller = new AbortController();
    const connecting = connect(url, { WebSocket, signal: controller.signal });
    controller.abort();
    await expect(connecting).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  // Issue 21.11: a null in dependencies threw a raw TypeError (failed before the fix).
  it.each([
    ['a null in dependencies', { ...TEST_CONFIG, dependencies: [null] }],
    ['no dependencies', { version: '3' }],
    ['an array', []],
  ])('whose /config has %s fails connect() with SERVER_ERROR', async (_what, config) => {
    const server = await served([[]], config as unknown as AppConfig);
    await expect(connect(server.url, { WebSocket })).rejects.toMatchObject({ code: 'SERVER_ERROR' });
  });

  it('whose /info is malformed still connects, with no info', async () => {
    const url = await httpServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(res.req.url === '/config' ? TEST_CONFIG : { named_endpoints: null }));
    });
    const app = await connect(url, { WebSocket });
    expect(app.info).toBeNull();
  });

  // Issue 24.6: retry_after ~31 years overflowed setTimeout: 3 attempts in 12 ms (failed before the fix).
  it('that asks for a huge retry_after is retried after MAX_RETRY_AFTER_MS at most, not at once', async () => {
    const server = await served([[say.sendHash, say.receive, say.queueFull(1e9)], [say.sendHash]]);
    const app = await connect(server.url, { WebSocket, retry: { deadlineMs: Infinity } });
    fakeTimers();
    const statuses: JobStatus[] = [];
    app.submit('/predict', ['x'], { onStatus: (s) => statuses.push(s) });
    await vi.waitFor(() => expect(statuses).toHaveLength(1), { interval: 1 });
    const delayMs = (statuses[0] as Extract<JobStatus, { type: 'retrying' }>).delayMs;
    expect(delayMs).toBeGreaterThanOrEqual(MAX_RETRY_AFTER_MS);
    expect(delayMs).toBeLessThan(2 ** 31 - 1);
    await vi.advanceTimersByTimeAsync(MAX_RETRY_AFTER_MS - 1);
    expect(server.connections).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(delayMs - MAX_RETRY_AFTER_MS + 1);
    await vi.waitFor(() => expect(server.connections).toHaveLength(2), { interval: 1 });
  });

  it('that asks for a retry_after past the retry deadline has the job fail with QUEUE_FULL at once', async () => {
    const server = await served([[say.sendHash, say.receive, say.queueFull(1e9)]]);
    const app = await connect(server.url, { WebSocket });
    await expect(app.predict('/predict', ['x'])).rejects.toMatchObject({ code: 'QUEUE_FULL', retryAfter: 1e9 });
    expect(server.connections).toHaveLength(1);
  });

  // Issue 21.12: refused before the data was sent, the job was reported failed (failed before the fix).
  it('that refuses a job before taking its data has it retried, not failed', async () => {
    const refusal = say.failed('expected {"fn_index", "session_hash"} within 5 s');
    const server = await served([
      [say.sendHash, refusal],
      [say.sendHash, say.receive, say.sendData, say.receive, say.completed(['ok'])],
    ]);
    const app = await connect(server.url, { WebSocket, retry: { baseDelayMs: 0 } });
    const statuses: JobStatus[] = [];
    await expect(app.predict('/predict', ['x'], { onStatus: (s) => statuses.push(s) })).resolves.toEqual(['ok']);
    expect(statuses.map((s) => s.type)).toEqual(['retrying', 'done']);
    expect(server.connections).toHaveLength(2);
  });

  it('that fails a job after taking its data reports it failed, never retried', async () => {
    const server = await served([[say.sendHash, say.receive, say.sendData, say.receive, say.failed('boom')]]);
    const app = await connect(server.url, { WebSocket, retry: { baseDelayMs: 0 } });
    await expect(app.predict('/predict', ['x'])).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    expect(server.connections).toHaveLength(1);
  });

  it("that gives no answer within the job's timeoutMs has it fail with TIMEOUT", async () => {
    const server = await served([[say.sendHash, say.receive, say.sendData, say.receive, say.estimation(0, 1)]]);
    const app = await connect(server.url, { WebSocket, timeoutMs: 60_000 });
    fakeTimers();
    const job = app.submit('/predict', ['x'], { timeoutMs: 5_000 });
    await vi.waitFor(() => expect(job.status?.type).toBe('queued'), { interval: 1 });
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(job.result).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

/**
 * A Gradio-3-like server for the generator endpoint: it keys a running job by session_hash and
 * fn_index, fails a second one under the same key ("generator already executing"), and answers
 * each with its own input once two are running.
 */
async function sessionKeyedServer(): Promise<{ url: string; hashes: string[] }> {
  const http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/config' ? TEST_CONFIG : { named_endpoints: {}, unnamed_endpoints: {} }));
  });
  const wss = new WebSocketServer({ server: http, path: '/queue/join' });
  const running = new Map<string, { socket: WebSocket; data: unknown[] }>();
  const hashes: string[] = [];
  const complete = (socket: WebSocket, data: unknown[]): void =>
    socket.send(JSON.stringify({ msg: 'process_completed', output: { data, is_generating: false }, success: true }));
  wss.on('connection', (socket) => {
    let key = '';
    socket.send(JSON.stringify({ msg: 'send_hash' }));
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { fn_index: number; session_hash: string; data?: unknown[] };
      if (frame.data === undefined) {
        key = `${frame.session_hash}/${frame.fn_index}`;
        hashes.push(frame.session_hash);
        return socket.send(JSON.stringify({ msg: 'send_data' }));
      }
      const other = running.get(key);
      if (other) {
        socket.send(
          JSON.stringify({
            msg: 'process_completed',
            output: { error: 'generator already executing' },
            success: false,
          }),
        );
        return complete(other.socket, other.data);
      }
      running.set(key, { socket, data: frame.data });
      if (running.size === 2) for (const job of running.values()) complete(job.socket, job.data);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, hashes };
}

describe('a Gradio 3 server keying generators by session', () => {
  // Issue 24.8: two submits of one app shared its session_hash and collided (failed before the fix).
  it('runs two concurrent jobs of one endpoint, each under its own session_hash', async () => {
    const server = await sessionKeyedServer();
    const app = await connect(server.url, { WebSocket, retry: false });
    const results = await Promise.all([app.predict('/stream', ['A']), app.predict('/stream', ['B'])]);
    expect(results).toEqual([['A'], ['B']]);
    expect(new Set(server.hashes).size).toBe(2);
    expect(server.hashes).toContain(app.sessionHash);
  });

  it("keeps the app's session_hash for jobs that do not overlap", async () => {
    const server = await sessionKeyedServer();
    const app = await connect(server.url, { WebSocket, retry: false });
    const first = app.predict('/stream', ['A']);
    const other = app.predict('/predict', ['B']);
    await expect(Promise.all([first, other])).resolves.toEqual([['A'], ['B']]);
    expect(server.hashes).toEqual([app.sessionHash, app.sessionHash]);
  });
});
