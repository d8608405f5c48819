import { newBatch, nextDeadline } from './batch.js';
import type { Batch, Job } from './batch.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import type { Timings } from './timings.js';
import type { BatchId, Effect, JobId, JobOutcome } from './types.js';
import type { WaitingLine } from './waiting-line.js';

/** What the slots need from the engine around them. */
export interface SlotContext {
  /** Clock ms of the event being handled. */
  now(): number;
  emit(effect: Effect): void;
  /** The job is over: forget it and emit its `end`. */
  end(job: Job, outcome: JobOutcome): void;
  /** Something changed that can move an ETA. */
  moved(): void;
  /** The job left the waiting line for a slot. */
  picked(jobId: JobId): void;
}

/**
 * Who holds the `concurrencyCount` slots: each slot holds one batch from the moment its members are
 * picked (asked for their data) until the host reports it finished, or it times out.
 */
export class Slots {
  private readonly batches = new Map<BatchId, Batch>();
  /** At most one gathering batch per endpoint: it takes every new job of its endpoint until it closes. */
  private readonly open = new Map<number, Batch>();
  private readonly held: number[];
  private readonly sizes: Record<number, number> = {};
  private nextBatchId = 1;

  constructor(
    private readonly options: ResolvedQueueOptions,
    private readonly line: WaitingLine,
    private readonly jobs: ReadonlyMap<JobId, Job>,
    private readonly timings: Timings,
    private readonly context: SlotContext,
  ) {
    this.held = options.endpoints.map(() => 0);
  }

  get busy(): number {
    return this.batches.size;
  }

  /** Jobs in slots: awaiting their data or running. */
  get running(): number {
    let n = 0;
    for (const batch of this.batches.values()) n += batch.members.size;
    return n;
  }

  /** Batches started so far, by size. */
  batchSizes(): Record<number, number> {
    return { ...this.sizes };
  }

  /** Every batch holding a slot; iterable again and again. */
  all(): Iterable<Batch> {
    return { [Symbol.iterator]: () => this.batches.values() };
  }

  /** A started batch that still holds its slot. */
  started(batchId: BatchId): Batch | undefined {
    const batch = this.batches.get(batchId);
    return batch?.startedAt === null ? undefined : batch;
  }

  /** Whether a job of this endpoint joining now would go straight into a slot. */
  canTakeSlot(fnIndex: number): boolean {
    if (this.open.has(fnIndex)) return true;
    return this.batches.size < this.options.concurrencyCount && this.underLimit(fnIndex);
  }

  /** Gives waiting jobs to gathering batches, then free slots to the oldest eligible jobs. */
  fill(): void {
    if (this.line.size === 0) return;
    for (const batch of [...this.open.values()]) this.admit(batch);
    while (this.batches.size < this.options.concurrencyCount) {
      const head = this.line.oldest((e) => this.underLimit(e) && !this.open.has(e));
      if (!head) return;
      const endpoint = this.endpoint(head.fnIndex);
      const now = this.context.now();
      const batch = newBatch(this.nextBatchId++, head.fnIndex, head.joinedAt + endpoint.maxBatchDelayMs, now);
      this.batches.set(batch.id, batch);
      this.held[head.fnIndex] = (this.held[head.fnIndex] as number) + 1;
      // A short batch holds its slot open until its oldest member has waited maxBatchDelayMs.
      if (batch.closeAt > now && this.line.sizeOf(head.fnIndex) < endpoint.maxBatchSize) {
        batch.open = true;
        this.open.set(head.fnIndex, batch);
      }
      this.admit(batch);
    }
  }

  /** The job's data arrived; its batch starts when it was the last one missing. */
  dataReceived(job: Job): void {
    const batch = job.batch;
    if (!batch?.awaitingData.delete(job.id)) return;
    job.data = 'received';
    job.dataDeadline = null;
    this.maybeStart(batch);
  }

  /** A job in a slot leaves (cancel, data timeout). A running batch with nobody left is aborted. */
  leave(job: Job, outcome: JobOutcome): void {
    const batch = job.batch as Batch;
    batch.members.delete(job.id);
    batch.awaitingData.delete(job.id);
    this.context.end(job, outcome);
    if (batch.startedAt === null) return this.maybeStart(batch);
    if (batch.members.size === 0 && !batch.aborted) {
      batch.aborted = true;
      this.context.emit({ type: 'abort', batchId: batch.id, reason: 'cancelled' });
    }
  }

  /** Frees a batch's slot (it finished). */
  free(batch: Batch): void {
    if (!this.batches.delete(batch.id)) return;
    this.held[batch.fnIndex] = (this.held[batch.fnIndex] as number) - 1;
    if (this.open.get(batch.fnIndex) === batch) this.open.delete(batch.fnIndex);
    this.context.moved();
  }

