// @ts-check
// A real `redis-server` for the scale-out bench: a JS twin of packages/server/test/redis-server.ts (the
// tests' launcher is TypeScript, the bench runs plain JS). Free port of 127.0.0.1, no persistence.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** Where Debian puts it; `REDIS_SERVER` overrides. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
/** How many free ports to try when another process takes the one picked before Redis binds it. */
const PORT_ATTEMPTS = 5;

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
// The bench died before its finally blocks ran: no redis-server outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

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
  let lastError;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(port);
      running.add(child);
      const url = `redis://127.0.0.1:${port}`;
      const stats = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      return {
        url,
        commandCalls: async () => countCalls(await stats.info('commandstats')),
        roundTrips: (run) => countRoundTrips(url, stats, run),
        stop: async () => {
          stats.disconnect();
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            await exited;
          }
          running.delete(child);
        },
      };
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw new Error(`redis-server found no free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError });
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

class PortTakenError extends Error {}

/** @returns {Promise<number>} a port the kernel just gave out and took back */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Spawns redis-server and resolves once it accepts connections (it says so on stdout).
 * @param {number} port
 * @returns {Promise<import('node:child_process').ChildProcess>}
 */
function launch(port) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = () => {
      if (/Address already in use/.test(output)) reject(new PortTakenError(output));
      else reject(new Error(`redis-server exited before it was ready:\n${output}`));
    };
    child.once('error', (error) =>
      reject(new Error(`could not start ${REDIS_SERVER} (install Debian's redis-server): ${error.message}`)),
    );
    child.once('exit', onExit);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (/** @type {Buffer} */ chunk) => (output += chunk.toString()));
  });
}
