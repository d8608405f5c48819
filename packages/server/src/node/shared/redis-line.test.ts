import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';
import { SharedQueueUnavailableError } from './errors.js';
import { LineFixture, until } from './line-test-utils.js';
import { dataKey, lineKeys } from './line-keys.js';
import type { Claimed } from './line-types.js';
import { STASH_MAX_BYTES } from './shared-line.js';

let redis: RedisServer;
let keyCount = 0;
const fixture = new LineFixture();
/** Each test its own line on the one redis-server of this file (default lease: none expires here). */
const options = (slots = 1) => ({ url: redis.url, key: `test-${(keyCount += 1)}`, slots });

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(() => fixture.closeAll());
afterAll(() => redis.stop());

describe('RedisLine joins', () => {
  it('accepts exactly maxSize jobs under a storm of 200 concurrent joins from 3 connections, and has room again after leaves', async () => {
    const shared = options();
    const lines = await Promise.all([1, 2, 3].map(() => fixture.open(shared)));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => lines[i % 3]!.line.join(`job-${i}`, 0, 50)),
    );
    const accepted = results.flatMap((result, i) => (result.accepted ? [{ i, ticket: result.ticket }] : []));
    expect(accepted).toHaveLength(50);
    // Tickets are given only to accepted joins: 1..50, each once.
    expect(accepted.map(({ ticket }) => ticket).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    // Nothing left while the storm ran, so every refusal saw a full line.
    for (const result of results) if (!result.accepted) expect(result.queueSize).toBe(50);

    const [a, b] = lines as [(typeof lines)[0], (typeof lines)[0]];
    await Promise.all(accepted.slice(0, 3).map(({ i }) => a.line.leave(`job-${i}`)));
    await a.line.leave('never-joined'); // a no-op
    const again = await Promise.all(['x', 'y', 'z', 'w'].map((id) => b.line.join(id, 1, 50)));
    expect(again.map((result) => result.accepted)).toEqual(expect.arrayContaining([true, true, true, false]));
    expect(again.filter((result) => result.accepted)).toHaveLength(3);
    expect(again.find((result) => !result.accepted)).toEqual({ accepted: false, queueSize: 50 });
  });

  it('gives every process the same events in one order, with tickets that rise in it', async () => {
    const shared = options();
    const lines = await Promise.all([1, 2, 3].map(() => fixture.open(shared)));
    await Promise.all(Array.from({ length: 60 }, (_, i) => lines[i % 3]!.line.join(`job-${i}`, i % 2, null)));
    await Promise.all(Array.from({ length: 10 }, (_, i) => lines[(i + 1) % 3]!.line.leave(`job-${i * 3}`)));
    for (const { listener } of lines) await until(() => expect(listener.changes()).toHaveLength(70));

    const [first, ...others] = lines.map(({ listener }) => listener.changes());
    for (const other of others) expect(other).toEqual(first);
    const joins = lines[0]!.listener.of('join');
    const tickets = joins.map(({ job }) => job.ticket);
    expect(tickets).toEqual([...tickets].sort((a, b) => a - b));
    expect(new Set(tickets).size).toBe(60);
    // Every job says whose it is and which endpoint.
    expect(joins.find(({ job }) => job.id === 'job-4')?.job).toMatchObject({
      owner: lines[1]!.line.processId,
      fnIndex: 0,
    });
  });

  it('delivers the line as it stands to a process that opens late (resync, then processes)', async () => {
    const shared = options(2);
    const a = await fixture.open(shared);
    await a.line.join('early', 3, null);
    const b = await fixture.open({ ...shared, slots: 4 });
    expect(b.listener.events.slice(0, 2)).toEqual([
      { type: 'resync', jobs: [{ id: 'early', fnIndex: 3, owner: a.line.processId, ticket: 1 }] },
      {
        type: 'processes',
        processes: expect.arrayContaining([
          { id: a.line.processId, slots: 2 },
          { id: b.line.processId, slots: 4 },
        ]),
      },
    ]);
    // A hears B come.
    await until(() => expect(a.listener.of('processes').at(-1)?.processes).toHaveLength(2));
  });
});

