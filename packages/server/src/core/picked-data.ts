import type { JobId } from '@crowdserve/queue';

/**
 * How long a job that has been given its slot may take to send its data (`send_data` → data); a
 * silent one loses the slot. A client that has its data answers in one round trip; without this, 22
 * sockets that never answer held both slots for the whole `dataTimeoutMs` (60 s) and joined again.
 * @default 10000
 */
export const DEFAULT_PICKED_DATA_TIMEOUT_MS = 10_000;

/**
 * The shorter data deadline of picked jobs. The engine asks for data either when a job is picked or
 * earlier, while it still waits (prefetch), and says nothing when a prefetched job is picked: a job
 * asked while waiting is watched (`look`, after each run of effects) until it leaves the line.
 */
export class PickedDataDeadlines {
  /** Asked while still waiting, not answered yet: few (the engine's prefetch bound). */
  private readonly waiting = new Set<JobId>();
  private readonly timers = new Map<JobId, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly timeoutMs: number,
    /** Whether the job is still in the line (not picked, not ended). */
    private readonly isWaiting: (id: JobId) => boolean,
    /** The job's deadline passed while it held its slot without data. */
    private readonly expire: (id: JobId) => void,
  ) {}

  /** The job was asked for its data. */
  asked(id: JobId): void {
    if (this.isWaiting(id)) this.waiting.add(id);
    else this.start(id);
  }

  /** Starts the deadline of every watched job that has been picked since. */
  look(): void {
    for (const id of this.waiting) {
      if (this.isWaiting(id)) continue;
      this.waiting.delete(id);
      this.start(id);
    }
  }

  /** Its data came, or it ended: no deadline. */
  forget(id: JobId): void {
    this.waiting.delete(id);
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(id);
  }

  sizes(): { pickedWatched: number; pickedDeadlines: number } {
    return { pickedWatched: this.waiting.size, pickedDeadlines: this.timers.size };
  }

  private start(id: JobId): void {
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.expire(id);
    }, this.timeoutMs);
    // A pending deadline must not keep a Node process alive on its own.
    (timer as { unref?: () => void }).unref?.();
    this.timers.set(id, timer);
  }
}
