// @ts-check
// A real `redis-server` (Debian's package, installed by .ci/run) for the shared-queue tests and the
// scale-out bench: started on a free port of 127.0.0.1, without persistence, and always stopped. No mock
// Redis (issue 23). Plain JS with JSDoc types, so the bench imports it unbuilt; tsconfig.test.json checks it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Where Debian puts it; `REDIS_SERVER` overrides. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** How many free ports to try when another process takes the one picked before Redis binds it. */
const PORT_ATTEMPTS = 5;

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
// The process died before its finally blocks ran: no redis-server outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * @typedef {object} RedisServer
 * @property {string} url `redis://127.0.0.1:<port>`
 * @property {number} port
 * @property {() => Promise<void>} stop Stops it (SIGTERM) and waits for it to exit. Safe to call twice.
 * @property {() => Promise<void>} kill Kills it with SIGKILL and waits for it to exit: Redis going away as in a crash.
 * @property {() => Promise<void>} restart Starts it again on the same port, empty (no persistence): Redis restarted.
 */

/**
 * Starts `redis-server` on a free port of 127.0.0.1 with `--save '' --appendonly no`.
 * @returns {Promise<RedisServer>}
 */
export async function startRedisServer() {
  let lastError;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    try {
      return await serverOn(port, await launch(port));
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw new Error(`redis-server found no free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError });
}

/**
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} first the redis-server launched on it
 * @returns {RedisServer}
 */
function serverOn(port, first) {
  let child = first;
  /** @param {NodeJS.Signals} signal */
  const stopWith = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    }
    running.delete(child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    restart: async () => {
      await stopWith('SIGKILL');
      child = await launch(port);
    },
  };
}

class PortTakenError extends Error {}

/** @returns {Promise<number>} a port the kernel just gave out and took back: free unless someone else grabs it first */
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
        running.add(child);
        resolve(child);
      }
    };
    const onExit = () => {
      if (/Address already in use/.test(output)) reject(new PortTakenError(output));
      else reject(new Error(`redis-server exited before it was ready:\n${output}`));
    };
    child.once('error', (error) =>
      reject(
        new Error(
          `could not start ${REDIS_SERVER} (install Debian's redis-server, as .ci/run does, or set REDIS_SERVER): ${error.message}`,
        ),
      ),
    );
    child.once('exit', onExit);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (/** @type {Buffer} */ chunk) => (output += chunk.toString()));
  });
}
