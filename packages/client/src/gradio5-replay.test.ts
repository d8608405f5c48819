// Recorded Gradio 5.9.1 sse_v3 transcripts (fixtures/gradio5, origin in its README) replayed against
// the client by a server that only plays back their bytes.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type App, type JobStatus } from './index.node.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/gradio5/${name}`, import.meta.url), 'utf8');
const CONFIG = fixture('config.json');
const EVENT_ID = 'b3c1f0a6e2d94f7c8a5b6d0e9f1a2c3d';

interface Replay {
  url: string;
  requests: string[];
  joins: unknown[];
  close(): Promise<void>;
}

let replay: Replay | undefined;
let app: App | undefined;
afterEach(async () => {
  app?.close();
  app = undefined;
  await replay?.close();
  replay = undefined;
});

/** Serves the recorded config, answers joins with `join`, and plays `stream` in 13-byte pieces. */
async function replayServer(stream: string, join: { status: number; body: unknown }): Promise<Replay> {
  const requests: string[] = [];
  const joins: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    if (path === '/config') return void res.writeHead(200, { 'content-type': 'application/json' }).end(CONFIG);
    if (path === '/gradio_api/queue/join') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        joins.push(JSON.parse(body));
        res.writeHead(join.status, { 'content-type': 'application/json' }).end(JSON.stringify(join.body));
      });
      return;
    }
    if (path === '/gradio_api/queue/data') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      // Pieces that cut lines, and the UTF-8 of "…", anywhere: the parser must not care.
      const bytes = Buffer.from(stream);
      for (let i = 0; i < bytes.length; i += 13) res.write(bytes.subarray(i, i + 13));
      return void res.end();
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    joins,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function play(name: string, endpoint: string, data: unknown[]) {
  replay = await replayServer(fixture(name), { status: 200, body: { event_id: EVENT_ID } });
  app = await connect(replay.url, { retry: false });
  const statuses: JobStatus[] = [];
  const job = app.submit(endpoint, data, { onStatus: (s) => statuses.push(s) });
  const outcome = await job.result.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  return { statuses, outcome, replay, app };
}

describe('Gradio 5.9.1 transcripts replayed', () => {
  it('predict: one join with the inputs, one stream under api_prefix, then queued, running, done', async () => {
    const { statuses, outcome, replay, app } = await play('predict.sse', '/predict', ['World']);
    expect(outcome).toEqual({ result: ['Hello World!'] });
    expect(replay.requests).toEqual([
      'GET /config',
      'GET /gradio_api/info',
      'POST /gradio_api/queue/join',
      'GET /gradio_api/queue/data',
    ]);
    expect(replay.joins).toEqual([
      { data: ['World'], event_data: null, fn_index: 0, trigger_id: null, session_hash: app.sessionHash },
    ]);
    expect(statuses).toEqual([
      { type: 'queued', position: 1, queueSize: 2, eta: null, etaAt: null },
      { type: 'queued', position: 0, queueSize: 1, eta: 1.204, etaAt: expect.any(Number) },
      { type: 'running', eta: 0.998 },
      { type: 'done', data: ['Hello World!'], duration: 1.0012 },
    ]);
  });

  it('a generator: diffs applied to whole partials; log and heartbeat skipped', async () => {
    const { statuses, outcome } = await play('type.sse', '/type', ['Hello']);
    expect(outcome).toEqual({ result: ['Hello'] });
    expect(statuses.filter((s) => s.type === 'partial')).toEqual([
      { type: 'partial', data: ['H'] },
      { type: 'partial', data: ['He'] },
      { type: 'partial', data: ['Hello'] },
      { type: 'partial', data: ['Hello'] },
    ]);
  });

  it('a chatbot: nested appends, an added message, a replaced one', async () => {
    const { statuses, outcome } = await play('chat.sse', '/chat', ['Hi']);
    const history = [
      ['Hi', 'Hello!'],
      ['How are you?', 'Fine.'],
    ];
    expect(outcome).toEqual({ result: [history] });
    expect(statuses.filter((s) => s.type === 'partial').map((s) => (s as { data: unknown }).data)).toEqual([
      [[['Hi', '']]],
      [[['Hi', 'Hel']]],
      [[['Hi', 'Hello!']]],
      [
        [
          ['Hi', 'Hello!'],
          ['How are you?', null],
        ],
      ],
      [history],
    ]);
  });

  it('gr.Progress: progress statuses with their units', async () => {
    const { statuses } = await play('steps.sse', '/steps', [3]);
    expect(statuses.filter((s) => s.type === 'progress')).toEqual([
      { type: 'progress', progress: [{ index: null, length: null, unit: 'steps', progress: 0, desc: 'Starting' }] },
      { type: 'progress', progress: [{ index: 1, length: 3, unit: 'steps', progress: null, desc: null }] },
      { type: 'progress', progress: [{ index: 3, length: 3, unit: 'steps', progress: null, desc: null }] },
    ]);
    expect(statuses.at(-1)).toMatchObject({ type: 'done', data: ['3 steps'] });
  });

  it.each([
    ['fail.sse', '/fail', 'unknown error'],
    ['divide.sse', '/divide', 'Cannot divide by zero!'],
    ['session-not-found.sse', '/predict', '404: Session not found.'],
  ])('%s: SERVER_ERROR with the server text', async (name, endpoint, message) => {
    const { outcome } = await play(name, endpoint, [1]);
    expect(outcome).toEqual({ error: expect.objectContaining({ code: 'SERVER_ERROR', message }) });
  });

  it("a full queue's 503: retried with backoff, then QUEUE_FULL", async () => {
    replay = await replayServer('', {
      status: 503,
      body: { detail: 'Queue is full. Max size is 1 and size is 1.' },
    });
    app = await connect(replay.url, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const statuses: JobStatus[] = [];
    const error = await app.submit('/predict', ['x'], { onStatus: (s) => statuses.push(s) }).result.catch((e) => e);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', attempts: 3, queueSize: null, retryAfter: null });
    expect(statuses.map((s) => s.type)).toEqual(['retrying', 'retrying', 'failed']);
    expect(replay.requests.filter((r) => r.includes('queue/data'))).toEqual([]);
  });
});
