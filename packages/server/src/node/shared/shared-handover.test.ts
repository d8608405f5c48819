// The hand-over of a job between processes of a shared queue (issue 23, DESIGN §9.6): the data of an own
// job near the front is stashed in Redis by the process holding its client, and the claim brings it to
// whichever process runs it. Three real server processes on a real redis-server, on both dialects.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';
import { submit, type Call, type Dialect } from '../../../test/shared-callers.js';
import { Reports, startSharedServers, type SharedServer } from '../../../test/shared-servers.js';
import { dataKey, lineKeys } from './line-keys.js';

const ECHO = 0;
const HOLD = 1;

let redis: RedisServer;
let client: Redis;
let servers: SharedServer[] = [];
let reports: Reports;
let key = '';
let keys = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  servers = [];
});

async function start(leaseMs?: number): Promise<void> {
  reports = new Reports();
  keys += 1;
  key = `h${keys}`;
  servers = await startSharedServers(3, { redisUrl: redis.url, key, ...(leaseMs ? { leaseMs } : {}) }, reports);
  // Every slot (one per process) holds a `/hold` job, each running before the next is sent.
  for (const [i, server] of servers.entries()) {
    await submit('ws', server.url, HOLD, `h${i}`);
    await reports.waitFor((r) => r.started === `h${i}`, `h${i} started`);
  }
}

/** Lets the `/hold` job running on `server` finish (the first slot free anywhere took each). */
function releaseHoldOn(server: SharedServer): void {
  const hold = reports.all.find((r) => r.tag === server.tag && r.started?.startsWith('h'))!.started!;
  server.release(hold);
}

/** How many waiting jobs have their data in Redis. */
const stashed = (): Promise<number> => client.hlen(dataKey(lineKeys(key)));

async function waitingAt(server: SharedServer): Promise<number> {
  const status = (await (await fetch(`${server.url}/queue/status`)).json()) as { queue_size: number };
  return status.queue_size;
}

/** One job on servers[0], waiting until its data is in Redis. */
async function stashedJob(dialect: Dialect, name: string): Promise<Call> {
  const call = await submit(dialect, servers[0]!.url, HOLD, name);
  expect(await call.admitted).toBe(true);
  await vi.waitFor(async () => expect(await stashed()).toBe(1), { timeout: 20_000, interval: 20 });
  return call;
}

/**
 * Frees servers[1]'s slot and runs one more job (on a free slot: s1's, or s2's if its job was for a
 * client of a killed s0): a job still waiting ahead of it would have been picked first.
 */
async function serveNextOn(dialect: Dialect): Promise<void> {
  releaseHoldOn(servers[1]!);
  const after = await submit(dialect, servers[1]!.url, ECHO, 'after');
  expect(await after.completed()).toMatchObject({
    success: true,
    output: { data: [expect.stringMatching(/^after@s[12]$/)] },
  });
}

describe.each<Dialect>(['ws', 'sse_v3'])('a shared queue hands a job over with its data, over %s', (dialect) => {
  it('runs a job of another process with the data stashed at the front of the line', async () => {
    await start();
    const call = await stashedJob(dialect, 'd0');
    releaseHoldOn(servers[2]!);
    await reports.waitFor((r) => r.started === 'd0', 'd0 started');
    expect(reports.all.find((r) => r.started === 'd0')?.tag).toBe('s2');
    expect(await stashed()).toBe(0); // the claim took it out of Redis
    servers[2]!.release('d0');
    expect(await call.completed()).toMatchObject({ success: true, output: { data: ['d0@s2'] } });
    // s0's `/metrics` has the shared line's figures: d0 (at least) left its engine for another process.
    const metrics = await (await fetch(`${servers[0]!.url}/metrics`)).text();
    expect(metrics).toContain('crowdserve_shared_processes 3');
    expect(metrics).toContain('crowdserve_shared_relay_outbox 0');
    expect(Number(/^crowdserve_shared_released_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('drops the job and its data when the process holding its client is killed after stashing it', async () => {
    await start(1500);
    await stashedJob(dialect, 'k0');
    await servers[0]!.kill();
    // Reaped after its lease: the job left every line, and its data left Redis.
    await vi.waitFor(async () => expect(await waitingAt(servers[1]!)).toBe(0), { timeout: 20_000, interval: 50 });
    expect(await stashed()).toBe(0);
    await serveNextOn(dialect);
    expect(reports.started()).not.toContain('k0');
  });

  it('drops the job and its data when its client leaves after its data was stashed', async () => {
    await start();
    const call = await stashedJob(dialect, 'l0');
    await call.leave();
    await vi.waitFor(async () => expect(await waitingAt(servers[1]!)).toBe(0), { timeout: 20_000, interval: 50 });
    expect(await stashed()).toBe(0);
    await serveNextOn(dialect);
    expect(reports.started()).not.toContain('l0');
  });
});
