// Guards of the Node server against hostile peers (SECURITY.md): origins, frame and connection
// limits, slow handshakes. Real sockets on loopback; hostile framing is written by hand over TCP.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { EndpointDefinition } from '../endpoint.js';
import type { ServeOptions } from './options.js';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeOptions> = {}): Promise<Server> {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    endpoints: { '/predict': upper },
    ...options,
  });
  servers.push(server);
  return server;
}

const upper: EndpointDefinition = { fn: async ([text]) => [String(text).toUpperCase()] };

/** The HTTP status a WebSocket upgrade gets (101 when it opens). */
function upgradeStatus(server: Server, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/queue/join`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => {});
  });
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain `node:http` request: unlike fetch, it sends `Origin` and `Sec-Fetch-*` as given. */
function http(
  server: Server,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // A connection per request, closed after it: every TCP connection counts against maxConnectionsPerIp.
    const req = httpRequest(`${server.url}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

// ── hand-written WebSocket framing ──────────────────────────────────────────

const OP = { continuation: 0x0, text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One masked client frame; `declaredLength` lies about the payload when given. */
function frame(opcode: number, payload: Buffer = Buffer.alloc(0), fin = true, declaredLength = payload.length): Buffer {
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (declaredLength < 126) head.push(0x80 | declaredLength);
  else if (declaredLength < 65536) head.push(0x80 | 126, declaredLength >> 8, declaredLength & 0xff);
  else {
    head.push(0x80 | 127);
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(declaredLength));
    head.push(...length);
  }
  const mask = [1, 2, 3, 4];
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([...head, ...mask]), body]);
}

/** A TCP socket that did the WebSocket upgrade by hand; records the close code the server sends. */
interface RawPeer {
  socket: Socket;
  closeCode: () => number | undefined;
  ended: Promise<void>;
  /** The server's text frames so far. */
  texts: string[];
  /** How many pongs the server sent (each after all that came before its ping was read). */
  pongs: () => number;
}

async function rawPeer(server: Server): Promise<RawPeer> {
  const socket = connect(server.port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  let code: number | undefined;
  let pongs = 0;
  const texts: string[] = [];
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const open = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve();
      }
      // Server frames are unmasked and small here: read their opcodes, keep the close code.
      while (buffer.length >= 2) {
        const length = buffer[1]! & 0x7f;
        const offset = length === 126 ? 4 : 2;
        const size = length === 126 ? buffer.readUInt16BE(2) : length;
        if (buffer.length < offset + size) break;
        if ((buffer[0]! & 0x0f) === OP.close) code = buffer.readUInt16BE(offset);
        if ((buffer[0]! & 0x0f) === OP.text) texts.push(buffer.subarray(offset, offset + size).toString());
        if ((buffer[0]! & 0x0f) === OP.pong) pongs++;
        buffer = buffer.subarray(offset + size);
      }
    });
  });
  socket.write(
    'GET /queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await open;
  return { socket, closeCode: () => code, ended, texts, pongs: () => pongs };
}

/**
 * A raw peer whose job waits unasked: no prefetch, and the one slot held by a job (`running`) whose
 * handler waits for `gate`. Resolves once the peer has joined and heard its place.
 */
async function unaskedPeer() {
  const gate = deferred();
  const server = await start({
    prefetchData: false,
    endpoints: { '/slow': { fn: async ([x]) => (await gate.promise, [x]) } },
  });
  const running = RawJob.auto(server.url, 0, ['first']);
  await running.waitFor('process_starts');
  const peer = await rawPeer(server);
  peer.socket.write(frame(OP.text, Buffer.from(JSON.stringify({ fn_index: 0, session_hash: 'early' }))));
  await vi.waitFor(() => expect(peer.texts.join()).toContain('estimation'));
  return { gate, server, running, peer };
}

/** `global.gc` without `--expose-gc`: the flag can be set at run time for new contexts. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Every internal size at 0: what an idle server with no one connected looks like. */
function idle(server: Server): Record<string, number> {
  return Object.fromEntries(Object.keys(server.internalSizes()).map((key) => [key, 0]));
}

