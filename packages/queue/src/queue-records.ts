import { isStarted } from './batch.js';
import type { Batch, Job, LineJob, SlotJob, StartedBatch } from './batch.js';
import type { StateView } from './decision.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import { PeerBatches } from './peer-batches.js';
import type { Timings } from './timings.js';
import type { BatchId, Effect, JobId, JobOutcome, QueueStats } from './types.js';
import type { WaitingLine } from './waiting-line.js';

/**
 * The engine's records (the waiting line, the jobs, the batches in slots, the prefetched jobs and the
 * counts) and the bookkeeping every change shares: a job's end, a batch's slot given back, a member
 * taken out. The changes themselves are queue-state.ts, the only other code that writes them.
 */
export class QueueRecords implements StateView {
  readonly jobs = new Map<JobId, Job>();
  readonly batches = new Map<BatchId, Batch>();
  readonly gathering = new Map<number, BatchId>();
  readonly held: number[];
  readonly prefetched = new Set<JobId>();
  readonly sizes: Record<number, number> = {};
  readonly counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0, released: 0 };
  /** The other processes that share the line: their slots and running batches (forecast only). */
  readonly peers = new PeerBatches();
  now = -Infinity;
  /** Effects of the event being handled, in order. */
  out: Effect[] = [];
  /** Jobs that left the line or ended since the engine last looked; it empties the list. */
  readonly left: JobId[] = [];
  /** Whether something that can move an ETA changed since the engine last looked. */
  protected moved = false;
  protected nextBatchId = 1;
  protected nextTicket = 0;

  constructor(
    readonly options: ResolvedQueueOptions,
    readonly line: WaitingLine,
    protected readonly timings: Timings,
  ) {
    this.held = options.endpoints.map(() => 0);
  }

  /** Whether something that can move an ETA changed since the last call. */
  takeMoved(): boolean {
    const moved = this.moved;
    this.moved = false;
    return moved;
  }

  stats(): QueueStats {
    let running = 0;
    for (const batch of this.batches.values()) running += batch.members.size;
    const waiting = this.line.size;
    return { waiting, running, busySlots: this.batches.size, batchSizes: { ...this.sizes }, ...this.counts };
  }

  /** Sizes of its per-job and per-batch structures, for leak tests. */
  internalSizes(): Record<string, number> {
    return {
      jobs: this.jobs.size,
      prefetched: this.prefetched.size,
      batches: this.batches.size,
      openBatches: this.gathering.size,
      slotsHeld: this.held.reduce((sum, n) => sum + n, 0),
      peerBatches: this.peers.size,
      ...this.line.internalSizes(),
    };
  }

  /** A started batch (running or aborted) that still holds its slot. */
  started(batchId: BatchId): StartedBatch | undefined {
    const batch = this.batches.get(batchId);
    return batch && isStarted(batch) ? batch : undefined;
  }

  protected lineJob(jobId: JobId): LineJob {
    return this.jobs.get(jobId) as LineJob;
  }

  protected endpoint(fnIndex: number): ResolvedEndpoint {
    return this.options.endpoints[fnIndex] as ResolvedEndpoint;
  }

  protected end(job: Job, outcome: JobOutcome): void {
    this.jobs.delete(job.id);
    this.prefetched.delete(job.id);
    if (outcome.status === 'success') this.counts.completed++;
    else if (outcome.status === 'cancelled') this.counts.cancelled++;
    else this.counts.failed++;
    this.left.push(job.id);
    this.moved = true;
    this.out.push({ type: 'end', jobId: job.id, outcome });
  }

  protected free(batch: Batch): void {
    if (!this.batches.delete(batch.id)) return;
    this.held[batch.fnIndex] = (this.held[batch.fnIndex] as number) - 1;
    if (this.gathering.get(batch.fnIndex) === batch.id) this.gathering.delete(batch.fnIndex);
    this.moved = true;
  }

  protected unbatch(job: SlotJob): BatchId {
    const batch = this.batches.get(job.batchId) as Batch;
    const members = new Set(batch.members);
    members.delete(job.id);
    this.batches.set(batch.id, { ...batch, members });
    return batch.id;
  }
}
