// @ts-check
// The scale-out bench's processes and load (bench/scale-out.js): server processes alone or sharing a
// queue on Redis, a closed-loop load over them, and what their reports say.
import { startChild } from './child.js';
import { startRedisServer } from './redis-server.js';
import { quantile } from './stats.js';
import { runJob } from './ws-job.js';

/**
 * @typedef {Awaited<ReturnType<typeof startChild>>} Child
 * @typedef {Awaited<ReturnType<typeof startRedisServer>>} RedisServer
 * @typedef {{ jobsPerSecond: number, p50: number, p99: number, redisCallsPerJob: number | null }} Run
 */

/** Every process this section starts, so that all of them stop at the end, also on failure. */
export class Fleet {
  /** @type {Set<Child>} */
  servers = new Set();
  /** @type {Set<RedisServer>} */
  redis = new Set();

  async startRedis() {
    const r = await startRedisServer();
    this.redis.add(r);
    return r;
  }

  /**
   * `count` server processes of one queue (shared on `redis` under `key` when given).
   * @param {number} count
   * @param {Record<string, unknown>} config see servers/scale-server.js
   * @param {{ redis: RedisServer, key: string }} [shared]
   */
  async startServers(count, config, shared) {
    /** @type {Child[]} */
    const group = [];
    for (let i = 0; i < count; i++) {
      const redis = shared ? { url: shared.redis.url, key: shared.key } : undefined;
      const child = await startChild('servers/scale-server.js', [JSON.stringify({ ...config, seed: i + 3, redis })]);
      this.servers.add(child);
      group.push(child);
    }
    return group;
  }

  /** @param {Child[]} group */
  async stop(group) {
    await Promise.allSettled(
      group.map((child) => {
        this.servers.delete(child);
        return child.child.exitCode === null && child.child.signalCode === null ? child.stop() : undefined;
      }),
    );
  }

  async stopAll() {
    await this.stop([...this.servers]);
    await Promise.allSettled([...this.redis].map((r) => r.stop()));
    this.redis.clear();
  }
}

/**
 * Closed-loop load: `inFlight` clients, each sending its next job when one ends, spread round-robin over
 * `urls`. Counts the Redis commands served meanwhile when `redis` is given.
 * @param {string[]} urls
 * @param {number} total jobs
 * @param {number} inFlight
 * @param {RedisServer} [redis]
 * @returns {Promise<Run>}
 */
export async function load(urls, total, inFlight, redis) {
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  const callsBefore = redis ? await redis.commandCalls() : 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const url = /** @type {string} */ (urls[next++ % urls.length]);
        latencies.push(/** @type {number} */ (await runJob(url, ['x'])));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const redisCallsPerJob = redis ? ((await redis.commandCalls()) - callsBefore) / total : null;
  return {
    jobsPerSecond: total / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    redisCallsPerJob,
  };
}

/** @param {Run[]} runs */
export function mean(runs) {
  const avg = (/** @type {(r: Run) => number} */ f) => runs.reduce((sum, r) => sum + f(r), 0) / runs.length;
  const calls = runs[0]?.redisCallsPerJob === null ? null : avg((r) => Number(r.redisCallsPerJob));
  return {
    jobsPerSecond: avg((r) => r.jobsPerSecond),
    p50: avg((r) => r.p50),
    p99: avg((r) => r.p99),
    redisCallsPerJob: calls,
  };
}

/** @param {Child[]} group */
export const urlsOf = (group) => group.map((c) => c.url);

/** Jobs of the untimed run that counts round trips. */
export const ROUND_TRIP_JOBS = 100;

/**
 * Redis round trips per job (commands the servers sent, scripts' inner calls left out) over an untimed run.
 * @param {{ group: Child[], redis: RedisServer }} side
 * @param {number} inFlight
 */
export async function countRoundTrips(side, inFlight) {
  const trips = await side.redis.roundTrips(() => load(urlsOf(side.group), ROUND_TRIP_JOBS, Math.min(inFlight, 30)));
  return trips / ROUND_TRIP_JOBS;
}

/**
 * The model runs each process of `group` did ({ start, end } epoch ms), one list per process.
 * @param {Child[]} group
 */
export function modelRuns(group) {
  return Promise.all(
    group.map(
      (server) =>
        /** @type {Promise<{ runs: { start: number, end: number }[] }>} */ (
          new Promise((resolve) => {
            server.child.once('message', (m) => resolve(/** @type {any} */ (m)));
            server.child.send('report');
          })
        ),
    ),
  );
}

/**
 * How long a 1-slot process's slot stood idle between one run and the next (ms), over every process: the
 * hand-over's cost (pick, claim, ask for data, data back), where the scaling run loses against 3×.
 * @param {{ runs: { start: number, end: number }[] }[]} reports
 * @param {number} skip runs left out at the start of each process's list (the warm-up load)
 */
export function slotIdleMs(reports, skip) {
  /** @type {number[]} */
  const gaps = [];
  for (const { runs } of reports) {
    for (let i = skip + 1; i < runs.length; i++) {
      gaps.push(/** @type {{ start: number }} */ (runs[i]).start - /** @type {{ end: number }} */ (runs[i - 1]).end);
    }
  }
  return { p50: quantile(gaps, 0.5), p90: quantile(gaps, 0.9) };
}
