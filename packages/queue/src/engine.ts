import { newBatch } from './batch.js';
import type { Batch, Job } from './batch.js';
import { EstimatePublisher } from './estimates.js';
import { simulateDispatch } from './eta.js';
import type { BusySlot, EtaResult } from './eta.js';
import { resolveQueueOptions } from './options.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import { ServiceTimeModel } from './service-time.js';
import { MemoryWaitingLine } from './waiting-line.js';
import type { WaitingLine } from './waiting-line.js';
import type {
  BatchId,
  BatchOutcome,
  Effect,
  Estimation,
  JobId,
  JobOutcome,
  QueueOptions,
  QueueStats,
  RejectReason,
} from './types.js';

/** The least `retryAfter` (seconds) a `queue_full` carries, so clients never retry in a hot loop. */
export const MIN_RETRY_AFTER_SECONDS = 0.1;
/** `retryAfter` (seconds) when nothing is known about run times yet. */
export const FALLBACK_RETRY_AFTER_SECONDS = 1;

/**
 * The scheduler: Gradio's queue (FIFO, shared slots, batching, max size) as a pure state machine.
 * Every method is an event; it reads the injected clock once and returns the effects for the host to
 * execute, in order. See DESIGN.md §2 and this package's README.
 */
export class QueueEngine {
  private readonly options: ResolvedQueueOptions;
  private readonly endpoints: readonly ResolvedEndpoint[];
  private readonly line: WaitingLine = new MemoryWaitingLine();
  private readonly jobs = new Map<JobId, Job>();
  private readonly batches = new Map<BatchId, Batch>();
  /** At most one gathering batch per endpoint (it takes every new job of its endpoint). */
  private readonly openBatches = new Map<number, Batch>();
  private readonly slotsHeld: number[];
  private readonly models: ServiceTimeModel[];
  /** Per endpoint: seconds and count of successful batches, for `averageDuration`. */
  private readonly runTotals: { seconds: number; count: number }[];
  private readonly publisher: EstimatePublisher;
  /** Jobs that joined during this event and are owed their first estimate. */
  private readonly fresh = new Set<JobId>();
  private readonly counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0 };
  private readonly batchSizes: Record<number, number> = {};
  private jobSeconds = 0;
  private jobCount = 0;
  private nextBatchId = 1;
  private closing = false;
  private now = -Infinity;
  /** Bumped by every change that can move an estimate; keys the ETA pass cache. */
  private version = 0;
  private movedSincePublish = false;
  private passCache: { version: number; now: number; result: EtaResult } | null = null;
  /** The earliest tick asked for and not yet served. */
  private scheduledAt: number | null = null;
  private out: Effect[] = [];

  constructor(options: QueueOptions) {
    this.options = resolveQueueOptions(options);
    this.endpoints = this.options.endpoints;
    this.slotsHeld = this.endpoints.map(() => 0);
    this.models = this.endpoints.map((e) => new ServiceTimeModel(e.expectedDurationMs));
    this.runTotals = this.endpoints.map(() => ({ seconds: 0, count: 0 }));
    this.publisher = new EstimatePublisher(this.options.statusUpdateRate);
  }

  /** A client asks to run endpoint `fnIndex`. It gets `reject`, or an `estimate` and later exactly one `end`. */
  join(jobId: JobId, fnIndex: number): Effect[] {
    return this.step(() => {
      const endpoint = Number.isInteger(fnIndex) ? this.endpoints[fnIndex] : undefined;
      const { maxSize } = this.options;
      if (this.closing) return this.reject(jobId, 'shutting_down');
      if (this.jobs.has(jobId)) return this.reject(jobId, 'duplicate_id');
      if (!endpoint) return this.reject(jobId, 'unknown_endpoint');
      // maxSize counts waiting jobs only: a job that takes a slot at once never waits.
      const takesSlotNow = this.canTakeSlot(fnIndex);
      if (maxSize !== null && this.line.size >= maxSize && !takesSlotNow) return this.reject(jobId, 'queue_full');
      const now = this.now;
      this.jobs.set(jobId, { id: jobId, fnIndex, joinedAt: now, batch: null, dataDeadline: null });
      this.line.enqueue({ jobId, fnIndex, joinedAt: now });
      this.fresh.add(jobId);
      this.touch();
      // Its estimate must come before its `requestData`.
      if (takesSlotNow) this.publishEstimates();
    });
  }

  /** The data of a job that got `requestData` arrived. Ignored for any other job. */
  dataReceived(jobId: JobId): Effect[] {
    const batch = this.jobs.get(jobId)?.batch;
    if (!batch?.awaitingData.has(jobId)) return [];
    return this.step(() => {
      batch.awaitingData.delete(jobId);
      (this.jobs.get(jobId) as Job).dataDeadline = null;
      this.maybeStart(batch);
    });
  }

  /** The client cancelled or left, at any stage. Unknown ids are ignored. */
  cancel(jobId: JobId): Effect[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    return this.step(() => {
      if (job.batch) return this.leaveBatch(job, { status: 'cancelled' });
      this.line.remove(jobId);
      this.end(job, { status: 'cancelled' });
    });
  }

  /** The host's handler returned (or threw) for a started batch. Unknown or already-ended batches are ignored. */
  batchFinished(batchId: BatchId, outcome: BatchOutcome): Effect[] {
    const batch = this.batches.get(batchId);
    if (!batch || batch.startedAt === null) return [];
    const startedAt = batch.startedAt;
    return this.step(() => {
      this.freeSlot(batch);
      const ms = this.now - startedAt;
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
      const totals = this.runTotals[batch.fnIndex] as { seconds: number; count: number };
      // A batch whose members all left was likely cut short by its abort: not a fair sample.
      if (!batch.aborted) {
        (this.models[batch.fnIndex] as ServiceTimeModel).record(n, ms);
        totals.seconds += ms / 1000;
        totals.count++;
      }
      const averageDuration = totals.count > 0 ? totals.seconds / totals.count : ms / 1000;
      batch.jobIds.forEach((id, i) => {
        if (!batch.members.has(id)) return;
        this.jobSeconds += ms / 1000;
        this.jobCount++;
        const result = results[i];
        this.end(this.jobs.get(id) as Job, { status: 'success', result, duration: ms / 1000, averageDuration });
      });
    });
  }

  /** Time passed: runs what is due (data and run timeouts, batch delays, estimate pushes). */
  tick(): Effect[] {
    this.scheduledAt = null;
    return this.step(() => {
      const now = this.now;
      for (const batch of [...this.batches.values()]) {
        if (batch.startedAt !== null) {
          if (batch.runDeadline !== null && batch.runDeadline <= now) this.timeOut(batch);
          continue;
        }
        for (const id of [...batch.awaitingData]) {
          const job = this.jobs.get(id) as Job;
          if (job.dataDeadline !== null && job.dataDeadline <= now) {
            this.leaveBatch(job, { status: 'timeout', phase: 'data' });
          }
        }
        if (batch.open && batch.closeAt <= now && this.batches.has(batch.id)) this.close(batch);
      }
    });
  }

  /** Refuse new joins and end every waiting job with `shutdown`; jobs in slots go on. */
  shutdown(): Effect[] {
    return this.step(() => {
      if (this.closing) return;
      this.closing = true;
      for (const entry of [...this.line]) {
        this.line.remove(entry.jobId);
        this.end(this.jobs.get(entry.jobId) as Job, { status: 'shutdown' });
      }
      for (const batch of [...this.openBatches.values()]) this.close(batch);
    });
  }

  stats(): QueueStats {
    let running = 0;
    for (const batch of this.batches.values()) running += batch.members.size;
    return {
      waiting: this.line.size,
      running,
      busySlots: this.batches.size,
      batchSizes: { ...this.batchSizes },
      ...this.counts,
    };
  }

  /** The queue as a newcomer would see it, for `GET /queue/status`. */
  queueEstimation(): Omit<Estimation, 'rank'> & { rank: null } {
    this.now = Math.max(this.now, this.options.clock());
    return { ...this.estimation(0, this.pass()), rank: null, rankEta: null };
  }

  /** Size of every per-job or per-batch structure; all 0 once every job has ended. */
  internalSizes(): Record<string, number> {
    return {
      jobs: this.jobs.size,
      batches: this.batches.size,
      openBatches: this.openBatches.size,
      slotsHeld: this.slotsHeld.reduce((s, x) => s + x, 0),
      fresh: this.fresh.size,
      ...this.line.internalSizes(),
      ...this.publisher.internalSizes(),
    };
  }

  // ── one event ─────────────────────────────────────────────────────────────

  private step(body: () => void): Effect[] {
    this.now = Math.max(this.now, this.options.clock());
    body();
    this.fillSlots();
    this.publishEstimates();
    this.scheduleTick();
    this.movedSincePublish = false;
    const out = this.out;
    this.out = [];
    return out;
  }

  private touch(): void {
    this.version++;
    this.movedSincePublish = true;
  }

  private reject(jobId: JobId, reason: RejectReason): void {
    this.counts.rejected++;
    let retryAfter = 0;
    if (reason === 'queue_full') {
      // When the first waiting job is expected to leave the line, i.e. when a place frees.
      const firstStart = this.pass().firstStart;
      retryAfter =
        firstStart === Infinity
          ? (this.avgConcurrentProcessTime() ?? FALLBACK_RETRY_AFTER_SECONDS)
          : (firstStart - this.now) / 1000;
      retryAfter = Math.max(MIN_RETRY_AFTER_SECONDS, retryAfter);
    }
    const { maxSize } = this.options;
    this.out.push({ type: 'reject', jobId, reason, queueSize: this.line.size, maxSize, retryAfter });
  }

  private end(job: Job, outcome: JobOutcome): void {
    this.jobs.delete(job.id);
    this.publisher.forget(job.id);
    this.fresh.delete(job.id);
    if (outcome.status === 'success') this.counts.completed++;
    else if (outcome.status === 'cancelled') this.counts.cancelled++;
    else this.counts.failed++;
    this.touch();
    this.out.push({ type: 'end', jobId: job.id, outcome });
  }

  // ── slots ─────────────────────────────────────────────────────────────────

  /** Whether a job of this endpoint joining now would go straight into a slot. */
  private canTakeSlot(fnIndex: number): boolean {
    if (this.openBatches.has(fnIndex)) return true;
    return this.batches.size < this.options.concurrencyCount && this.underLimit(fnIndex);
  }

  private underLimit(fnIndex: number): boolean {
    return (this.slotsHeld[fnIndex] as number) < (this.endpoints[fnIndex] as ResolvedEndpoint).concurrencyLimit;
  }

  /** Gives waiting jobs to gathering batches, then free slots to the oldest eligible jobs. */
  private fillSlots(): void {
    if (this.line.size === 0) return;
    for (const batch of [...this.openBatches.values()]) this.admit(batch);
    while (this.batches.size < this.options.concurrencyCount) {
      const head = this.line.oldest((e) => this.underLimit(e) && !this.openBatches.has(e));
      if (!head) return;
      const endpoint = this.endpoints[head.fnIndex] as ResolvedEndpoint;
      const batch = newBatch(this.nextBatchId++, head.fnIndex, head.joinedAt + endpoint.maxBatchDelayMs);
      this.batches.set(batch.id, batch);
      this.slotsHeld[head.fnIndex] = (this.slotsHeld[head.fnIndex] as number) + 1;
      // A short batch holds its slot open until its oldest member has waited maxBatchDelayMs.
      if (batch.closeAt > this.now && this.line.sizeOf(head.fnIndex) < endpoint.maxBatchSize) {
        batch.open = true;
        this.openBatches.set(head.fnIndex, batch);
      }
      this.admit(batch);
    }
  }

  /** Moves the endpoint's oldest waiting jobs into the batch, up to its size, and asks for their data. */
  private admit(batch: Batch): void {
    const max = (this.endpoints[batch.fnIndex] as ResolvedEndpoint).maxBatchSize;
    const entries = this.line.take(batch.fnIndex, max - batch.members.size);
    for (const { jobId } of entries) {
      const job = this.jobs.get(jobId) as Job;
      job.batch = batch;
      job.dataDeadline = this.now + this.options.dataTimeoutMs;
      batch.members.add(jobId);
      batch.awaitingData.add(jobId);
      this.publisher.forget(jobId);
      this.out.push({ type: 'requestData', jobId });
    }
    if (entries.length > 0) this.touch();
    if (batch.open && batch.members.size >= max) this.close(batch);
  }

  private close(batch: Batch): void {
    batch.open = false;
    this.openBatches.delete(batch.fnIndex);
    this.maybeStart(batch);
  }

  /** Starts a closed batch once every member still present has sent its data; frees an empty one. */
  private maybeStart(batch: Batch): void {
    if (batch.startedAt !== null) return;
    if (batch.members.size === 0) return this.freeSlot(batch);
    if (batch.open || batch.awaitingData.size > 0) return;
    const timeoutMs = (this.endpoints[batch.fnIndex] as ResolvedEndpoint).timeoutMs;
    batch.startedAt = this.now;
    batch.jobIds = [...batch.members];
    batch.runDeadline = timeoutMs === null ? null : this.now + timeoutMs;
    const size = batch.jobIds.length;
    this.batchSizes[size] = (this.batchSizes[size] ?? 0) + 1;
    const expected = (this.models[batch.fnIndex] as ServiceTimeModel).predict(size);
    this.touch();
    this.out.push({
      type: 'startBatch',
      batchId: batch.id,
      fnIndex: batch.fnIndex,
      jobIds: [...batch.jobIds],
      expectedDuration: expected === null ? null : expected / 1000,
    });
  }

  /** A job in a slot leaves (cancel, data timeout). A running batch with nobody left is aborted. */
  private leaveBatch(job: Job, outcome: JobOutcome): void {
    const batch = job.batch as Batch;
    batch.members.delete(job.id);
    batch.awaitingData.delete(job.id);
    this.end(job, outcome);
    if (batch.startedAt === null) return this.maybeStart(batch);
    if (batch.members.size === 0 && !batch.aborted) {
      batch.aborted = true;
      this.out.push({ type: 'abort', batchId: batch.id, reason: 'cancelled' });
    }
  }

  /** A running batch passed timeoutMs: its members fail now and its slot frees; its late finish is ignored. */
  private timeOut(batch: Batch): void {
    this.freeSlot(batch);
    // Sent even after an abort for 'cancelled': it also tells the host the engine gave the slot away.
    this.out.push({ type: 'abort', batchId: batch.id, reason: 'timeout' });
    for (const id of batch.members) this.end(this.jobs.get(id) as Job, { status: 'timeout', phase: 'run' });
    batch.members.clear();
  }

  private freeSlot(batch: Batch): void {
    if (!this.batches.delete(batch.id)) return;
    this.slotsHeld[batch.fnIndex] = (this.slotsHeld[batch.fnIndex] as number) - 1;
    if (this.openBatches.get(batch.fnIndex) === batch) this.openBatches.delete(batch.fnIndex);
    this.touch();
  }

  // ── estimates and ticks ───────────────────────────────────────────────────

  private publishEstimates(): void {
    if (this.line.size === 0) {
      this.out.push(...this.publisher.publish(this.now, [], this.fresh));
    } else if (this.fresh.size > 0 || this.publisher.due(this.now, this.movedSincePublish)) {
      const pass = this.pass();
      this.out.push(...this.publisher.publish(this.now, this.estimations(pass), this.fresh));
    }
    this.fresh.clear();
  }

  private *estimations(pass: EtaResult): Generator<[JobId, Estimation]> {
    let rank = 0;
    for (const { jobId } of this.line) {
      yield [jobId, this.estimation(rank, pass)];
      rank++;
    }
  }

  private estimation(rank: number, pass: EtaResult): Estimation {
    const completion = pass.completions[rank] ?? Infinity;
    const avg = this.jobCount > 0 ? this.jobSeconds / this.jobCount : null;
    return {
      rank,
      queueSize: this.line.size,
      rankEta: completion === Infinity ? null : Math.max(0, (completion - this.now) / 1000),
      queueEta: Math.max(0, (pass.drained - this.now) / 1000),
      avgEventProcessTime: avg,
      avgEventConcurrentProcessTime: this.avgConcurrentProcessTime(),
    };
  }

  private avgConcurrentProcessTime(): number | null {
    return this.jobCount > 0 ? this.jobSeconds / this.jobCount / this.options.concurrencyCount : null;
  }

  /** The one-pass dispatcher simulation, cached until the state or the clock moves. */
  private pass(): EtaResult {
    const cache = this.passCache;
    if (cache && cache.version === this.version && cache.now === this.now) return cache.result;
    const now = this.now;
    const busy: BusySlot[] = [];
    for (const batch of this.batches.values()) {
      const model = this.models[batch.fnIndex] as ServiceTimeModel;
      const size = batch.startedAt === null ? batch.members.size : batch.jobIds.length;
      const run = model.predict(Math.max(1, size));
      const from = batch.startedAt ?? (batch.open ? Math.max(now, batch.closeAt) : now);
      busy.push({ fnIndex: batch.fnIndex, freeAt: run === null ? Infinity : Math.max(now, from + run) });
    }
    const result = simulateDispatch({
      now,
      concurrencyCount: this.options.concurrencyCount,
      endpoints: this.endpoints.map((e, i) => ({
        maxBatchSize: e.maxBatchSize,
        maxBatchDelayMs: e.maxBatchDelayMs,
        concurrencyLimit: e.concurrencyLimit,
        serviceTime: (size: number) => (this.models[i] as ServiceTimeModel).predict(size),
      })),
      busy,
      waiting: this.line,
    });
    this.passCache = { version: this.version, now, result };
    return result;
  }

  private scheduleTick(): void {
    let next = this.publisher.nextDue() ?? Infinity;
    for (const batch of this.batches.values()) {
      if (batch.runDeadline !== null) next = Math.min(next, batch.runDeadline);
      if (batch.open) next = Math.min(next, batch.closeAt);
      for (const id of batch.awaitingData) next = Math.min(next, this.jobs.get(id)?.dataDeadline ?? Infinity);
    }
    if (next === Infinity || (this.scheduledAt !== null && this.scheduledAt <= next)) return;
    this.scheduledAt = next;
    this.out.push({ type: 'scheduleTick', at: next });
  }
}
