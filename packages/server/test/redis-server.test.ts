import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './redis-server.js';

describe('startRedisServer', () => {
  const started: RedisServer[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });

  it('starts a real redis-server on a free port of 127.0.0.1, which restarts empty and stops', async () => {
    const server = await startRedisServer();
    started.push(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    clients.push(client);
    // Refused connections while Redis restarts are expected here; the commands below say what matters.
    client.on('error', () => {});
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);

    await server.restart();
    // ioredis reconnects by itself; the new Redis holds nothing (no persistence).
    client.options.maxRetriesPerRequest = 5;
    await expect.poll(() => client.get('k').catch((error: Error) => error.message)).toBe(null);

    await server.stop();
    await server.stop();
    await expect(client.ping()).rejects.toThrow();
  });

  it('two servers get two ports', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    started.push(a, b);
    expect(a.port).not.toBe(b.port);
  });
});
