// Server processes sharing one queue on a real redis-server, as child processes (issue 23): each runs
// test/shared-server-child.js on port 0 and reports over IPC what its endpoints do.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

const CHILD = fileURLToPath(new URL('./shared-server-child.js', import.meta.url));

/** What a child's endpoints report: `{ started }`, `{ finished, aborted }`, `{ batch }`, `{ ran }`. */
export interface ChildReport {
  tag: string;
  url?: string;
  started?: string;
  finished?: string;
  aborted?: boolean;
  batch?: string[];
  ran?: string;
}

export interface SharedServer {
  readonly tag: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Lets the `/hold` job named `text` finish. */
  release(text: string): void;
  releaseAll(): void;
  /** Stops it gracefully (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: gone without a word, as in a crash. */
  kill(): Promise<void>;
}

export interface SharedServerOptions {
  redisUrl: string;
  key: string;
  concurrency?: number;
  maxSize?: number;
  leaseMs?: number;
  timerMs?: number;
}

/** Every report of every child, in the order they reached this process. */
export class Reports {
  readonly all: ChildReport[] = [];

  /** Waits for a report that `match` accepts (and returns it). */
  async waitFor(match: (report: ChildReport) => boolean, what: string, timeout = 20_000): Promise<ChildReport> {
    return vi.waitFor(
      () => {
        const found = this.all.find(match);
        if (found === undefined) throw new Error(`no report of ${what} yet; got ${JSON.stringify(this.all)}`);
        return found;
      },
      { timeout, interval: 10 },
    );
  }

  started(): string[] {
    return this.all.flatMap((r) => (r.started === undefined ? [] : [r.started]));
  }
}

/** Starts `count` server processes on one shared queue (tags s0, s1, …); resolves when all listen. */
export async function startSharedServers(
  count: number,
  options: SharedServerOptions,
  reports: Reports,
): Promise<SharedServer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startOne(`s${i}`, options, reports)));
}

function startOne(tag: string, options: SharedServerOptions, reports: Reports): Promise<SharedServer> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TAG: tag,
    REDIS_URL: options.redisUrl,
    KEY: options.key,
    CONCURRENCY: String(options.concurrency ?? 1),
    LEASE_MS: String(options.leaseMs ?? 1000),
    TIMER_MS: String(options.timerMs ?? 50),
  };
  if (options.maxSize !== undefined) env.MAX_SIZE = String(options.maxSize);
  const child = fork(CHILD, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${tag} exited (${code}) before it listened`)));
    child.on('message', (raw) => {
      const report = raw as ChildReport;
      reports.all.push(report);
      if (report.url === undefined) return;
      resolve({
        tag,
        url: report.url,
        child,
        // A stopped or killed child has no IPC channel left: nothing to release there.
        release: (text) => void (child.connected && child.send({ release: text })),
        releaseAll: () => void (child.connected && child.send({ releaseAll: true })),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
