import { assertNever } from './assert-never.js';
import { inLine } from './batch.js';
import type { Batch, Job, LineJob, LoadingJob, SlotJob, StartedBatch } from './batch.js';
import type { Decision } from './decision.js';
import { readyJobs } from './pick-order.js';
import { QueueRecords } from './queue-records.js';
import { answering, firstYounger } from './silence.js';
import type { BatchId, BatchOutcome, JobId, JobOutcome } from './types.js';
import type { WaitingEntry } from './waiting-line.js';

/**
 * The engine's state and the only code that changes it (its records are queue-records.ts). It applies
 * the events the engine receives and the decisions its planners return, and records the effects they
 * cause. Each change that needs a follow-up on a batch returns that batch, for the engine to settle.
 */
export class QueueState extends QueueRecords {
  join(entry: WaitingEntry): void {
    const { jobId: id, fnIndex, joinedAt } = entry;
    this.jobs.set(id, { state: 'waiting', id, fnIndex, joinedAt, ticket: this.nextTicket++ });
    this.line.enqueue(entry);
  }

  /** An asked job's data arrived: a waiting one holds it until picked; in a slot, its batch may start. */
  received(job: Job): BatchId | undefined {
    const { id, fnIndex, joinedAt, ticket } = job;
    if (job.state === 'prefetching') this.jobs.set(id, { state: 'prefetched', id, fnIndex, joinedAt, ticket });
    if (job.state !== 'loading') return undefined;
    this.jobs.set(id, { state: 'ready', id, fnIndex, joinedAt, ticket, batchId: job.batchId });
    return job.batchId;
  }

  /** A waiting job leaves the line and ends. */
  dropWaiting(job: LineJob, outcome: JobOutcome): void {
    this.line.remove(job.id);
    this.end(job, outcome);
  }

  /** A job in a slot leaves its batch (cancel, data timeout) and ends. */
  leave(job: SlotJob, outcome: JobOutcome): BatchId {
    const batchId = this.unbatch(job);
    this.end(job, outcome);
    return batchId;
  }

  /**
   * The job left this engine without an end (another process took it): out of the line, or out of its
   * batch if that has not started; returns that batch. A job in a started batch stays (see `release`).
   */
  release(job: Job): BatchId | undefined {
    let batchId: BatchId | undefined;
    if (inLine(job)) this.line.remove(job.id);
    else if (this.started(job.batchId)) return undefined;
    else batchId = this.unbatch(job);
    this.jobs.delete(job.id);
    this.prefetched.delete(job.id);
    this.counts.released++;
    this.left.push(job.id);
    this.moved = true;
    return batchId;
  }

  /** The other processes have `slots` slots in all. */
  setPeerSlots(slots: number): void {
    this.peers.setSlots(slots);
    this.timings.setSlots(this.options.concurrencyCount + slots);
    this.moved = true;
  }

  /** A batch started on another process now. A key already known is ignored. */
  peerStarted(key: string, fnIndex: number, size: number): void {
    if (this.peers.has(key)) return;
    this.peers.start(key, { fnIndex, size, startedAt: this.now });
    this.moved = true;
  }