  /** Runs every deadline that passed: data timeouts, batch delays, run timeouts. */
  expire(): void {
    const now = this.context.now();
    for (const batch of [...this.batches.values()]) {
      if (batch.startedAt !== null) {
        if (batch.runDeadline !== null && batch.runDeadline <= now) this.timeOut(batch);
        continue;
      }
      for (const id of [...batch.awaitingData]) {
        const job = this.jobs.get(id) as Job;
        if (job.dataDeadline !== null && job.dataDeadline <= now) this.leave(job, { status: 'timeout', phase: 'data' });
      }
      if (batch.open && batch.closeAt <= now && this.batches.has(batch.id)) this.close(batch);
    }
  }

  /** Closes every gathering batch (shutdown: nobody else will join). */
  closeAll(): void {
    for (const batch of [...this.open.values()]) this.close(batch);
  }

  /** The earliest deadline of any slot (clock ms), or Infinity. */
  nextDeadline(): number {
    let next = Infinity;
    for (const batch of this.batches.values()) next = Math.min(next, nextDeadline(batch, this.jobs));
    return next;
  }

  /**
   * While a running batch overruns its expected run time, the ETAs of everyone behind it slip. Returns
   * whether one overruns now, and when to look again: its expected end, then every `periodMs` after.
   */
  overrun(periodMs: number): { now: boolean; lookAt: number } {
    const now = this.context.now();
    let overrunning = false;
    let lookAt = Infinity;
    for (const batch of this.batches.values()) {
      if (batch.startedAt === null || batch.aborted) continue;
      const run = this.timings.serviceTime(batch.fnIndex, batch.jobIds.length);
      if (run === null) continue;
      const end = batch.startedAt + run;
      if (end <= now) overrunning = true;
      lookAt = Math.min(lookAt, end > now ? end : end + (Math.floor((now - end) / periodMs) + 1) * periodMs);
    }
    return { now: overrunning, lookAt };
  }

  internalSizes(): Record<string, number> {
    return {
      batches: this.batches.size,
      openBatches: this.open.size,
      slotsHeld: this.held.reduce((sum, n) => sum + n, 0),
    };
  }

  private endpoint(fnIndex: number): ResolvedEndpoint {
    return this.options.endpoints[fnIndex] as ResolvedEndpoint;
  }

  private underLimit(fnIndex: number): boolean {
    return (this.held[fnIndex] as number) < this.endpoint(fnIndex).concurrencyLimit;
  }

  /**
   * Moves the endpoint's oldest waiting jobs into the batch, up to its size, and asks for the data of
   * those not asked yet. A closed batch whose members' data is all in (prefetched) starts at once.
   */
  private admit(batch: Batch): void {
    const max = this.endpoint(batch.fnIndex).maxBatchSize;
    const entries = this.line.take(batch.fnIndex, max - batch.members.size);
    for (const { jobId } of entries) {
      const job = this.jobs.get(jobId) as Job;
      job.batch = batch;
      batch.members.add(jobId);
      this.context.picked(jobId);
      if (job.data === 'received') continue;
      batch.awaitingData.add(jobId);
      // A prefetched job that has not answered keeps the deadline it got when it was asked.
      if (job.data === 'asked') continue;
      job.data = 'asked';
      job.dataDeadline = this.context.now() + this.options.dataTimeoutMs;
      this.context.emit({ type: 'requestData', jobId });
    }
    if (entries.length > 0) this.context.moved();
    if (batch.open && batch.members.size >= max) this.close(batch);
    else if (!batch.open) this.maybeStart(batch);
  }

  private close(batch: Batch): void {
    batch.open = false;
    batch.gatherFrom = this.context.now();
    this.open.delete(batch.fnIndex);
    this.maybeStart(batch);
  }

  /** Starts a closed batch once every member still present has sent its data; frees an empty one. */
  private maybeStart(batch: Batch): void {
    if (batch.startedAt !== null) return;
    if (batch.members.size === 0) return this.free(batch);
    if (batch.open || batch.awaitingData.size > 0) return;
    const now = this.context.now();
    const { timeoutMs } = this.endpoint(batch.fnIndex);
    batch.startedAt = now;
    batch.jobIds = [...batch.members];
    batch.runDeadline = timeoutMs === null ? null : now + timeoutMs;
    const size = batch.jobIds.length;
    this.sizes[size] = (this.sizes[size] ?? 0) + 1;
    const expected = this.timings.serviceTime(batch.fnIndex, size);
    this.timings.recordGather(batch.fnIndex, size, now - batch.gatherFrom);
    this.context.moved();
    this.context.emit({
      type: 'startBatch',
      batchId: batch.id,
      fnIndex: batch.fnIndex,
      jobIds: [...batch.jobIds],
      expectedDuration: expected === null ? null : expected / 1000,
    });
  }

  /** A running batch passed timeoutMs: its members fail now and its slot frees; its late finish is ignored. */
  private timeOut(batch: Batch): void {
    this.free(batch);
    // Sent even after an abort for 'cancelled': it also tells the host the engine gave the slot away.
    this.context.emit({ type: 'abort', batchId: batch.id, reason: 'timeout' });
    for (const id of batch.members) this.context.end(this.jobs.get(id) as Job, { status: 'timeout', phase: 'run' });
    batch.members.clear();
  }
}
