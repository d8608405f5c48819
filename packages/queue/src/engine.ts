import type { Job } from './batch.js';
import { EstimatePublisher } from './estimates.js';
import type { EstimateSource } from './estimates.js';
import { Forecast } from './forecast.js';
import type { QueueView } from './forecast.js';
import { resolveQueueOptions } from './options.js';
import { Prefetch } from './prefetch.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import { Slots } from './slots.js';
import { Timings } from './timings.js';
import { MemoryWaitingLine } from './waiting-line.js';
import type { WaitingEntry, WaitingLine } from './waiting-line.js';
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
/** While a batch runs past its expected time, the ETAs behind it are looked at again this often (ms). */
export const OVERRUN_LOOK_MS = 1_000;

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
  private readonly slots: Slots;
  private readonly timings: Timings;
  private readonly forecast: Forecast;
  private readonly publisher: EstimatePublisher;
  private readonly prefetch: Prefetch;
  /** Jobs that joined during this event and are owed their first estimate. */
  private readonly fresh = new Map<JobId, { entry: WaitingEntry; rank: number }>();
  private readonly counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0 };
  private closing = false;
  private now = -Infinity;
  /** Bumped by every change of the line or the slots; keys the ETA pass cache. */
  private version = 0;
  /** Bumped by every change but a join at the back (see QueueView.moves). */
  private moves = 0;
  /** The earliest tick asked for and not yet served. */
  private scheduledAt: number | null = null;
  private out: Effect[] = [];

  constructor(options: QueueOptions) {
    this.options = resolveQueueOptions(options);
    this.endpoints = this.options.endpoints;
    this.timings = new Timings(this.endpoints, this.options.concurrencyCount);
    this.slots = new Slots(this.options, this.line, this.jobs, this.timings, {
      now: () => this.now,
      emit: (effect) => this.out.push(effect),
      end: (job, outcome) => this.end(job, outcome),
      moved: () => this.touch(),
      picked: (jobId) => {
        this.publisher.forget(jobId);
        this.prefetch.forget(jobId);
      },
    });
    this.prefetch = new Prefetch(this.options, this.line, this.jobs, {
      now: () => this.now,
      emit: (effect) => this.out.push(effect),
      end: (job, outcome) => this.end(job, outcome),
      // 'auto': a job is asked once it has heard its current place (the look that tells it is at most
      // 200 ms away). A numeric rate tells every N s whatever happens: no waiting for it.
      place: (jobId, rank) =>
        this.options.statusUpdateRate === 'auto' ? this.publisher.heardPlace(jobId, rank) : 'heard',
    });
    this.forecast = new Forecast(this.endpoints, this.options.concurrencyCount, this.timings);
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
      const takesSlotNow = this.slots.canTakeSlot(fnIndex);
      if (maxSize !== null && this.line.size >= maxSize && !takesSlotNow) return this.reject(jobId, 'queue_full');
      const entry: WaitingEntry = { jobId, fnIndex, joinedAt: this.now };
      this.jobs.set(jobId, {
        id: jobId,
        fnIndex,
        joinedAt: this.now,
        batch: null,
        data: 'unasked',
        dataDeadline: null,
      });
      this.line.enqueue(entry);
      this.timings.recordArrival(fnIndex, this.now);
      this.fresh.set(jobId, { entry, rank: this.line.size - 1 });
      // Nobody else's rank moved: not news for the others.
      this.version++;
      // Its estimate must come before its `requestData`.
      if (takesSlotNow) this.publishEstimates();
    });
  }

  /** The data of a job that got `requestData` arrived. Ignored for any other job, and when it came already. */
  dataReceived(jobId: JobId): Effect[] {
    const job = this.jobs.get(jobId);
    if (job?.data !== 'asked') return [];
    // A prefetched job still waiting holds its data until it is picked.
    if (job.batch === null) return this.step(() => this.prefetch.received(job));
    return this.step(() => this.slots.dataReceived(job));
  }

  /** The client cancelled or left, at any stage. Unknown ids are ignored. */
  cancel(jobId: JobId): Effect[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    return this.step(() => {
      if (job.batch) return this.slots.leave(job, { status: 'cancelled' });
      this.line.remove(jobId);
      this.end(job, { status: 'cancelled' });
    });
  }

  /** The host's handler returned (or threw) for a started batch. Unknown or already-ended batches are ignored. */
  batchFinished(batchId: BatchId, outcome: BatchOutcome): Effect[] {
    const batch = this.slots.started(batchId);
    if (!batch) return [];
    const startedAt = batch.startedAt as number;
    return this.step(() => {
      this.slots.free(batch);
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
      // A batch whose members all left was likely cut short by its abort: not a fair sample.
      if (!batch.aborted) this.timings.recordBatch(batch.fnIndex, n, ms);
      const duration = ms / 1000;
      const averageDuration = this.timings.averageDuration(batch.fnIndex) ?? duration;
      batch.jobIds.forEach((id, i) => {
        if (!batch.members.has(id)) return;
        this.timings.recordJob(duration);
        this.end(this.jobs.get(id) as Job, { status: 'success', result: results[i], duration, averageDuration });
      });
    });
  }

  /** Time passed: runs what is due (data and run timeouts, batch delays, estimate pushes). */
  tick(): Effect[] {
    this.scheduledAt = null;
    return this.step(() => {
      this.slots.expire();
      this.prefetch.expire();
      // Time passing moved the ETAs behind an overrunning batch: look at them again.
      if (this.slots.overrun(OVERRUN_LOOK_MS).now) this.touch();
    });
  }

  /** Refuse new joins and end every waiting job with `shutdown` (prefetched ones too); jobs in slots go on. */
  shutdown(): Effect[] {
    return this.step(() => {
      if (this.closing) return;
      this.closing = true;
      for (const entry of [...this.line]) {
        this.line.remove(entry.jobId);
        this.end(this.jobs.get(entry.jobId) as Job, { status: 'shutdown' });
      }
      this.slots.closeAll();
    });
  }

  stats(): QueueStats {
    return {
      waiting: this.line.size,
      running: this.slots.running,
      busySlots: this.slots.busy,
      batchSizes: this.slots.batchSizes(),
      ...this.counts,
    };
  }

  /** The job's 0-based rank among waiting jobs; undefined when it is in a slot, has ended or is unknown. O(rank). */
  rank(jobId: JobId): number | undefined {
    return this.line.rank(jobId);
  }

  /** The queue as a newcomer would see it, for `GET /queue/status`. */
  queueEstimation(): Omit<Estimation, 'rank'> & { rank: null } {
    this.now = Math.max(this.now, this.options.clock());
    const view = this.view();
    return { ...this.forecast.estimation(view, 0, Infinity, this.forecast.pass(view, false)), rank: null };
  }

  /** Size of every per-job or per-batch structure; all 0 once every job has ended. */
  internalSizes(): Record<string, number> {
    return {
      jobs: this.jobs.size,
      fresh: this.fresh.size,
      prefetched: this.prefetch.size,
      ...this.slots.internalSizes(),
      ...this.line.internalSizes(),
      ...this.publisher.internalSizes(),
    };
  }

  // ── one event ─────────────────────────────────────────────────────────────

  private step(body: () => void): Effect[] {
    this.now = Math.max(this.now, this.options.clock());
    this.publisher.nextEvent();
    body();
    this.slots.fill();
    this.publishEstimates();
    // After the estimates: a job that just joined hears where it stands before it is asked for data.
    this.prefetch.fill();
    this.scheduleTick();
    const out = this.out;
    this.out = [];
    return out;
  }

  private touch(): void {
    this.version++;
    this.moves++;
    this.publisher.moved();
  }

  private reject(jobId: JobId, reason: RejectReason): void {
    this.counts.rejected++;
    let retryAfter = 0;
    if (reason === 'queue_full') {
      // When the first waiting job is expected to leave the line, i.e. when a place frees.
      const firstStart = this.forecast.pass(this.view(), true).firstStart;
      retryAfter =
        firstStart === Infinity
          ? (this.timings.avgEventConcurrentProcessTime() ?? FALLBACK_RETRY_AFTER_SECONDS)
          : (firstStart - this.now) / 1000;
      retryAfter = Math.max(MIN_RETRY_AFTER_SECONDS, retryAfter);
    }
    const { maxSize } = this.options;
    this.out.push({ type: 'reject', jobId, reason, queueSize: this.line.size, maxSize, retryAfter });
  }

  private end(job: Job, outcome: JobOutcome): void {
    this.jobs.delete(job.id);
    this.publisher.forget(job.id);
    this.prefetch.forget(job.id);
    this.fresh.delete(job.id);
    if (outcome.status === 'success') this.counts.completed++;
    else if (outcome.status === 'cancelled') this.counts.cancelled++;
    else this.counts.failed++;
    this.touch();
    this.out.push({ type: 'end', jobId: job.id, outcome });
  }

  // ── estimates and ticks ───────────────────────────────────────────────────

  private publishEstimates(): void {
    const view = this.view();
    if (this.line.size === 0) {
      this.publisher.idle();
    } else if (this.publisher.due(this.now)) {
      const pass = this.forecast.pass(view, true);
      const source: EstimateSource = {
        completion: (rank) => pass.completions[rank] ?? Infinity,
        estimation: (rank) => this.forecast.estimation(view, rank, pass.completions[rank] ?? Infinity, pass),
      };
      this.publisher.publish(this.now, this.line, source, new Set(this.fresh.keys()), this.out);
    } else {
      for (const [jobId, { entry, rank }] of this.fresh) {
        const { completion, pass } = this.forecast.newcomer(view, entry, rank);
        const estimation = this.forecast.estimation(view, rank, completion, pass);
        this.out.push(this.publisher.tell(this.now, jobId, estimation, completion));
      }
    }
    this.fresh.clear();
  }

  private view(): QueueView {
    return { now: this.now, version: this.version, moves: this.moves, line: this.line, batches: this.slots.all() };
  }

  /** The earliest deadline of any batch or member (data, batch delay, run), prefetched job, estimate push or overrun look. */
  private scheduleTick(): void {
    let next = Math.min(this.publisher.nextDue() ?? Infinity, this.slots.nextDeadline(), this.prefetch.nextDeadline());
    if (this.options.statusUpdateRate === 'auto' && this.line.size > 0) {
      next = Math.min(next, this.slots.overrun(OVERRUN_LOOK_MS).lookAt);
    }
    if (next === Infinity || (this.scheduledAt !== null && this.scheduledAt <= next)) return;
    this.scheduledAt = next;
    this.out.push({ type: 'scheduleTick', at: next });
  }
}
