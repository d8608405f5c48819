import { assertNever } from './assert-never.js';
import { inLine, isStarted } from './batch.js';
import type { Batch, Job, LineJob, SlotJob, StartedBatch } from './batch.js';
import type { Decision, StateView } from './decision.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import type { Timings } from './timings.js';
import type { BatchId, BatchOutcome, Effect, JobId, JobOutcome, QueueStats } from './types.js';
import type { WaitingEntry, WaitingLine } from './waiting-line.js';

/**
 * The engine's state and the only code that changes it: the waiting line, the jobs, the batches in
 * slots, the prefetched jobs and the counts. It applies the events the engine receives and the
 * decisions its planners return, and records the effects they cause. Each change that needs a
 * follow-up on a batch returns that batch, for the engine to settle.
 */
export class QueueState implements StateView {
  readonly jobs = new Map<JobId, Job>();
  readonly batches = new Map<BatchId, Batch>();
  readonly gathering = new Map<number, BatchId>();
  readonly held: number[];
  readonly prefetched = new Set<JobId>();
  readonly sizes: Record<number, number> = {};
  readonly counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0 };
  now = -Infinity;
  /** Effects of the event being handled, in order. */
  out: Effect[] = [];
  /** Jobs that left the line or ended since the engine last looked; it empties the list. */
  readonly left: JobId[] = [];
  /** Whether something that can move an ETA changed since the engine last looked. */
  private moved = false;
  private nextBatchId = 1;

  constructor(
    readonly options: ResolvedQueueOptions,
    readonly line: WaitingLine,
    private readonly timings: Timings,
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
      ...this.line.internalSizes(),
    };
  }

  /** A started batch (running or aborted) that still holds its slot. */
  started(batchId: BatchId): StartedBatch | undefined {
    const batch = this.batches.get(batchId);
    return batch && isStarted(batch) ? batch : undefined;
  }

  join(entry: WaitingEntry): void {
    const { jobId: id, fnIndex, joinedAt } = entry;
    this.jobs.set(id, { state: 'waiting', id, fnIndex, joinedAt });
    this.line.enqueue(entry);
  }

  /** An asked job's data arrived: a waiting one holds it until picked; in a slot, its batch may start. */
  received(job: Job): BatchId | undefined {
    const { id, fnIndex, joinedAt } = job;
    if (job.state === 'prefetching') this.jobs.set(id, { state: 'prefetched', id, fnIndex, joinedAt });
    if (job.state !== 'loading') return undefined;
    this.jobs.set(id, { state: 'ready', id, fnIndex, joinedAt, batchId: job.batchId });
    return job.batchId;
  }

  /** A waiting job leaves the line and ends. */
  dropWaiting(job: LineJob, outcome: JobOutcome): void {
    this.line.remove(job.id);
    this.end(job, outcome);
  }

  /** A job in a slot leaves its batch (cancel, data timeout) and ends. */
  leave(job: SlotJob, outcome: JobOutcome): BatchId {
    const batch = this.batches.get(job.batchId) as Batch;
    const members = new Set(batch.members);
    members.delete(job.id);
    this.batches.set(batch.id, { ...batch, members });
    this.end(job, outcome);
    return batch.id;
  }

  /** The host reported a started batch finished: its slot frees and its members end with their results. */
  finish(batch: StartedBatch, outcome: BatchOutcome): void {
    this.free(batch);
    const n = batch.jobIds.length;
    let error = outcome.ok ? null : outcome.error;
    if (outcome.ok && (!Array.isArray(outcome.results) || outcome.results.length !== n)) {
      const got = Array.isArray(outcome.results) ? `${outcome.results.length} results` : 'no array';
      error = `expected ${n} results, got ${got}`;
    }
    if (error !== null) {
      for (const id of batch.members) this.end(this.jobs.get(id) as Job, { status: 'error', error });
      return;
    }
    const results = (outcome as { results: unknown[] }).results;
    const ms = this.now - batch.startedAt;
    // A batch whose members all left was likely cut short by its abort: not a fair sample.
    if (batch.state === 'running') this.timings.recordBatch(batch.fnIndex, n, ms);
    const duration = ms / 1000;
    const averageDuration = this.timings.averageDuration(batch.fnIndex) ?? duration;
    batch.jobIds.forEach((id, i) => {
      if (!batch.members.has(id)) return;
      this.timings.recordJob(duration);
      this.end(this.jobs.get(id) as Job, { status: 'success', result: results[i], duration, averageDuration });
    });
  }

  /** Applies one planner decision; returns the batch it changed, which may need another. */
  apply(decision: Decision): BatchId | undefined {
    switch (decision.type) {
      case 'pick':
        return this.pick(decision.fnIndex, decision.closeAt);
      case 'admit':
        return this.admit(this.batches.get(decision.batchId) as Batch);
      case 'close':
        return this.close(this.batches.get(decision.batchId) as Batch);
      case 'start':
        return this.start(this.batches.get(decision.batchId) as Batch);
      case 'free':
        this.free(this.batches.get(decision.batchId) as Batch);
        return undefined;
      case 'abort':
        return this.abort(this.batches.get(decision.batchId) as Batch);
      case 'timeOut':
        return this.timeOut(this.batches.get(decision.batchId) as StartedBatch);
      case 'expire':
        return this.expire(this.jobs.get(decision.jobId) as Job);
      case 'ask':
        return this.ask(this.jobs.get(decision.jobId) as Job);
      default:
        return assertNever(decision);
    }
  }

  private endpoint(fnIndex: number): ResolvedEndpoint {
    return this.options.endpoints[fnIndex] as ResolvedEndpoint;
  }

  private end(job: Job, outcome: JobOutcome): void {
    this.jobs.delete(job.id);
    this.prefetched.delete(job.id);
    if (outcome.status === 'success') this.counts.completed++;
    else if (outcome.status === 'cancelled') this.counts.cancelled++;
    else this.counts.failed++;
    this.left.push(job.id);
    this.moved = true;
    this.out.push({ type: 'end', jobId: job.id, outcome });
  }

  private pick(fnIndex: number, closeAt: number | null): BatchId {
    const id = this.nextBatchId++;
    const members = new Set<JobId>();
    this.held[fnIndex] = (this.held[fnIndex] as number) + 1;
    if (closeAt === null) {
      this.batches.set(id, { state: 'loading', id, fnIndex, members, gatherFrom: this.now });
    } else {
      this.batches.set(id, { state: 'gathering', id, fnIndex, members, closeAt });
      this.gathering.set(fnIndex, id);
    }
    return this.admit(this.batches.get(id) as Batch);
  }

  /** Moves the endpoint's oldest waiting jobs into the batch, up to its size, and asks for the data of those not asked yet. */
  private admit(batch: Batch): BatchId {
    const entries = this.line.take(batch.fnIndex, this.endpoint(batch.fnIndex).maxBatchSize - batch.members.size);
    const members = new Set(batch.members);
    for (const { jobId } of entries) {
      const job = this.jobs.get(jobId) as LineJob;
      const { fnIndex, joinedAt } = job;
      const batchId = batch.id;
      members.add(jobId);
      this.prefetched.delete(jobId);
      this.left.push(jobId);
      if (job.state === 'prefetched') this.jobs.set(jobId, { state: 'ready', id: jobId, fnIndex, joinedAt, batchId });
      // A prefetched job that has not answered keeps the deadline it got when it was asked.
      else if (job.state === 'prefetching')
        this.jobs.set(jobId, {
          state: 'loading',
          id: jobId,
          fnIndex,
          joinedAt,
          batchId,
          dataDeadline: job.dataDeadline,
        });
      else {
        const dataDeadline = this.now + this.options.dataTimeoutMs;
        this.jobs.set(jobId, { state: 'loading', id: jobId, fnIndex, joinedAt, batchId, dataDeadline });
        this.out.push({ type: 'requestData', jobId });
      }
    }
    if (entries.length > 0) this.moved = true;
    this.batches.set(batch.id, { ...batch, members });
    return batch.id;
  }

  private close(batch: Batch): BatchId {
    const { id, fnIndex, members } = batch;
    if (this.gathering.get(fnIndex) === id) this.gathering.delete(fnIndex);
    this.batches.set(id, { state: 'loading', id, fnIndex, members, gatherFrom: this.now });
    return id;
  }

  private start(batch: Batch): undefined {
    if (batch.state !== 'loading') return undefined;
    const { id, fnIndex, members } = batch;
    const { timeoutMs } = this.endpoint(fnIndex);
    const jobIds = [...members];
    const runDeadline = timeoutMs === null ? null : this.now + timeoutMs;
    this.batches.set(id, { state: 'running', id, fnIndex, members, startedAt: this.now, jobIds, runDeadline });
    const size = jobIds.length;
    this.sizes[size] = (this.sizes[size] ?? 0) + 1;
    const expected = this.timings.serviceTime(fnIndex, size);
    this.timings.recordGather(fnIndex, size, this.now - batch.gatherFrom);
    this.moved = true;
    const expectedDuration = expected === null ? null : expected / 1000;
    this.out.push({ type: 'startBatch', batchId: id, fnIndex, jobIds: [...jobIds], expectedDuration });
    return undefined;
  }

  private free(batch: Batch): void {
    if (!this.batches.delete(batch.id)) return;
    this.held[batch.fnIndex] = (this.held[batch.fnIndex] as number) - 1;
    if (this.gathering.get(batch.fnIndex) === batch.id) this.gathering.delete(batch.fnIndex);
    this.moved = true;
  }

  private abort(batch: Batch): undefined {
    if (batch.state !== 'running') return undefined;
    this.batches.set(batch.id, { ...batch, state: 'aborted' });
    this.out.push({ type: 'abort', batchId: batch.id, reason: 'cancelled' });
    return undefined;
  }

  /** A started batch passed timeoutMs: its members fail now and its slot frees; its late finish is ignored. */
  private timeOut(batch: StartedBatch): undefined {
    this.free(batch);
    // Sent even after an abort for 'cancelled': it also tells the host the engine gave the slot away.
    this.out.push({ type: 'abort', batchId: batch.id, reason: 'timeout' });
    for (const id of batch.members) this.end(this.jobs.get(id) as Job, { status: 'timeout', phase: 'run' });
    return undefined;
  }

  private expire(job: Job): BatchId | undefined {
    const outcome: JobOutcome = { status: 'timeout', phase: 'data' };
    if (!inLine(job)) return this.leave(job, outcome);
    this.dropWaiting(job, outcome);
    return undefined;
  }

  private ask(job: Job): undefined {
    if (job.state !== 'waiting') return undefined;
    const dataDeadline = this.now + this.options.dataTimeoutMs;
    const { id, fnIndex, joinedAt } = job;
    this.jobs.set(id, { state: 'prefetching', id, fnIndex, joinedAt, dataDeadline });
    this.prefetched.add(job.id);
    this.out.push({ type: 'requestData', jobId: job.id });
    return undefined;
  }
}
