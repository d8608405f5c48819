// Fixtures of the shared-line tests: a listener that records, lines that are always closed, and a
// child process that runs a RedisLine from the built package (to be killed with SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { vi } from 'vitest';
import type { LineEvent, LineListener, ProcessId } from './line-types.js';
import type { RedisLineOptions } from './line-options.js';
import { RedisLine } from './redis-line.js';

/** How long an awaited event may take on a busy machine: a bound for a hang, not a timing window. */
export const EVENT_TIMEOUT_MS = 15_000;

/** Retries the assertion until it holds (an event came), up to EVENT_TIMEOUT_MS. */
export function until<T>(assertion: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(assertion, { timeout: EVENT_TIMEOUT_MS, interval: 20 });
}

export class RecordingListener implements LineListener {
  readonly events: LineEvent[] = [];
  readonly relays: { from: ProcessId; body: unknown }[] = [];

  event(event: LineEvent): void {
    this.events.push(event);
  }

  relay(from: ProcessId, body: unknown): void {
    this.relays.push({ from, body });
  }

  /** The events that change the line (join, leave, claim), as ids and kinds. */
  changes(): string[] {
    return this.events.flatMap((event) => {
      if (event.type === 'join') return [`join ${event.job.id} #${event.job.ticket}`];
      if (event.type === 'leave') return [`leave ${event.id}`];
      if (event.type === 'claim') return [`claim ${event.id} by ${event.claimer}`];
      return [];
    });
  }

  of<T extends LineEvent['type']>(type: T): Extract<LineEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<LineEvent, { type: T }> => event.type === type);
  }
}

/** Opens lines and plain clients, and closes every one of them in `closeAll`. */
export class LineFixture {
  private readonly lines: RedisLine[] = [];
  private readonly clients: Redis[] = [];

  async open(options: RedisLineOptions): Promise<{ line: RedisLine; listener: RecordingListener }> {
    const listener = new RecordingListener();
    const line = await RedisLine.open(options, listener);
    this.lines.push(line);
    return { line, listener };
  }

  client(url: string): Redis {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    this.clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.lines.splice(0).map((line) => line.close()));
    for (const client of this.clients.splice(0)) client.disconnect();
  }
}

/** The built line (tests run after `tsc -b`, as the CLI's do). */
export const BUILT_LINE = new URL('../../../dist/node/shared/redis-line.js', import.meta.url).href;

export interface LineProcessChild {
  child: ChildProcess;
  /** The child's process id and the jobs it joined, once it said so. */
  ready: Promise<{ processId: string; tickets: number[] }>;
}

/** A child process that opens a line, joins `jobs` and waits to be killed. */
export function spawnLineProcess(options: RedisLineOptions, jobs: string[]): LineProcessChild {
  const script = `
    const { RedisLine } = await import(${JSON.stringify(BUILT_LINE)});
    const line = await RedisLine.open(${JSON.stringify(options)}, { event() {}, relay() {} });
    const tickets = [];
    for (const id of ${JSON.stringify(jobs)}) tickets.push((await line.join(id, 0, null)).ticket);
    process.stdout.write(JSON.stringify({ processId: line.processId, tickets }) + '\\n');
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<{ processId: string; tickets: number[] }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as { processId: string; tickets: number[] });
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`line process exited (${code}) before it was ready:\n${err}`)));
  });
  return { child, ready };
}

/** Kills a child with SIGKILL and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
