// Deeply nested JSON as a request body (issue 24.2): predict and the sse_v3 join and cancel bodies get
// the depth budget the WebSocket's data frames have, so the body is refused before JSON.parse builds it.
import { request, type IncomingMessage } from 'node:http';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { serve, type Server } from './serve.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** 3 MiB of `[[[[…` (under maxPayloadBytes): JSON.parse makes millions of arrays of it before anything is checked. */
const NESTED = `{"data":[${'['.repeat(3 * 1024 * 1024)}],"fn_index":0,"session_hash":"abcdefghijk"}`;

describe('nested JSON bodies (issue 24.2)', () => {
  it.each([
    { path: '/run/predict', status: 400 },
    { path: '/gradio_api/queue/join', status: 422 },
    { path: '/gradio_api/cancel', status: 422 },
  ])('POST $path: $status by the depth budget, holding no memory for it', async ({ path, status }) => {
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      endpoints: { '/predict': { fn: async (d) => d } },
    });
    servers.push(server);
    const body = Buffer.from(NESTED);
    const heap = process.memoryUsage().heapUsed;
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { detail: string }).detail).toContain('nested at most 64 levels deep');
    // What the server kept of it: its text, not a parsed tree (that is hundreds of MB).
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
    expect(server.internalSizes()).toMatchObject({ hostJobs: 0, bodyBytes: 0 });
    const ok = await fetch(`${server.url}/run/predict`, { method: 'POST', body: JSON.stringify({ data: [[[1]]] }) });
    expect(await ok.json()).toMatchObject({ data: [[[1]]] });
  });
});

/** A POST that declares `declared` bytes, sends `first` and nothing more; resolves with the answer. */
function partialPost(url: string, first: Buffer, declared: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Length': declared } }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(first);
  });
}

/** `global.gc` without `--expose-gc`: the flag can be set at run time for new contexts. */
function memoryInUse(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('nested JSON, refused as it arrives (issue 24.2)', () => {
  it.each([
    { path: '/run/predict', status: 400 },
    { path: '/gradio_api/queue/join', status: 422 },
  ])(
    'POST $path: $status at the first chunk past the depth budget, before the rest of the body',
    async ({ path, status }) => {
      // A body that stalls would be answered 408 after bodyTimeoutMs: far past any wait here.
      const server = await serve({
        port: 0,
        host: '127.0.0.1',
        bodyTimeoutMs: 10 * 60_000,
        endpoints: { '/predict': { fn: async (d) => d } },
      });
      servers.push(server);
      // 3 MiB declared, 64 KiB sent: the answer cannot wait for the rest.
      const answer = await partialPost(`${server.url}${path}`, Buffer.from(NESTED.slice(0, 64 * 1024)), NESTED.length);
      expect(answer.status).toBe(status);
      expect(answer.body).toContain('nested at most 64 levels deep');
      await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ bodyBytes: 0, bodyAddresses: 0 }));
    },
  );

  it('memory in use returns to its baseline after deep bodies and data frames sent whole, 8 at a time', async () => {
    const server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/predict': { fn: async (d) => d } } });
    servers.push(server);
    const body = Buffer.from(NESTED);
    const frameJob = () =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/queue/join`);
        ws.on('message', (raw: Buffer) => {
          const text = raw.toString();
          if (text.includes('send_hash')) ws.send(JSON.stringify({ fn_index: 0, session_hash: 'deep-frame' }));
          else if (text.includes('send_data')) ws.send(body);
        });
        ws.on('error', () => {});
        ws.on('close', () => resolve());
      });
    const bodyJob = async () =>
      void (await (await fetch(`${server.url}/run/predict`, { method: 'POST', body })).text());
    const round = () => Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? frameJob() : bodyJob())));
    await round(); // warm up: code compiled, pools allocated
    const before = memoryInUse();
    for (let i = 0; i < 4; i++) await round();
    await vi.waitFor(() => expect(server.internalSizes()).toMatchObject({ hostJobs: 0, wsClients: 0, bodyBytes: 0 }));
    // 32 × 3 MiB arrived; what stays behind is less than one of them.
    expect(memoryInUse() - before).toBeLessThan(3 * 1024 * 1024);
  });
});
