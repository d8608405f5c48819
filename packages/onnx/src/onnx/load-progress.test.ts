import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithProgress } from './load-progress.js';
import type { LoadProgress } from './load-progress.js';

// A real HTTP server: each file is sent in chunks, with its Content-Length, counting requests.
const files: Record<string, Uint8Array> = {
  '/model.onnx': new Uint8Array(100_000).map((_, i) => i % 251),
  '/ort.wasm': new Uint8Array(300_000).map((_, i) => i % 13),
};
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    // No keep-alive: on a loaded machine the next test's fetch could reuse a socket the server is just
    // closing after its idle timeout, and fail with "fetch failed" (seen in CI).
    response.setHeader('Connection', 'close');
    const body = files[request.url ?? ''];
    if (!body) return void response.writeHead(404).end('gone');
    response.writeHead(200, { 'content-length': body.byteLength });
    for (let offset = 0; offset < body.byteLength; offset += 65_536) {
      response.write(body.subarray(offset, offset + 65_536));
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchWithProgress', () => {
  it('fetches each file once and reports bytes across all of them, up to the total', async () => {
    requests.length = 0;
    const seen: LoadProgress[] = [];
    const [model, wasm] = await fetchWithProgress([`${base}/model.onnx`, `${base}/ort.wasm`], (p) => seen.push(p));
    expect(new Uint8Array(model as ArrayBuffer)).toEqual(files['/model.onnx']);
    expect(new Uint8Array(wasm as ArrayBuffer)).toEqual(files['/ort.wasm']);
    expect(requests.sort()).toEqual(['/model.onnx', '/ort.wasm']);
    expect(seen.every((p) => p.phase === 'fetch')).toBe(true);
    const loaded = seen.map((p) => p.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    // Partial progress shows between the first and last report, never past the total.
    expect(seen.some((p) => p.total === 400_000 && p.loaded > 0 && p.loaded < 400_000)).toBe(true);
    expect(seen.every((p) => p.total === 0 || p.loaded <= p.total)).toBe(true);
    expect(seen.at(-1)).toEqual({ phase: 'fetch', loaded: 400_000, total: 400_000 });
  });

  it('rejects with the URL and status of a file that is not there', async () => {
    await expect(fetchWithProgress([`${base}/missing.onnx`], () => undefined)).rejects.toThrow(
      `could not fetch ${base}/missing.onnx: HTTP 404`,
    );
  });
});