describe('RedisLine claims', () => {
  it('gives every job to exactly one of two processes claiming overlapping sets at once, round after round', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    const wonBy = new Map<string, string>();
    for (let round = 0; round < 25; round += 1) {
      const ids = Array.from({ length: 20 }, (_, i) => `r${round}-${i}`);
      await Promise.all(ids.map((id, i) => (i % 2 === 0 ? a : b).line.join(id, 0, null)));
      const idsOf = (claimed: Claimed[]): string[] => claimed.map((job) => job.id);
      const [wonA, wonB] = (
        await Promise.all([a.line.claim(ids.slice(0, 15)), b.line.claim(ids.slice(5).reverse())])
      ).map(idsOf) as [string[], string[]];
      for (const id of wonA) wonBy.set(id, wonBy.has(id) ? 'twice' : 'a');
      for (const id of wonB) wonBy.set(id, wonBy.has(id) ? 'twice' : 'b');
      expect([...wonA, ...wonB].sort()).toEqual([...ids].sort());
      // A claims in the order asked.
      expect(wonA).toEqual(ids.slice(0, 15).filter((id) => wonA.includes(id)));
    }
    expect([...wonBy.values()]).not.toContain('twice');
    expect(wonBy.size).toBe(500);
    expect(await a.line.claim([...wonBy.keys()].slice(0, 5))).toEqual([]); // none left to win
    // The stream says who won each, to both.
    await until(() => expect(b.listener.of('claim')).toHaveLength(500));
    for (const event of b.listener.of('claim')) {
      const claimer = wonBy.get(event.id) === 'a' ? a.line.processId : b.line.processId;
      expect(event.claimer).toBe(claimer);
    }
  });

  it('hands the data its owner stashed to the claimer, and keeps none of a job that left the line', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    const data = fixture.client(redis.url);
    const stashed = () => data.hlen(dataKey(lineKeys(shared.key)));
    for (const id of ['s1', 's2', 's3', 'plain']) await a.line.join(id, 0, null);
    expect(await a.line.stash('s1', ['one', { n: 1 }])).toBe(true);
    expect(await a.line.stash('s2', ['two'])).toBe(true);
    expect(await a.line.stash('s3', ['three'])).toBe(true);
    // Over the cap: not kept (its claimer asks the owner), and no round trip is spent on it.
    expect(await a.line.stash('plain', ['x'.repeat(STASH_MAX_BYTES)])).toBe(false);
    expect(await a.line.stash('never-joined', ['y'])).toBe(false);
    expect(await stashed()).toBe(3);

    expect(await b.line.claim(['s1', 'plain'])).toEqual([
      { id: 's1', data: ['one', { n: 1 }] },
      { id: 'plain', data: undefined },
    ]);
    expect(await b.line.stash('s1', ['late'])).toBe(false); // claimed: no longer waiting
    await a.line.leave('s2');
    expect(await stashed()).toBe(1);
    // Its owner gone: its waiting jobs leave the line, their data too.
    await a.line.close();
    expect(await stashed()).toBe(0);
    expect(await b.line.claim(['s3'])).toEqual([]);
  });

  it('publishes batches started and finished by any process', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    await a.line.batchStarted('batch-1', 2, 3);
    await a.line.batchFinished('batch-1', 0.25, true);
    await until(() => expect(b.listener.of('batchFinished')).toHaveLength(1));
    expect(b.listener.of('batchStarted')).toEqual([
      { type: 'batchStarted', process: a.line.processId, key: 'batch-1', fnIndex: 2, size: 3 },
    ]);
    expect(b.listener.of('batchFinished')).toEqual([
      { type: 'batchFinished', process: a.line.processId, key: 'batch-1', seconds: 0.25, ok: true },
    ]);
  });
});

