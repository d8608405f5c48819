// A real `redis-server` (Debian's package, installed by .ci/run) for the shared-queue tests: started on
// a free port of 127.0.0.1, without persistence, and always stopped. No mock Redis (issue 23).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** Where Debian puts it; `REDIS_SERVER` overrides. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** How many free ports to try when another process takes the one picked before Redis binds it. */
const PORT_ATTEMPTS = 5;

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL and waits for it to exit: Redis going away as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence): Redis restarted. */
  restart(): Promise<void>;
}

/** Starts `redis-server` on a free port of 127.0.0.1 with `--save '' --appendonly no`. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    try {
      let child = await launch(port);
      const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill(signal);
        await exited;
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
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw new Error(`redis-server found no free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError });
}

class PortTakenError extends Error {}

/** A port the kernel just gave out and took back: free unless someone else grabs it first. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Spawns redis-server and resolves once it accepts connections (it says so on stdout). */
function launch(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (): void => {
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
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
}
