import type { BatchId } from '@crowdserve/queue';
import type { RunningBatch } from './run-batch.js';

/**
 * The batches whose handlers run, with when each started, and the count of calls that timed out
 * whose handler has not returned yet (it ignored its signal): what `callsPastTimeout` reports.
 */
export class RunningBatches {
  private readonly entries = new Map<BatchId, { run: RunningBatch; startedAt: number }>();
  private abandoned = 0;

  get size(): number {
    return this.entries.size;
  }

  add(id: BatchId, run: RunningBatch, startedAt: number): void {
    this.entries.set(id, { run, startedAt });
  }

  get(id: BatchId): RunningBatch | undefined {
    return this.entries.get(id)?.run;
  }

  /**
   * The engine ended a timed-out batch's members and freed its slot: its entry goes now (a handler that
   * never settles must not keep one for the life of the process), and it counts until it returns.
   */
  abandon(id: BatchId): RunningBatch | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    this.abandoned++;
    return entry.run;
  }

  /** The batch's handler returned; false when it had been abandoned (its outcome is no one's now). */
  finish(id: BatchId): boolean {
    if (this.entries.delete(id)) return true;
    this.abandoned--;
    return false;
  }

  /** Calls abandoned, plus those running for longer than `timeoutMs` at `now`. */
  pastTimeout(now: number, timeoutMs: number): number {
    let held = 0;
    for (const { startedAt } of this.entries.values()) if (startedAt <= now - timeoutMs) held++;
    return this.abandoned + held;
  }

  runs(): RunningBatch[] {
    return [...this.entries.values()].map((entry) => entry.run);
  }
}