function memoryInUse(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('origins at the WebSocket handshake', () => {
  it('with a list: only those origins, compared whole; foreign, null, look-alikes and browser calls without Origin get 403', async () => {
    const server = await start({ allowedOrigins: ['https://my.app'] });
    const refused: Record<string, string>[] = [
      { Origin: 'https://evil.test' },
      { Origin: 'null' },
      { Origin: 'https://my.app.evil.test' },
      { Origin: 'https://evil-my.app' },
      { Origin: 'https://my.app:8443' },
      { Origin: 'http://my.app' },
      { Origin: 'https://my.app/' },
      { Origin: 'HTTPS://MY.APP' },
      { Origin: 'https://my.app@evil.test' },
      { Origin: 'file://' },
      { Origin: 'https://my.app, https://evil.test' },
      // A browser context that lost its Origin still says where it comes from.
      { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'websocket' },
      { 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const headers of refused) expect(await upgradeStatus(server, headers), JSON.stringify(headers)).toBe(403);
    expect((await http(server, '/metrics')).body).toContain(
      `crowdserve_refused_total{reason="origin"} ${refused.length}`,
    );
    expect(await upgradeStatus(server, { Origin: 'https://my.app' })).toBe(101);
    // No Origin and no browser headers: a script or @gradio/client in Node.
    expect(await upgradeStatus(server, {})).toBe(101);
    // Node's own fetch and WebSocket send Sec-Fetch-Mode alone: still not a browser page.
    expect(await upgradeStatus(server, { 'Sec-Fetch-Mode': 'websocket' })).toBe(101);
  });

  it('by default: loopback origins and the server’s own host; look-alikes of loopback get 403', async () => {
    const server = await start();
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1', 'https://[::1]:8443', server.url]) {
      expect(await upgradeStatus(server, { Origin: origin }), origin).toBe(101);
    }
    // Behind a proxy that keeps the Host header, the page's own origin is that host.
    expect(await upgradeStatus(server, { Host: 'demo.example:8080', Origin: 'https://demo.example:8080' })).toBe(101);
    expect(await upgradeStatus(server, { Host: 'demo.example:8080', Origin: 'https://demo.example:9090' })).toBe(403);
    for (const origin of [
      'http://localhost.evil.test',
      'http://127.0.0.1.evil.test',
      'http://evil.test',
      'null',
      'chrome-extension://abc',
    ]) {
      expect(await upgradeStatus(server, { Origin: origin }), origin).toBe(403);
    }
  });
});

describe('origins on the HTTP routes', () => {
  it('answers CORS only for allowed origins, on preflights and on GETs', async () => {
    const server = await start({ allowedOrigins: ['https://my.app'] });
    const allowed = await http(server, '/config', { headers: { Origin: 'https://my.app' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://my.app');
    expect(allowed.headers.vary).toContain('Origin');
    const foreign = await http(server, '/config', { headers: { Origin: 'https://evil.test' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' };
    const okPreflight = await http(server, '/run/predict', {
      method: 'OPTIONS',
      headers: { Origin: 'https://my.app', ...preflight },
    });
    expect(okPreflight.headers['access-control-allow-origin']).toBe('https://my.app');
    expect(okPreflight.headers['access-control-allow-methods']).toContain('POST');
    const badPreflight = await http(server, '/run/predict', {
      method: 'OPTIONS',
      headers: { Origin: 'https://my.app.evil.test', ...preflight },
    });
    expect(badPreflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(badPreflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('refuses a predict POST from a foreign origin with 403 before it joins the queue', async () => {
    const calls: unknown[] = [];
    const server = await start({
      allowedOrigins: ['https://my.app'],
      endpoints: { '/predict': { fn: async (data) => (calls.push(data), data) } },
    });
    const body = JSON.stringify({ data: ['x'] });
    for (const headers of [
      { Origin: 'https://evil.test' },
      { Origin: 'null' },
      { Origin: 'https://my.app.evil.test' },
      { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' },
    ] as Record<string, string>[]) {
      const answer = await http(server, '/run/predict', { method: 'POST', headers, body });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(calls).toEqual([]);
    const ok = await http(server, '/run/predict', { method: 'POST', headers: { Origin: 'https://my.app' }, body });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://my.app');
    expect(JSON.parse(ok.body)).toMatchObject({ data: ['x'] });
    expect(calls).toEqual([['x']]);
    // Node's fetch: no Origin, Sec-Fetch-Mode only.
    const node = await fetch(`${server.url}/run/predict`, { method: 'POST', body });
    expect(node.status).toBe(200);
    expect(calls).toEqual([['x'], ['x']]);
  });
});

describe('frame limits', () => {
  it('closes with 1009 on a frame that only declares a size over maxPayloadBytes, before any of it arrives', async () => {
    const server = await start({ maxPayloadBytes: 64 * 1024 });
    const peer = await rawPeer(server);
    peer.socket.write(frame(OP.text, Buffer.alloc(0), true, 2 ** 30));
    await peer.ended;
    expect(peer.closeCode()).toBe(1009);
    await vi.waitFor(() => expect(server.internalSizes().wsClients).toBe(0));
  });

  it('keeps memory flat while many clients send frames over maxPayloadBytes', async () => {
    const gc = gcFunction();
    const server = await start({ maxPayloadBytes: 64 * 1024 });
    const oversize = 'x'.repeat(4 * 1024 * 1024);
    // Sent once joined: before its first message a socket is cut at 16 KiB (MAX_PRE_JOIN_BYTES, close 1006).
    let n = 0;
    const send = async () => {
      const job = new RawJob(server.url);
      await job.waitFor('send_hash');
      job.send({ fn_index: 0, session_hash: `big-${n++}` });
      // The server's first answer to the join (an estimation or send_data): the join was read on its own.
      await vi.waitFor(() => expect(job.types().length).toBeGreaterThan(1));
      job.send(oversize);
      const code = await job.waitClosed();
      // Over maxPayloadBytes once asked for its data (ws closes 1009); over 16 KiB before it, the job
      // fails at the frame's header (1000, with the reason).
      const unasked = code === 1000 && JSON.stringify(job.last()).includes('before the server asked for data');
      return code === 1009 || unasked ? 'refused' : code;
    };
    await send(); // warm up: code paths compiled, pools allocated
    const before = memoryInUse(gc);
    const codes = [];
    for (let round = 0; round < 5; round++) codes.push(...(await Promise.all(Array.from({ length: 8 }, send))));
    expect(codes).toEqual(Array(40).fill('refused'));
    await vi.waitFor(() => expect(server.internalSizes().wsClients).toBe(0));
    // 40 × 4 MiB were sent; what stays behind is far less than even one of them.
    expect(memoryInUse(gc) - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('fails a job whose data nests too deep in one small frame, never parsing it (issue 24.2)', async () => {
    const server = await start();
    const peer = await rawPeer(server);
    peer.socket.write(frame(OP.text, Buffer.from(JSON.stringify({ fn_index: 0, session_hash: 'deep' }))));
    await vi.waitFor(() => expect(peer.texts.join()).toContain('send_data'));
    // Whole in one chunk: JSON.parse would take it (V8 nests this deep), and the job would run on it.
    peer.socket.write(frame(OP.text, Buffer.from(`{"data":[${'['.repeat(2000)}${']'.repeat(2000)}]}`)));
    await vi.waitFor(() => expect(peer.closeCode()).toBe(1000));
    expect(peer.texts.at(-1)).toContain('nested at most 64 levels deep');
  });

  it.each([
    { name: 'one frame', fragmented: false },
    { name: 'fragments', fragmented: true },
  ])(
    'fails a job whose data nests too deep at the first bytes past the budget, not at the end of its message ($name, issue 24.2)',
    async ({ fragmented }) => {
      const server = await start();
      const peer = await rawPeer(server);
      peer.socket.write(frame(OP.text, Buffer.from(JSON.stringify({ fn_index: 0, session_hash: 'deep' }))));
      await vi.waitFor(() => expect(peer.texts.join()).toContain('send_data'));
      // A message of 3 MiB (under maxPayloadBytes) is declared; only its first 64 KiB are ever sent.
      const start64k = Buffer.from(`{"data":[${'['.repeat(64 * 1024)}`);
      const size = 3 * 1024 * 1024;
      peer.socket.write(
        fragmented
          ? Buffer.concat([
              frame(OP.text, Buffer.from('{"data":'), false),
              frame(OP.ping, Buffer.from('[[[[')),
              frame(OP.continuation, start64k.subarray(8), true, size),
            ])
          : frame(OP.text, start64k, true, size),
      );
      await vi.waitFor(() => expect(peer.closeCode()).toBe(1000));
      expect(peer.texts.at(-1)).toContain('nested at most 64 levels deep');
      await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0 }));
      const next = RawJob.auto(server.url, 0, ['next']);
      await next.waitClosed();
      expect(next.last()).toMatchObject({ success: true, output: { data: ['NEXT'] } });
    },
  );

  it('fails a job that sends a long message before its data is asked for, at the frame header (issue 24.2)', async () => {
    const { gate, server, running, peer } = await unaskedPeer();
    // A short message nobody asked for is ignored, as Gradio does.
    peer.socket.write(frame(OP.text, Buffer.from('{"data":["early"]}')));
    // A 3 MiB message (under maxPayloadBytes) is declared; only its first KiB is ever sent.
    peer.socket.write(frame(OP.text, Buffer.from(`{"data":["${'x'.repeat(1024)}`), true, 3 * 1024 * 1024));
    await vi.waitFor(() => expect(peer.closeCode()).toBe(1000));
    expect(peer.texts.join()).not.toContain('send_data');
    expect(peer.texts.at(-1)).toContain('a message of 3145728 bytes came before the server asked for data');
    gate.resolve();
    await running.waitClosed();
    expect(running.last()).toMatchObject({ success: true, output: { data: ['first'] } });
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0 }));
  });

  it('still takes a job whose short early message was ignored, once its data is asked for', async () => {
    const { gate, peer } = await unaskedPeer();
    peer.socket.write(frame(OP.text, Buffer.from(JSON.stringify({ data: ['y'.repeat(8 * 1024)] }))));
    // The pong comes once the early message was read (and ignored), before the slot frees.
    peer.socket.write(frame(OP.ping));
    await vi.waitFor(() => expect(peer.pongs()).toBe(1));
    gate.resolve();
    await vi.waitFor(() => expect(peer.texts.join()).toContain('send_data'));
    peer.socket.write(
      frame(
        OP.text,
        Buffer.from(JSON.stringify({ data: ['z'.repeat(20 * 1024)], fn_index: 0, session_hash: 'early' })),
      ),
    );
    await vi.waitFor(() => expect(peer.texts.join()).toContain('process_completed'));
    expect(peer.texts.at(-1)).toContain('"success":true');
    expect(peer.texts.at(-1)).toContain('z'.repeat(100));
  });

  it('closes a message split into a flood of empty fragments (which maxPayloadBytes alone never stops)', async () => {
    const server = await start();
    const peer = await rawPeer(server);
    // After a join: before its first message a socket is cut at 16 KiB (MAX_PRE_JOIN_BYTES, close 1006).
    peer.socket.write(frame(OP.text, Buffer.from(JSON.stringify({ fn_index: 0, session_hash: 'fragments' }))));
    await vi.waitFor(() => expect(server.internalSizes().hostJobs).toBe(1));
    const flood = Buffer.concat([
      frame(OP.text, Buffer.from('{'), false),
      ...Array.from({ length: 20_000 }, () => frame(OP.continuation, Buffer.alloc(0), false)),
    ]);
    peer.socket.write(flood);
    await peer.ended;
    expect(peer.closeCode()).toBe(1008);
    await vi.waitFor(() => expect(server.internalSizes().wsClients).toBe(0));
  });

  it('closes a socket that floods tiny complete frames, and drops its job', async () => {
    const gate = deferred();
    const server = await start({
      // The queue's data-timeout tick outlives the job (it fires idle); short, so the test sees it go.
      dataTimeoutMs: 300,
      endpoints: { '/slow': { fn: async ([x]) => (await gate.promise, [x]) } },
    });
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send({ fn_index: 0, session_hash: 'flood' });
    await job.waitFor('send_data');
    job.send({ data: ['x'], event_data: null, fn_index: 0, session_hash: 'flood' });
    await job.waitFor('process_starts');
    for (let i = 0; i < 5000 && job.closeCode === undefined; i++) job.send('{}');
    expect(await job.waitClosed()).toBe(1008);
    expect(job.last()).toMatchObject({ msg: 'process_completed', success: false });
    gate.resolve();
    await vi.waitFor(() => expect(server.internalSizes()).toEqual(idle(server)));
  });

  it('terminates a socket that floods pings while never reading the pongs', async () => {
    const server = await start();
    const peer = await rawPeer(server);
    peer.socket.pause();
    const pings = Buffer.concat(Array.from({ length: 2000 }, () => frame(OP.ping, Buffer.alloc(100, 1))));
    for (let i = 0; i < 50 && !peer.socket.destroyed; i++) peer.socket.write(pings);
    await vi.waitFor(() => expect(server.internalSizes().wsClients).toBe(0), { timeout: 10_000 });
  });
});

describe('connections per address', () => {
  it('refuses sockets over maxConnectionsPerIp with 429 and a reason, and counts a closed one out', async () => {
    const server = await start({ maxConnectionsPerIp: 3 });
    const held = [new RawJob(server.url), new RawJob(server.url), new RawJob(server.url)];
    for (const job of held) await job.waitFor('send_hash');
    const refused = await new Promise<{ status: number; body: string; retryAfter: string | undefined }>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/queue/join`);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }),
        );
      });
      ws.on('error', () => {});
    });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('too many connections from your address (limit 3)');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    const post = await http(server, '/run/predict', { method: 'POST', body: JSON.stringify({ data: ['x'] }) });
    expect(post.status).toBe(429);
    expect(JSON.parse(post.body)).toEqual({ detail: 'too many connections from your address (limit 3)' });
    expect((await http(server, '/healthz')).status).toBe(429);
    held[0]!.socket.close();
    await held[0]!.waitClosed();
    await vi.waitFor(() => expect(server.internalSizes().connections).toBe(2));
    const metrics = (await http(server, '/metrics')).body;
    expect(metrics).toContain('crowdserve_refused_total{reason="connections_per_ip"} 3');
    expect(metrics).toContain('crowdserve_queue_sockets 2');
    const next = RawJob.auto(server.url, 0, ['again']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['AGAIN'] } });
    for (const job of held.slice(1)) job.socket.close();
    await vi.waitFor(() => expect(server.internalSizes().connections).toBe(0));
  });

  it('counts predict POSTs in flight against the same limit', async () => {
    const gate = deferred();
    const server = await start({
      maxConnectionsPerIp: 2,
      endpoints: { '/slow': { fn: async ([x]) => (await gate.promise, [x]) } },
    });
    const body = JSON.stringify({ data: ['x'] });
    const first = http(server, '/run/slow', { method: 'POST', body });
    const second = http(server, '/run/slow', { method: 'POST', body });
    await vi.waitFor(() => expect(server.stats().waiting + server.stats().running).toBe(2));
    expect(await upgradeStatus(server, {})).toBe(429);
    gate.resolve();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    await vi.waitFor(() => expect(server.internalSizes().connections).toBe(0));
    expect(await upgradeStatus(server, {})).toBe(101);
  });

  it('null lifts the limit', async () => {
    const server = await start({ maxConnectionsPerIp: null });
    const jobs = Array.from({ length: 80 }, () => new RawJob(server.url));
    for (const job of jobs) await job.waitFor('send_hash');
    expect(server.internalSizes().wsClients).toBe(80);
    for (const job of jobs) job.socket.close();
  });
});

describe('hostile request lines', () => {
  /** Sends raw bytes, resolves with whatever came back before the server closed or 300 ms passed. */
  function raw(server: Server, text: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      sockets.push(socket);
      let answer = '';
      const done = () => {
        socket.destroy();
        resolve(answer);
      };
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.includes('\r\n\r\n')) done();
      });
      socket.on('error', done);
      socket.on('close', done);
      socket.write(text);
    });
  }
  const upgradeHeaders =
    'Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

  it('answers request targets that are not URLs with 400, on plain requests and upgrades alike', async () => {
    const server = await start();
    for (const target of ['//[', 'http://[::1', '//a:b:c']) {
      expect(await raw(server, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`), target).toMatch(/^HTTP\/1\.1 400/);
      expect(await raw(server, `GET ${target} HTTP/1.1\r\n${upgradeHeaders}`), target).toMatch(/^HTTP\/1\.1 400/);
    }
    const job = RawJob.auto(server.url, 0, ['alive']);
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['ALIVE'] } });
  });

  it('survives a predict POST that hangs up halfway through its body', async () => {
    const server = await start();
    for (let i = 0; i < 5; i++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('POST /run/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"data": ["par');
      await vi.waitFor(() => expect(server.internalSizes().connections).toBe(1));
      socket.destroy();
      await vi.waitFor(() => expect(server.internalSizes().connections).toBe(0));
    }
    const ok = await fetch(`${server.url}/run/predict`, { method: 'POST', body: JSON.stringify({ data: ['whole'] }) });
    expect(await ok.json()).toMatchObject({ data: ['WHOLE'] });
  });

  it('survives peers that reset the connection while a refused upgrade is answered', async () => {
    const server = await start({ allowedOrigins: ['https://my.app'] });
    const request = `GET /queue/join HTTP/1.1\r\nOrigin: https://evil.test\r\n${upgradeHeaders}`;
    for (let i = 0; i < 300; i++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      // A body after the headers leaves unread bytes, so the close is a reset.
      socket.write(request + 'x'.repeat(i % 2 === 0 ? 65536 : 0));
      if (i % 2 === 0) socket.resetAndDestroy();
      else setImmediate(() => socket.resetAndDestroy());
    }
    await vi.waitFor(() => expect(server.internalSizes().httpConnections).toBe(0));
    const job = RawJob.auto(server.url, 0, ['alive']);
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['ALIVE'] } });
  });

  it('survives arbitrary request targets (fuzzed): every one gets an HTTP answer', async () => {
    const server = await start();
    const target = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
    });
    await fc.assert(
      fc.asyncProperty(target, fc.boolean(), async (path, asUpgrade) => {
        const answer = await raw(server, `GET ${path} HTTP/1.1\r\n${asUpgrade ? upgradeHeaders : 'Host: x\r\n\r\n'}`);
        expect(answer).toMatch(/^HTTP\/1\.1 [1-5]\d\d/);
        expect(answer).not.toMatch(/^HTTP\/1\.1 5/);
      }),
      { numRuns: 200 },
    );
    const job = RawJob.auto(server.url, 0, ['alive']);
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['ALIVE'] } });
  });
});