  /** A batch on another process ended after `ms` of running; an `ok` one is a sample for S(b). */
  peerFinished(key: string, ms: number, ok: boolean): void {
    const batch = this.peers.finish(key);
    if (batch === undefined) return;
    // A duration that is no number of ms (a peer's clock gone wrong) teaches nothing.
    if (ok && Number.isFinite(ms) && ms >= 0) {
      this.timings.recordBatch(batch.fnIndex, batch.size, ms);
      for (let i = 0; i < batch.size; i++) this.timings.recordJob(ms / 1000);
    }
    this.moved = true;
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
      case 'stepBack':
        return this.stepBack(this.jobs.get(decision.jobId) as LoadingJob);
      default:
        return assertNever(decision);
    }
  }

  /**
   * The data deadline of a job picked now: `pickedDataTimeoutMs` from now, or `dataTimeoutMs` from when
   * it was asked (earlier, if prefetched; else now), whichever comes first.
   */
  private pickedDeadline(job: LineJob): { dataDeadline: number; dataLimitMs: number } {
    const { pickedDataTimeoutMs, dataTimeoutMs } = this.options;
    const asked = job.state === 'prefetching' ? job.dataDeadline : this.now + dataTimeoutMs;
    const askedLimitMs = job.state === 'prefetching' ? job.dataLimitMs : dataTimeoutMs;
    if (asked <= this.now + pickedDataTimeoutMs) return { dataDeadline: asked, dataLimitMs: askedLimitMs };
    return { dataDeadline: this.now + pickedDataTimeoutMs, dataLimitMs: pickedDataTimeoutMs };
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

  /**
   * Moves waiting jobs of the batch's endpoint into it, up to its size: first those whose data is in
   * hand, oldest first, then the oldest of the rest; asks for the data of those not asked yet.
   */
  private admit(batch: Batch): BatchId {
    const room = this.endpoint(batch.fnIndex).maxBatchSize - batch.members.size;
    const ready = readyJobs(this, batch.fnIndex, room);
    for (const job of ready) this.line.remove(job.id);
    const passing = answering(this, batch.fnIndex, room - ready.length);
    for (const { jobId } of passing ?? []) this.line.remove(jobId);
    const rest = (passing ?? this.line.take(batch.fnIndex, room - ready.length)).map((e) => this.lineJob(e.jobId));
    // Members in join order, as the batch's results are.
    const entries = [...ready, ...rest].sort((a, b) => a.ticket - b.ticket);
    const members = new Set(batch.members);
    for (const job of entries) {
      const { id, fnIndex, joinedAt, ticket } = job;
      const batchId = batch.id;
      members.add(id);
      this.prefetched.delete(id);
      this.left.push(id);
      if (job.state === 'prefetched') {
        this.jobs.set(id, { state: 'ready', id, fnIndex, joinedAt, ticket, batchId });
        continue;
      }
      const askedAt = job.state === 'prefetching' ? job.askedAt : this.now;
      const deadline = this.pickedDeadline(job);
      this.jobs.set(id, { state: 'loading', id, fnIndex, joinedAt, ticket, batchId, askedAt, ...deadline });
      // A prefetched job that has not answered was asked already.
      if (job.state === 'waiting') this.out.push({ type: 'requestData', jobId: id });
    }
    if (entries.length > 0) this.moved = true;
    // In join order even when a silent job, passed before, joins later (silence.ts).
    const ordered = [...members].sort((a, b) => (this.jobs.get(a) as Job).ticket - (this.jobs.get(b) as Job).ticket);
    this.batches.set(batch.id, { ...batch, members: new Set(ordered) });
    return batch.id;
  }

  /**
   * A silent job gives back the slot it holds before its batch starts, for a job whose data is in hand:
   * it loses its turn, not its place. It returns to the line in front of the first younger waiting job,
   * still asked, with the data deadline it had.
   */
  private stepBack(job: LoadingJob): BatchId {
    const batchId = this.unbatch(job);
    const { id, fnIndex, joinedAt, ticket, askedAt, dataDeadline, dataLimitMs } = job;
    this.jobs.set(id, { state: 'prefetching', id, fnIndex, joinedAt, ticket, askedAt, dataDeadline, dataLimitMs });
    this.line.insert({ jobId: id, fnIndex, joinedAt }, firstYounger(this, ticket));
    this.prefetched.add(id);
    this.moved = true;
    return batchId;
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
    if (!inLine(job)) {
      const limitMs = job.state === 'loading' ? job.dataLimitMs : this.options.dataTimeoutMs;
      return this.leave(job, { status: 'timeout', phase: 'data', limitMs });
    }
    const limitMs = job.state === 'prefetching' ? job.dataLimitMs : this.options.dataTimeoutMs;
    this.dropWaiting(job, { status: 'timeout', phase: 'data', limitMs });
    return undefined;
  }

  private ask(job: Job): undefined {
    if (job.state !== 'waiting') return undefined;
    const dataLimitMs = this.options.dataTimeoutMs;
    const dataDeadline = this.now + dataLimitMs;
    const { id, fnIndex, joinedAt, ticket } = job;
    this.jobs.set(id, {
      state: 'prefetching',
      id,
      fnIndex,
      joinedAt,
      ticket,
      askedAt: this.now,
      dataDeadline,
      dataLimitMs,
    });
    this.prefetched.add(job.id);
    this.out.push({ type: 'requestData', jobId: job.id });
    return undefined;
  }
}
