import type { RelayBody } from './relay.js';
import type { SharedLine } from './shared-line.js';

/** How often messages to other processes that could not be sent (Redis away) are tried again. */
export const RELAY_RETRY_MS = 250;

interface Numbered {
  seq: number;
  body: RelayBody;
}

/**
 * Messages to other processes, in order per process. One that cannot be sent (Redis away, or the target
 * not registered again yet after a restart) waits here with every later one to that process behind it,
 * and is tried again until it goes or the process is gone: a job that finished while Redis was away
 * still reaches its client.
 */
export class RelayOutbox {
  private readonly waiting = new Map<string, Numbered[]>();
  /** Numbers every message, so one that failed goes back in its place among those behind it. */
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly line: Pick<SharedLine, 'send'>,
    /** Whether `to` still counts as alive: a message to a process that is not is dropped. */
    private readonly alive: (to: string) => boolean,
  ) {}

  get size(): number {
    let count = 0;
    for (const queued of this.waiting.values()) count += queued.length;
    return count;
  }

  send(to: string, body: RelayBody): void {
    const message = { seq: this.seq++, body };
    const queued = this.waiting.get(to);
    if (queued !== undefined) {
      queued.push(message);
      return;
    }
    this.line.send(to, body).then(
      (sent) => {
        if (!sent && this.alive(to)) this.postpone(to, message);
      },
      () => this.postpone(to, message),
    );
  }

  /** The process is gone: what waits for it goes. */
  drop(to: string): void {
    this.waiting.delete(to);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.waiting.clear();
  }

  private postpone(to: string, message: Numbered): void {
    if (this.closed) return;
    const queued = this.waiting.get(to) ?? [];
    this.waiting.set(to, queued);
    const at = queued.findIndex((other) => other.seq > message.seq);
    queued.splice(at === -1 ? queued.length : at, 0, message);
    this.timer ??= setTimeout(() => void this.flush(), RELAY_RETRY_MS);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    for (const [to, queued] of this.waiting) {
      while (queued.length > 0) {
        const sent = await this.line.send(to, queued[0]!.body).catch(() => null);
        if (sent === null) break; // Redis still away
        if (!sent && this.alive(to)) break; // not registered again yet
        queued.shift();
      }
      if (queued.length === 0 && this.waiting.get(to) === queued) this.waiting.delete(to);
    }
    if (this.waiting.size > 0 && !this.closed) this.timer = setTimeout(() => void this.flush(), RELAY_RETRY_MS);
  }
}