describe('static files', () => {
  it('never serves a file outside staticDir, however the path is spelled', async () => {
    const root = await mkdtemp(join(tmpdir(), 'crowdserve-static-'));
    await mkdir(join(root, 'site'));
    await writeFile(join(root, 'site', 'index.html'), '<h1>ok</h1>');
    await writeFile(join(root, 'secret.txt'), 'secret');
    await writeFile(join(root, 'site-other.txt'), 'sibling');
    try {
      const server = await start({ staticDir: join(root, 'site') });
      expect((await http(server, '/')).body).toBe('<h1>ok</h1>');
      for (const path of [
        '/../secret.txt',
        '/..%2fsecret.txt',
        '/%2e%2e/secret.txt',
        '/%2e%2e%2fsecret.txt',
        '/..%5csecret.txt',
        '/....//secret.txt',
        '/%2e%2e/site-other.txt',
        '/index.html%00.txt',
        '/%E0%A4%A',
      ]) {
        const answer = await http(server, path);
        expect(answer.status, path).toBe(404);
        expect(answer.body).not.toContain('secret');
        expect(answer.body).not.toContain('sibling');
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('slow handshakes', () => {
  async function drip(server: Server, text: string): Promise<string> {
    const socket = connect(server.port, '127.0.0.1');
    sockets.push(socket);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let i = 0;
    const timer = setInterval(() => {
      if (i < text.length && socket.writable) socket.write(text[i++]!);
    }, 20);
    await closed;
    clearInterval(timer);
    expect(i === 0 || i < text.length).toBe(true);
    return answer;
  }

  it('cuts an upgrade request sent a byte at a time with 408 after headersTimeoutMs, and keeps serving', async () => {
    const server = await start({ headersTimeoutMs: 300 });
    const upgrade =
      'GET /queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    expect(await drip(server, upgrade)).toMatch(/^HTTP\/1\.1 408/);
    const job = RawJob.auto(server.url, 0, ['still here']);
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['STILL HERE'] } });
  });

  it('cuts a connection that never sends a request', async () => {
    const server = await start({ headersTimeoutMs: 300 });
    expect(await drip(server, '')).toMatch(/^(HTTP\/1\.1 408)?/);
    expect(server.internalSizes().httpConnections).toBe(0);
  });
});
