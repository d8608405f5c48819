// The HTTP side against hostile or careless peers (SECURITY.md): aborted and unread downloads, slow
// request bodies, connections that never finish their headers. Raw sockets on loopback; the server's
// descriptors (/proc/self/fd: it runs in this process), memory and internal sizes are measured.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServeOptions } from './options.js';
import { serve, type Server } from './serve.js';
import { RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let dir: string;
const BIG = 8 * 1024 * 1024;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crowdserve-hostile-'));
  await writeFile(join(dir, 'big.wasm'), Buffer.alloc(BIG, 7));
  await writeFile(join(dir, 'index.html'), '<h1>hi</h1>');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function start(options: Partial<ServeOptions> = {}): Promise<Server> {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    staticDir: dir,
    endpoints: { '/predict': { fn: async ([text]) => [String(text).toUpperCase()] } },
    ...options,
  });
  servers.push(server);
  return server;
}

/** Open descriptors of this process, the server's included. */
const fds = (): number => readdirSync('/proc/self/fd').length;

/** A raw TCP client; resolves once connected. */
async function raw(server: Server): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Everything the server sent on `socket` until it closed it. */
function answer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('close', () => resolve(text));
  });
}

const idle = (server: Server) => Object.entries(server.internalSizes()).filter(([, n]) => n !== 0);

describe('static downloads', () => {
  it('closes the file of every aborted download: descriptors return to their baseline', async () => {
    const server = await start();
    const baseline = fds();
    for (let round = 0; round < 3; round++) {
      const clients = await Promise.all(Array.from({ length: 10 }, () => raw(server)));
      await Promise.all(
        clients.map(async (socket) => {
          socket.write('GET /big.wasm HTTP/1.1\r\nHost: x\r\n\r\n');
          // The download has begun (its file is open) when the first bytes arrive; then the client leaves.
          await new Promise((resolve) => socket.once('data', resolve));
          socket.destroy();
        }),
      );
    }
    await vi.waitFor(() => expect(idle(server)).toEqual([]), { timeout: 10_000 });
    await vi.waitFor(() => expect(fds()).toBeLessThanOrEqual(baseline), { timeout: 10_000 });
  });

  it('cuts a client that never reads its download after responseIdleTimeoutMs, and closes the file', async () => {
    const server = await start({ responseIdleTimeoutMs: 200 });
    const baseline = fds();
    const clients = await Promise.all(Array.from({ length: 5 }, () => raw(server)));
    for (const socket of clients) {
      socket.pause();
      socket.write('GET /big.wasm HTTP/1.1\r\nHost: x\r\n\r\n');
    }
    await vi.waitFor(() => expect(server.internalSizes().httpConnections).toBe(5));
    // Nobody reads: the kernel buffers fill, the server's writes stop, and it cuts every one.
    await vi.waitFor(() => expect(server.internalSizes().httpConnections).toBe(0), { timeout: 10_000 });
    for (const socket of clients) socket.destroy();
    await vi.waitFor(() => expect(fds()).toBeLessThanOrEqual(baseline), { timeout: 10_000 });
    // A reader that reads gets the whole file.
    const whole = await fetch(`${server.url}/big.wasm`);
    expect((await whole.arrayBuffer()).byteLength).toBe(BIG);
  });
});

