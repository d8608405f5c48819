import type { PeerBatch } from './batch.js';

/**
 * What this engine knows of the other processes that share its line (issue 23): how many slots they
 * have in all, and the batches running there, by key, oldest first. Used for ETAs only.
 */
export class PeerBatches {
  private readonly running = new Map<string, PeerBatch>();
  private slotCount = 0;

  /** The other processes' slots, all together. */
  get slots(): number {
    return this.slotCount;
  }

  get size(): number {
    return this.running.size;
  }

  has(key: string): boolean {
    return this.running.has(key);
  }

  /** Oldest first. */
  values(): IterableIterator<PeerBatch> {
    return this.running.values();
  }

  setSlots(slots: number): void {
    this.slotCount = slots;
    this.prune();
  }

  start(key: string, batch: PeerBatch): void {
    this.running.set(key, batch);
    this.prune();
  }

  /** Forgets the batch; returns it, or undefined for an unknown key. */
  finish(key: string): PeerBatch | undefined {
    const batch = this.running.get(key);
    this.running.delete(key);
    return batch;
  }

  /**
   * Each batch holds one of the peers' slots, so past that many the oldest reported ones are stale
   * (their process died before it said they finished): they are dropped.
   */
  private prune(): void {
    for (const key of this.running.keys()) {
      if (this.running.size <= this.slotCount) return;
      this.running.delete(key);
    }
  }
}
