// Deeply nested JSON as a request body (issue 24.2): predict and the sse_v3 join and cancel bodies get
// the depth budget the WebSocket's data frames have, so the body is refused before JSON.parse builds it.
import { afterEach, describe, expect, it } from 'vitest';
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
