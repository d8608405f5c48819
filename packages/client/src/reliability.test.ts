// The client when the server goes away and comes back, when a crowd is turned away at once, and
// when cancels race; against the real Node server (`@crowdserve/server/node`) over loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serve, type Handler, type Server, type ServeOptions } from '@crowdserve/server/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type App, type JobStatus, type RetryingStatus, type TransportOption } from './index.node.js';

/** Every test below runs on both dialects a crowdserve server serves. */
const TRANSPORTS = ['ws', 'sse_v3'] as const satisfies readonly TransportOption[];

const servers: Server[] = [];
const apps: App[] = [];
let child: ChildProcess | undefined;
const unhandled = vi.fn();

beforeEach(() => {
  unhandled.mockClear();
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  vi.useRealTimers();
  for (const app of apps.splice(0)) app.close();
  child?.kill('SIGKILL');
  child = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', unhandled);
  expect(unhandled).not.toHaveBeenCalled();
});

async function start(options: Omit<ServeOptions, 'host'>): Promise<Server> {
  const server = await serve({ port: 0, host: '127.0.0.1', closeGraceMs: 200, ...options });
  servers.push(server);
  return server;
}

async function client(
  url: string,
  transport: TransportOption,
  options: Parameters<typeof connect>[1] = {},
): Promise<App> {
  const app = await connect(url, { transport, ...options });
  apps.push(app);
  return app;
}

/** A handler that never answers: keeps its job running until the server goes. */
const forever: Handler = () => new Promise<unknown[]>(() => {});

/**
 * A server in its own process, so it can die the hard way (no close frame, no terminal message), and
 * so a test can fake this process's timers without stopping the server's. `options` are spread into
 * `serve()` (JSON, so `null` survives).
 */
async function startChild(port: number, options: Partial<Omit<ServeOptions, 'endpoints'>> = {}): Promise<string> {
  const script = `
    import { serve } from '@crowdserve/server/node';
    const s = await serve({ port: ${port}, host: '127.0.0.1', ...${JSON.stringify(options)}, endpoints: {
      '/predict': { fn: ([x]) => x === 'hang' ? new Promise(() => {}) : [String(x).toUpperCase()] },
    } });
    console.log(s.url);
  `;
  child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<string>((resolve) => createInterface({ input: child!.stdout! }).once('line', resolve));
}

/**
 * Fakes the client's clock: the waits between attempts and `Date.now()`. Sockets and the server (in a
 * child process) stay real, so nothing moves on the fake clock while an attempt talks to the server.
 */
function fakeClientClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldClearNativeTimers: true });
}

describe.each(TRANSPORTS)('server restarts over %s', (transport) => {
  it('a crash mid-job is CONNECTION_LOST; once the server is back on the same port, a new submit works', async () => {
    const url = await startChild(0);
    const app = await client(url, transport);
    const job = app.submit('/predict', ['hang']);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    const dead = child!;
    // Listened for before the kill: the exit may come before the client notices the lost connection.
    const exited = new Promise((resolve) => dead.once('exit', resolve));
    dead.kill('SIGKILL');
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await exited;

    await startChild(Number(new URL(url).port));
    expect(await app.predict('/predict', ['back'])).toEqual(['BACK']);
  });

  it('a graceful restart mid-job is SERVER_ERROR "shutting down"; the next server on the port serves the same app', async () => {
    const first = await start({ endpoints: { '/predict': { fn: forever } } });
    const app = await client(first.url, transport);
    const job = app.submit('/predict', ['x']);
    await vi.waitFor(() => expect(job.status?.type).toBe('running'));
    await first.close();
    await expect(job.result).rejects.toMatchObject({ code: 'SERVER_ERROR', message: 'the server is shutting down' });

    await start({ port: first.port, endpoints: { '/predict': { fn: async ([x]) => [`again ${String(x)}`] } } });
    expect(await app.predict('/predict', ['y'])).toEqual(['again y']);
  });

  it('a job submitted while the server is down retries the connection and gets in once it is back', async () => {
    const first = await start({ endpoints: { '/predict': { fn: async ([x]) => [x] } } });
    const app = await client(first.url, transport);
    await first.close();
    servers.splice(0);
    fakeClientClock();
    const retries: RetryingStatus[] = [];
    let retried!: () => void;
    const firstRetry = new Promise<void>((resolve) => (retried = resolve));
    const job = app.submit('/predict', ['late'], {
      onStatus: (s) => {
        if (s.type !== 'retrying') return;
        retries.push(s);
        retried();
      },
    });
    await firstRetry;
    expect(retries).toMatchObject([{ reason: 'connection', attempt: 2 }]);
    // The client's clock stands still until the server is back, so the wait that ends now ends in a join.
    await startChild(first.port);
    await vi.advanceTimersByTimeAsync(retries[0]!.delayMs);
    expect(await job.result).toEqual(['LATE']);
    expect(retries).toHaveLength(1);
  });
});

/** The most of `times` that fall inside any window of `widthMs`. */
function busiestWindow(times: number[], widthMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= widthMs) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  return busiest;
}