describe('slow request bodies', () => {
  const head = (length: number) =>
    `POST /run/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it('bound what one address buffers (429 past maxBodyBytesPerIp), and time out a body that stops', async () => {
    const part = 3 * 1024 * 1024;
    const server = await start({
      maxPayloadBytes: 4 * 1024 * 1024,
      maxBodyBytesPerIp: 8 * 1024 * 1024,
      bodyTimeoutMs: 300,
      maxConnectionsPerIp: null,
    });
    const filler = Buffer.alloc(part, 0x20);
    const baseline = fds();
    // Eight bodies of 3 MiB each, all but their last byte: 24 MiB if the server buffered them all.
    const clients = await Promise.all(Array.from({ length: 8 }, () => raw(server)));
    const answers = clients.map(answer);
    for (const socket of clients) {
      socket.write(head(part + 1));
      socket.write(filler);
    }
    // What the server holds of the bodies, sampled every turn while they arrive (a garbage-collected
    // heap figure would count chunks already let go).
    let peak = 0;
    let sampling = true;
    const sample = () => {
      peak = Math.max(peak, server.internalSizes().bodyBytes ?? 0);
      if (sampling) setImmediate(sample);
    };
    sample();
    const texts = await Promise.all(answers);
    sampling = false;
    expect(server.internalSizes().bodyBytes).toBe(0);
    // Two bodies' worth was held at some point, never more than the budget.
    expect(peak).toBeGreaterThanOrEqual(part);
    expect(peak).toBeLessThanOrEqual(8 * 1024 * 1024);
    const statuses = texts.map((t) => t.slice(9, 12)).sort();
    // Two fit the budget and time out (408); the rest are refused as they arrive (429).
    expect(statuses.filter((s) => s === '408').length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === '429').length).toBeGreaterThanOrEqual(5);
    expect(new Set(statuses)).toEqual(new Set(['408', '429']));
    expect(texts.find((t) => t.startsWith('HTTP/1.1 429'))).toContain('Retry-After: 1');
    await vi.waitFor(() => expect(idle(server)).toEqual([]), { timeout: 10_000 });
    await vi.waitFor(() => expect(fds()).toBeLessThanOrEqual(baseline), { timeout: 10_000 });
    // Whole bodies still get through.
    const ok = await fetch(`${server.url}/run/predict`, { method: 'POST', body: JSON.stringify({ data: ['ok'] }) });
    expect(await ok.json()).toMatchObject({ data: ['OK'] });
  });

  it('bound what all addresses buffer together (503 past maxBodyBytesTotal)', async () => {
    const server = await start({ maxBodyBytesTotal: 64 * 1024, bodyTimeoutMs: 5_000 });
    const first = await raw(server);
    first.write(head(60 * 1024) + ' '.repeat(50 * 1024));
    await vi.waitFor(() => expect(server.internalSizes().bodyBytes).toBe(50 * 1024));
    const second = await raw(server);
    const refused = answer(second);
    second.write(head(60 * 1024) + ' '.repeat(20 * 1024));
    expect(await refused).toMatch(/^HTTP\/1\.1 503[^]*Retry-After: 1[^]*reading too many request bodies/);
    first.destroy();
    await vi.waitFor(() => expect(idle(server)).toEqual([]));
  });

  it('refuses a declared Content-Length over maxPayloadBytes before reading it', async () => {
    const server = await start({ maxPayloadBytes: 1024 });
    const socket = await raw(server);
    const refused = answer(socket);
    socket.write(head(10 * 1024 * 1024));
    expect(await refused).toMatch(/^HTTP\/1\.1 413/);
    expect(server.internalSizes().bodyBytes).toBe(0);
  });
});

describe('connections per address, plain HTTP included', () => {
  it('refuses connections past maxConnectionsPerIp unread, also those whose headers never finish', async () => {
    const server = await start({ maxConnectionsPerIp: 5, headersTimeoutMs: 60_000 });
    const baseline = fds();
    const clients = await Promise.all(Array.from({ length: 20 }, () => raw(server)));
    const answers = clients.map(answer);
    for (const socket of clients) socket.write('GET /config HTTP/1.1\r\nHost: x\r\n'); // never finished
    const refused = await Promise.all(answers.slice(5));
    for (const text of refused) {
      expect(text).toMatch(/^HTTP\/1\.1 429[^]*Retry-After: 1[^]*too many connections from your address \(limit 5\)/);
    }
    expect(server.internalSizes()).toMatchObject({ connections: 5, connectionAddresses: 1, httpConnections: 5 });
    // Each of the five still holding a place costs one descriptor here and one on the client side.
    expect(fds()).toBeLessThanOrEqual(baseline + 20 + 5);
    for (const socket of clients) socket.destroy();
    await vi.waitFor(() => expect(idle(server)).toEqual([]));
    await vi.waitFor(() => expect(fds()).toBeLessThanOrEqual(baseline));
  });

  it('counts a WebSocket once: its upgraded HTTP connection', async () => {
    const server = await start({ maxConnectionsPerIp: 2 });
    const jobs = [new RawJob(server.url), new RawJob(server.url)];
    for (const job of jobs) await job.waitFor('send_hash');
    expect(server.internalSizes()).toMatchObject({ connections: 2, wsClients: 2 });
    const third = await raw(server);
    expect(await answer(third)).toMatch(/^HTTP\/1\.1 429/);
    jobs[0]!.socket.close();
    await vi.waitFor(() => expect(server.internalSizes().connections).toBe(1));
    const next = RawJob.auto(server.url, 0, ['again']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['AGAIN'] } });
    jobs[1]!.socket.close();
    await vi.waitFor(() =>
      expect(server.internalSizes()).toMatchObject({ connections: 0, wsClients: 0, httpConnections: 0 }),
    );
  });
});
