// The claims of the server README's "Deploying" section, one test each, on a real server (and a
// real reverse proxy in front of it where the claim is about one).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EndpointDefinition } from '../endpoint.js';
import type { ServeOptions } from './options.js';
import { startReverseProxy, type ReverseProxy } from '../../test/reverse-proxy-test-utils.js';
import { serve, type Server } from './serve.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Partial<ServeOptions> = {}): Promise<Server> {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    endpoints: { '/predict': upper },
    ...options,
  });
  cleanups.push(() => server.close());
  return server;
}

async function proxy(server: Server, options: { keepHost: boolean; forwardUpgrade: boolean }): Promise<ReverseProxy> {
  const started = await startReverseProxy(server.url, options);
  cleanups.push(() => started.close());
  return started;
}

const upper: EndpointDefinition = { fn: async ([text]) => [String(text).toUpperCase()] };

/** A GET with the headers as given (fetch would set its own Origin and Sec-Fetch-*). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(url, { headers, agent: false });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

/** The status a WebSocket upgrade to `url`'s queue gets: 101 when it opens. Open sockets are closed after the test. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/queue/join`, { headers });
    cleanups.push(async () => void ws.terminate());
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('open', () => resolve(101));
    ws.on('error', () => resolve(0));
  });
}

describe('Deploying: a page on a real origin', () => {
  it('without allowedOrigins, /config gets no CORS header and the queue socket gets 403', async () => {
    const server = await start();
    const config = await get(`${server.url}/config`, { Origin: 'https://my.app' });
    expect(config.status).toBe(200);
    expect(config.headers['access-control-allow-origin']).toBeUndefined();
    expect(await upgradeStatus(server.url, { Origin: 'https://my.app' })).toBe(403);
  });

  it("with allowedOrigins: ['https://my.app'], /config answers CORS and the socket opens; other origins still get 403", async () => {
    const server = await start({ allowedOrigins: ['https://my.app'] });
    const config = await get(`${server.url}/config`, { Origin: 'https://my.app' });
    expect(config.headers['access-control-allow-origin']).toBe('https://my.app');
    expect(await upgradeStatus(server.url, { Origin: 'https://my.app' })).toBe(101);
    expect(await upgradeStatus(server.url, { Origin: 'https://other.app' })).toBe(403);
  });
});

describe('Deploying: cross-origin isolation (multi-threaded WASM)', () => {
  it('serves the files of staticDir with COOP same-origin, COEP require-corp and CORP same-origin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crowdserve-deploy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    const server = await start({ staticDir: dir });
    const page = await get(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    });
  });
});

describe('Deploying: behind a reverse proxy', () => {
  it('a proxy that passes Upgrade, Connection and Host on carries the queue: a job runs through it', async () => {
    const server = await start();
    const front = await proxy(server, { keepHost: true, forwardUpgrade: true });
    const job = RawJob.auto(front.url, 0, ['through the proxy']);
    cleanups.push(async () => void job.socket.terminate());
    const done = await job.waitFor('process_completed');
    expect(done).toMatchObject({ success: true, output: { data: ['THROUGH THE PROXY'] } });
  });

  it('a proxy that drops the Upgrade header gets no WebSocket: the server answers the plain GET with 404', async () => {
    const server = await start();
    const front = await proxy(server, { keepHost: true, forwardUpgrade: false });
    expect(await upgradeStatus(front.url)).toBe(404);
  });

  it("with the page's Host passed on, the page's own origin is allowed by default; with the upstream's Host it needs allowedOrigins", async () => {
    // The browser on https://my.app talks to a TLS proxy, which connects to the server over plain http.
    const page = { Origin: 'https://my.app', Host: 'my.app' };
    const server = await start();
    const keeps = await proxy(server, { keepHost: true, forwardUpgrade: true });
    expect(await upgradeStatus(keeps.url, page)).toBe(101);
    const rewrites = await proxy(server, { keepHost: false, forwardUpgrade: true });
    expect(await upgradeStatus(rewrites.url, page)).toBe(403);

    const listed = await start({ allowedOrigins: ['https://my.app'] });
    const listedFront = await proxy(listed, { keepHost: false, forwardUpgrade: true });
    expect(await upgradeStatus(listedFront.url, page)).toBe(101);
  });

  it('X-Forwarded-For is ignored: per-address limits count the proxy, so every client shares one budget', async () => {
    const release = deferred();
    const server = await start({
      maxConnectionsPerIp: 1,
      endpoints: { '/hold': { fn: async () => (await release.promise, ['done']) } },
    });
    cleanups.push(async () => release.resolve());
    // Two "different clients", as the proxy would label them, from one address: the second is refused.
    expect(await upgradeStatus(server.url, { 'X-Forwarded-For': '203.0.113.1' })).toBe(101);
    expect(await upgradeStatus(server.url, { 'X-Forwarded-For': '203.0.113.2' })).toBe(429);
  });

  it('X-Forwarded-Proto is not needed: /config holds no absolute URL, the client derives wss:// from the https:// it was given', async () => {
    const server = await start();
    const front = await proxy(server, { keepHost: false, forwardUpgrade: true });
    const config = await get(`${front.url}/config`);
    expect(config.status).toBe(200);
    expect(config.body).not.toMatch(/(?:https?|wss?):\/\//);
  });
});
