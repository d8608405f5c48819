// @ts-check
// A real `redis-server` for the scale-out bench (tools/redis-server/, shared with the tests), with
// counters of the commands it served.
import { Redis } from 'ioredis';
import { startRedisServer as launchRedisServer } from '../../tools/redis-server/redis-server.js';

/**
 * Starts `redis-server --save '' --appendonly no` on a free port. `commandCalls`: every command served so
 * far, those run inside Lua scripts included (Redis's work). `roundTrips(run)`: the commands clients sent
 * while `run` ran, scripts' inner calls left out (MONITOR, which slows Redis: keep it out of timed runs).
 * @returns {Promise<{
 *   url: string,
 *   commandCalls: () => Promise<number>,
 *   roundTrips: (run: () => Promise<unknown>) => Promise<number>,
 *   stop: () => Promise<void>,
 * }>}
 */
export async function startRedisServer() {
  const server = await launchRedisServer();
  const { url } = server;
  const stats = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return {
    url,
    commandCalls: async () => countCalls(await stats.info('commandstats')),
    roundTrips: (run) => countRoundTrips(url, stats, run),
    stop: async () => {
      stats.disconnect();
      await server.stop();
    },
  };
}

/**
 * Every command Redis has served so far (INFO commandstats), less the INFO calls that read it.
 * @param {string} info
 */
function countCalls(info) {
  let calls = 0;
  for (const [, name, n] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info') calls += Number(n);
  }
  return calls;
}

/** Ends a MONITOR count: once the monitor has seen it, it has seen every command sent before it. */
const MARK = 'scale-out-bench-mark';

/**
 * @param {string} url
 * @param {Redis} marker a connection of its own, to send the mark
 * @param {() => Promise<unknown>} run
 */
async function countRoundTrips(url, marker, run) {
  const monitor = await new Redis(url, { lazyConnect: true }).monitor();
  let count = 0;
  /** @type {() => void} */
  let marked = () => {};
  const seenMark = new Promise((resolve) => (marked = () => resolve(undefined)));
  monitor.on('monitor', (/** @type {number} */ _time, /** @type {string[]} */ args, /** @type {string} */ source) => {
    if (source === 'lua') return;
    if (String(args[0]).toLowerCase() === 'echo' && args[1] === MARK) marked();
    else count++;
  });
  try {
    await run();
    await marker.echo(MARK);
    await seenMark;
    return count;
  } finally {
    monitor.disconnect();
  }
}