describe.each(TRANSPORTS)('a crowd turned away together over %s', (transport) => {
  it('50 clients rejected by a full queue at once come back each when it planned, not in lockstep', async () => {
    // One slot, held for the whole test, and no waiting places: every join is refused.
    // 51 clients from one address, each with its keep-alive HTTP connection and its queue socket: past the
    // per-address connection cap, which this test is not about (every TCP connection counts against it).
    const url = await startChild(0, { concurrencyCount: 1, maxSize: 0, maxConnectionsPerIp: null });
    const holder = await client(url, transport);
    const held = holder.submit('/predict', ['hang']);
    await vi.waitFor(() => expect(held.status?.type).toBe('running'));

    // Three attempts each: the first retry's wait is the server's retry_after plus full jitter over 1 s.
    const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 2000 };
    const crowd = await Promise.all(Array.from({ length: 50 }, () => client(url, transport, { retry })));
    fakeClientClock();
    const t0 = Date.now();
    const clock = new CrowdClock();
    const members = crowd.map((app) => {
      const member = new CrowdMember(() => clock.wake());
      const job = app.submit('/predict', ['me too'], { onStatus: (s) => s.type === 'retrying' && member.retrying(s) });
      member.ending = job.result.catch((e: unknown) => e).finally(() => member.end());
      return member;
    });
    await clock.drive(members);

    for (const member of members) {
      expect(await member.ending).toMatchObject({ code: 'QUEUE_FULL', attempts: 3 });
      // Refused at t0 (the clock stood still), then back exactly when its own wait said.
      expect(member.retries.map((r) => r.attempt)).toEqual([2, 3]);
      expect(member.retries[1]!.at - member.retries[0]!.at).toBe(member.retries[0]!.delayMs);
      expect(member.retries[0]!.at).toBe(t0);
    }
    const plannedDelays = members.map((m) => m.retries[0]!.delayMs);
    const cameBack = members.map((m) => m.retries[1]!.at - t0);
    // Full jitter: the waits are spread over the backoff window, not one value for everyone.
    expect(new Set(plannedDelays).size).toBeGreaterThan(40);
    expect(Math.max(...cameBack) - Math.min(...cameBack)).toBeGreaterThan(retry.baseDelayMs / 2);
    // No moment sees the crowd return: at most 15 of 50 in any 50 ms; uniform over 1 s that has odds
    // far below one in a million to fail (lockstep would be all 50 at once).
    expect(busiestWindow(cameBack, 50)).toBeLessThanOrEqual(15);
  });
});

/** One client of the crowd: its `retrying` statuses, stamped on the fake clock, and whether it waits on the clock or the server. */
class CrowdMember {
  readonly retries: { attempt: number; delayMs: number; at: number }[] = [];
  state: 'server' | 'clock' | 'done' = 'server';
  dueAt = Infinity;
  ending: Promise<unknown> = Promise.resolve();

  constructor(private readonly changed: () => void) {}

  retrying(s: RetryingStatus): void {
    this.retries.push({ attempt: s.attempt, delayMs: s.delayMs, at: Date.now() });
    this.state = 'clock';
    this.dueAt = Date.now() + s.delayMs;
    this.changed();
  }

  end(): void {
    this.state = 'done';
    this.changed();
  }
}

/**
 * Moves the fake clock from one member's wake-up to the next, each time only once every member that
 * was talking to the server has heard back, so each answer is stamped with the moment its attempt began.
 */
class CrowdClock {
  wake: () => void = () => {};

  async drive(members: readonly CrowdMember[]): Promise<void> {
    for (;;) {
      while (members.some((m) => m.state === 'server')) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      const waiting = members.filter((m) => m.state === 'clock');
      if (waiting.length === 0) return;
      const next = Math.min(...waiting.map((m) => m.dueAt));
      for (const m of waiting) if (m.dueAt <= next) m.state = 'server';
      await vi.advanceTimersByTimeAsync(next - Date.now());
    }
  }
}

describe.each(TRANSPORTS)('cancels that race over %s', (transport) => {
  it('cancel twice, and cancel after the end: one ending, no crash', async () => {
    const untilCancelled: Handler = (_, { signal }) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const server = await start({
      endpoints: { '/predict': { fn: async ([x]) => [x] }, '/hang': { fn: untilCancelled } },
    });
    const app = await client(server.url, transport);
    const hung = app.submit('/hang', []);
    const statuses: JobStatus[] = [];
    void (async () => {
      for await (const s of hung) statuses.push(s);
    })();
    await vi.waitFor(() => expect(hung.status?.type).toBe('running'));
    hung.cancel();
    hung.cancel();
    await expect(hung.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(statuses.at(-1)?.type).toBe('failed'));
    expect(statuses.filter((s) => s.type === 'failed')).toHaveLength(1);

    const done = app.submit('/predict', ['done']);
    expect(await done.result).toEqual(['done']);
    done.cancel();
    expect(done.status?.type).toBe('done');
    expect(await done.result).toEqual(['done']);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ running: 0, waiting: 0 }));
  });

  it('cancel racing completion: each of 100 jobs ends once, as done or cancelled', async () => {
    const server = await start({ concurrencyCount: 4, endpoints: { '/predict': { fn: async ([x]) => [x] } } });
    const app = await client(server.url, transport);
    const endings = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const statuses: JobStatus[] = [];
        const job = app.submit('/predict', [i], {
          onStatus: (s) => {
            statuses.push(s);
            if (s.type === 'running') job.cancel();
          },
        });
        const outcome = await job.result.then(
          () => 'done',
          (e: { code?: string }) => e.code,
        );
        await vi.waitFor(() => expect(['done', 'failed']).toContain(statuses.at(-1)?.type));
        return { outcome, terminal: statuses.filter((s) => s.type === 'done' || s.type === 'failed').length };
      }),
    );
    for (const { outcome, terminal } of endings) {
      expect(['done', 'CANCELLED']).toContain(outcome);
      expect(terminal).toBe(1);
    }
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ running: 0, waiting: 0, busySlots: 0 }));
    const { completed, cancelled } = server.stats();
    expect(completed + cancelled).toBe(100);
  });
});
