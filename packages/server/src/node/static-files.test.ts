import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SECURITY_POLICY } from './security-headers.js';
import { serve, type Server } from './serve.js';

describe('static files', () => {
  let dir: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crowdserve-static-'));
    await mkdir(join(dir, 'site', 'assets'), { recursive: true });
    await writeFile(join(dir, 'site', 'index.html'), '<h1>hi</h1>');
    await writeFile(join(dir, 'site', 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside');
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it.each([['without'], ['with']])('serves the folder %s a trailing slash, cross-origin isolated', async (slash) => {
    const root = join(dir, 'site') + (slash === 'with' ? '/' : '');
    const server = await serve({ port: 0, staticDir: root, endpoints: { '/p': { fn: (d) => d } } });
    servers.push(server);
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toBe('<h1>hi</h1>');
    expect(index.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(index.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const asset = await fetch(`${server.url}/assets/app.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${server.url}/..%2Fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
  });

  it('sends nosniff and no-framing everywhere, the page policy on files and a none policy on the API', async () => {
    const server = await serve({ port: 0, staticDir: join(dir, 'site'), endpoints: { '/p': { fn: (d) => d } } });
    servers.push(server);
    for (const path of ['/', '/assets/app.js', '/config', '/missing.js', '/run/p']) {
      const answer = await fetch(`${server.url}${path}`);
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY');
      expect(answer.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-security-policy')).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toContain("worker-src 'self' blob:");
    const api = await fetch(`${server.url}/config`);
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('takes contentSecurityPolicy for the files, or none with null', async () => {
    const own = await serve({
      port: 0,
      staticDir: join(dir, 'site'),
      contentSecurityPolicy: "default-src 'self'",
      endpoints: { '/p': { fn: (d) => d } },
    });
    const none = await serve({
      port: 0,
      staticDir: join(dir, 'site'),
      contentSecurityPolicy: null,
      endpoints: { '/p': { fn: (d) => d } },
    });
    servers.push(own, none);
    expect((await fetch(`${own.url}/`)).headers.get('content-security-policy')).toBe("default-src 'self'");
    const bare = await fetch(`${none.url}/`);
    expect(bare.headers.get('content-security-policy')).toBeNull();
    expect(bare.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