describe('RedisLine relay', () => {
  it('delivers 1000 messages from A to B in order, JSON bodies intact, and trims the inbox', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    const bodies = Array.from({ length: 1000 }, (_, n) => ({
      n,
      text: `é ${n}\n"`,
      nested: { list: [n, null, true] },
    }));
    await Promise.all(bodies.map((body) => a.line.send(b.line.processId, body)));
    await until(() => expect(b.listener.relays).toHaveLength(1000));
    expect(b.listener.relays).toEqual(bodies.map((body) => ({ from: a.line.processId, body })));
    expect(a.listener.relays).toEqual([]);
    const client = fixture.client(redis.url);
    await until(async () => expect(await client.xlen(`{${shared.key}}:inbox:${b.line.processId}`)).toBe(0));
  });

  it('keeps delivering across a killed reader connection, continuing the stream without a resync', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    await b.line.join('before', 0, null);
    await until(() => expect(a.listener.changes()).toEqual(['join before #1']));
    const client = fixture.client(redis.url);
    const list = (await client.client('LIST')) as string;
    const reader = list.split('\n').find((line) => line.includes(`name=crowdserve:${a.line.processId}:reader`));
    const id = /id=(\d+)/.exec(reader ?? '')?.[1];
    expect(id).toBeDefined();
    await client.client('KILL', 'ID', id!);
    await b.line.join('after', 0, null);
    await b.line.send(a.line.processId, 'hello');
    await until(() => expect(a.listener.changes()).toEqual(['join before #1', 'join after #2']));
    await until(() => expect(a.listener.relays).toEqual([{ from: b.line.processId, body: 'hello' }]));
    expect(a.listener.of('resync')).toHaveLength(1); // the one of open()
  });

  it('resyncs when the stream has a hole (entries trimmed before this process read them)', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    await a.line.join('one', 0, null);
    await until(() => expect(a.listener.changes()).toHaveLength(1));
    const client = fixture.client(redis.url);
    // What a trim past the reader looks like to it: the next seq it gets is not the next one.
    const [last] = (await client.xrevrange(`{${shared.key}}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const seq = Number(last![0].split('-')[1]);
    await client.xadd(`{${shared.key}}:events`, `0-${seq + 5}`, 't', 'leave', 'i', 'one');
    await until(() => expect(a.listener.of('resync')).toHaveLength(2));
    expect(a.listener.of('resync')[1]!.jobs.map(({ id }) => id)).toEqual(['one']);
    expect(a.listener.changes()).toEqual(['join one #1']); // the entry after the hole was not taken as read
    await a.line.join('two', 0, null);
    await until(() => expect(a.listener.changes()).toEqual(['join one #1', 'join two #2']));
  });
});

describe('RedisLine opening and closing', () => {
  it('rejects open() clearly when Redis is unreachable', async () => {
    const gone = await startRedisServer();
    await gone.stop();
    const error = await fixture
      .open({ url: gone.url, key: 'k', slots: 1, commandTimeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SharedQueueUnavailableError);
    expect(error).toMatchObject({ code: 'SHARED_QUEUE_UNAVAILABLE' });
    expect((error as Error).message).toContain(`could not reach Redis at ${gone.url}`);
  });

  it('close() takes its waiting jobs off the line and leaves the live set; commands after it fail', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    const b = await fixture.open(shared);
    await b.line.join('b-1', 0, null);
    await b.line.join('b-2', 0, null);
    await a.line.join('a-1', 0, null);
    await b.line.close();
    await b.line.close();
    await until(() => expect(a.listener.changes().slice(-2).sort()).toEqual(['leave b-1', 'leave b-2']));
    await until(() =>
      expect(a.listener.of('processes').at(-1)?.processes).toEqual([{ id: a.line.processId, slots: 1 }]),
    );
    expect(await a.line.join('a-2', 0, 2)).toEqual({ accepted: true, ticket: 4 });
    await expect(b.line.join('b-3', 0, null)).rejects.toBeInstanceOf(SharedQueueUnavailableError);
    const client = fixture.client(redis.url);
    await until(async () => expect(await client.client('LIST')).not.toContain(b.line.processId));
  });

  it('drops a message to a process that is not live, and says so', async () => {
    const shared = options();
    const a = await fixture.open(shared);
    expect(await a.line.send('nobody', { x: 1 })).toBe(false);
    expect(await a.line.send(a.line.processId, { x: 1 })).toBe(true);
    const client = fixture.client(redis.url);
    expect(await client.exists(`{${shared.key}}:inbox:nobody`)).toBe(0);
  });
});
