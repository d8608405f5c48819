import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';
import { SharedQueueUnavailableError } from './errors.js';
import { BUILT_LINE, killHard, LineFixture, spawnLineProcess, until } from './line-test-utils.js';

const fixture = new LineFixture();
const servers: RedisServer[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => killHard(child)));
  await fixture.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function redis(): Promise<RedisServer> {
  const server = await startRedisServer();
  servers.push(server);
  return server;
}

describe('RedisLine leases', () => {
  it('reaps a process killed with SIGKILL after its lease: its waiting jobs leave, the others hear who is left', async () => {
    const server = await redis();
    const shared = { url: server.url, key: 'lease', slots: 1, leaseMs: 1000 };
    const a = await fixture.open(shared);
    await a.line.join('a-1', 0, null);
    const spawned = spawnLineProcess({ ...shared, slots: 2 }, ['c-1', 'c-2', 'c-3']);
    children.push(spawned.child);
    const { processId, tickets } = await spawned.ready;
    expect(tickets).toEqual([2, 3, 4]);
    await until(() => expect(a.listener.changes()).toHaveLength(4));
    expect(a.listener.of('processes').at(-1)?.processes).toContainEqual({ id: processId, slots: 2 });

    await killHard(spawned.child);
    await until(() => expect(a.listener.changes().slice(4).sort()).toEqual(['leave c-1', 'leave c-2', 'leave c-3']));
    await until(() =>
      expect(a.listener.of('processes').at(-1)?.processes).toEqual([{ id: a.line.processId, slots: 1 }]),
    );
    // Nothing of it is counted against maxSize: one job waits (a-1), so a maxSize of 2 has room for one.
    expect(await a.line.join('a-2', 0, 2)).toEqual({ accepted: true, ticket: 5 });
    expect(await a.line.join('a-3', 0, 2)).toEqual({ accepted: false, queueSize: 2 });
    const client = fixture.client(server.url);
    expect(await client.keys(`*${processId}*`)).toEqual([]);
  });
});

describe('RedisLine lifetime', () => {
  it('registers again when it finds itself reaped while alive (a pause past its lease)', async () => {
    const server = await redis();
    const a = await fixture.open({ url: server.url, key: 'paused', slots: 3, leaseMs: 1000 });
    const client = fixture.client(server.url);
    // What another process's reaper does to a lease it found expired.
    await client.hdel('{paused}:processes', a.line.processId);
    await client.zrem('{paused}:leases', a.line.processId);
    await expect(a.line.join('refused', 0, null)).rejects.toBeInstanceOf(SharedQueueUnavailableError);
    await until(() =>
      expect(a.listener.of('processes').at(-1)?.processes).toEqual([{ id: a.line.processId, slots: 3 }]),
    );
    await until(async () => expect(await a.line.join('later', 0, null)).toMatchObject({ accepted: true }));
  });

  it('leaves no timer or connection behind: a process that opens a line and closes it exits by itself', async () => {
    const server = await redis();
    const options = { url: server.url, key: 'exit', slots: 1, leaseMs: 1000 };
    const script = `
      const { RedisLine } = await import(${JSON.stringify(BUILT_LINE)});
      const line = await RedisLine.open(${JSON.stringify(options)}, { event() {}, relay() {} });
      await line.join('j', 0, null);
      await line.send(line.processId, 'to myself');
      await line.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    children.push(child);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const client = fixture.client(server.url);
    expect(await client.zcard('{exit}:line')).toBe(0);
  });
});

describe('RedisLine when Redis goes away', () => {
  it('fails joins fast while Redis is down, then reconnects, puts its own jobs back with their tickets and resyncs', async () => {
    const server = await redis();
    const shared = { url: server.url, key: 'restart', slots: 1, leaseMs: 1500, commandTimeoutMs: 1000 };
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    await a.line.join('a-1', 0, null);
    await b.line.join('b-1', 1, null);
    await a.line.join('a-2', 0, null);
    await b.line.join('b-gone', 0, null);
    await b.line.leave('b-gone');
    await until(() => expect(a.listener.changes()).toHaveLength(5));
    await until(() => expect(b.listener.changes()).toHaveLength(5));

    await server.kill();
    // Down: a clear, retryable refusal, never a hang (the test's timeout would catch one).
    const refusal = await a.line.join('a-3', 0, null).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SharedQueueUnavailableError);
    expect(refusal).toMatchObject({ code: 'SHARED_QUEUE_UNAVAILABLE', retryable: true });
    await expect(b.line.claim(['a-1'])).rejects.toBeInstanceOf(SharedQueueUnavailableError);

    await server.restart();
    const expected = [
      { id: 'a-1', fnIndex: 0, owner: a.line.processId, ticket: 1 },
      { id: 'b-1', fnIndex: 1, owner: b.line.processId, ticket: 2 },
      { id: 'a-2', fnIndex: 0, owner: a.line.processId, ticket: 3 },
    ];
    // Each comes back on its own; the resync one lease later holds both processes' jobs.
    for (const { listener } of [a, b]) {
      await until(() => expect(listener.of('resync').at(-1)?.jobs).toEqual(expected));
    }
    // The ticket counter goes on from the highest ticket seen before the crash (b-gone's 4): new joins
    // come after every old one.
    await until(async () => expect(await a.line.join('a-3', 0, null)).toEqual({ accepted: true, ticket: 5 }));
    await until(() => expect(b.listener.changes().at(-1)).toBe('join a-3 #5'));
    expect(await b.line.claim(['a-1', 'b-1'])).toEqual([
      { id: 'a-1', data: undefined },
      { id: 'b-1', data: undefined },
    ]);
  });
});
