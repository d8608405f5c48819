// The one blocking connection of a process: XREAD on the events stream and this process's inbox in one
// call, in a loop that survives connection blips. What the entries mean is the line's business.
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { StreamEntry } from './line-events.js';

/** Most entries one read takes from each stream. */
export const READ_COUNT = 1000;

/** After a failed step on a live connection (the other one still reconnecting), wait this long. */
export const RETRY_MS = 50;

export interface ReadBatch {
  events: StreamEntry[];
  inbox: StreamEntry[];
}

export interface ReaderSteps {
  /** Runs before each read (recovery, resync); a throw retries it after a pause. */
  prepare(): Promise<void>;
  /** One read's entries, in stream order. Must not throw. */
  handle(batch: ReadBatch): void;
  /** A read or a step failed: the connection may have come back to another Redis. */
  broke(): void;
}

export class LineReader {
  /** Reading goes on after these ids; the line moves them (as it handles entries, or on a resync). */
  lastEventId = '0-0';
  lastInboxId = '0-0';
  private clientId: number | null = null;
  private readonly stopped = new AbortController();
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly streams: { events: string; inbox: string },
    private readonly blockMs: number,
    private readonly steps: ReaderSteps,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  /** Ends the blocked read now (it returns empty), so the loop runs `prepare` again. */
  async wake(command: Redis): Promise<void> {
    if (this.clientId === null) return;
    await command.client('UNBLOCK', this.clientId).catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.redis.disconnect();
    await this.done;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopped;
    const { events, inbox } = this.streams;
    while (!signal.aborted) {
      try {
        this.clientId ??= Number(await this.redis.client('ID'));
        await this.steps.prepare();
        if (signal.aborted) break;
        const reply = (await this.redis.call(
          'XREAD',
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          events,
          inbox,
          this.lastEventId,
          this.lastInboxId,
        )) as [string, StreamEntry[]][] | null;
        if (signal.aborted) break;
        if (reply !== null) {
          const of = (key: string): StreamEntry[] => reply.find(([name]) => name === key)?.[1] ?? [];
          this.steps.handle({ events: of(events), inbox: of(inbox) });
        }
      } catch {
        if (signal.aborted) break;
        this.clientId = null;
        this.steps.broke();
        await this.pause(signal);
      }
    }
  }

  /** Until the connection is back (or a short while, if it never went), or the line closes. */
  private async pause(signal: AbortSignal): Promise<void> {
    try {
      if (this.redis.status === 'ready') await delay(RETRY_MS, undefined, { signal });
      else await once(this.redis, 'ready', { signal });
    } catch {
      // Aborted: the loop sees it.
    }
  }
}
