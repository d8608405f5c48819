import { inLine } from './batch.js';
import type { Decision } from './decision.js';
import { publishEstimates, queueFullRetryAfter } from './estimate-round.js';
import { EstimatePublisher } from './estimates.js';
import { Forecast } from './forecast.js';
import { resolvePeerSlots, resolveQueueOptions, resolveWaitingLine } from './options.js';
import type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
import { nextPrefetchDue, planPrefetch, prefetchBound } from './prefetch.js';
import { QueueState } from './queue-state.js';
import { QueueViews } from './queue-view.js';
import { canTakeSlot, nextDue, nextFill, overrun, settle } from './slots.js';
import { OVERRUN_LOOK_MS, nextTickAt } from './tick-plan.js';
import { Timings } from './timings.js';
import type { WaitingEntry } from './waiting-line.js';
import type {
  BatchId,
  BatchOutcome,
  Effect,
  Estimation,
  JobId,
  QueueOptions,
  QueueStats,
  RejectReason,
} from './types.js';

export { FALLBACK_RETRY_AFTER_SECONDS, MIN_RETRY_AFTER_SECONDS } from './estimate-round.js';
export { OVERRUN_LOOK_MS } from './tick-plan.js';

/**
 * The scheduler: Gradio's queue (FIFO, shared slots, batching, max size) as a pure state machine.
 * Every method is an event; it reads the injected clock once and returns the effects for the host to
 * execute, in order. Its state has one writer (queue-state.ts); the slot and prefetch rules read it
 * and return decisions that the engine applies. See DESIGN.md §2 and this package's README.
 */
export class QueueEngine {
  private readonly options: ResolvedQueueOptions;
  private readonly endpoints: readonly ResolvedEndpoint[];
  private readonly state: QueueState;
  private readonly timings: Timings;
  private readonly forecast: Forecast;
  private readonly publisher: EstimatePublisher;
  private readonly prefetchBound: number;
  /** The last prefetch walk stopped at a job told its place in that event: ask it in the next one. */
  private prefetchStalled = false;
  /** Jobs that joined during this event and are owed their first estimate. */
  private readonly fresh = new Map<JobId, { entry: WaitingEntry; rank: number }>();
  private closing = false;
  private readonly views: QueueViews;
  /** The earliest tick asked for and not yet served. */
  private scheduledAt: number | null = null;

  constructor(options: QueueOptions) {
    this.options = resolveQueueOptions(options);
    this.endpoints = this.options.endpoints;
    this.timings = new Timings(this.endpoints, this.options.concurrencyCount);
    this.state = new QueueState(this.options, resolveWaitingLine(options.waitingLine), this.timings);
    this.views = new QueueViews(this.state);
    this.forecast = new Forecast(this.endpoints, this.options.concurrencyCount, this.timings);
    this.publisher = new EstimatePublisher(this.options.statusUpdateRate);
    this.prefetchBound = prefetchBound(this.options);
  }

  /** A client asks to run endpoint `fnIndex`. It gets `reject`, or an `estimate` and later exactly one `end`. */
  join(jobId: JobId, fnIndex: number): Effect[] {
    return this.step(() => {
      const endpoint = Number.isInteger(fnIndex) ? this.endpoints[fnIndex] : undefined;
      const { maxSize } = this.options;
      const { line, now } = this.state;
      // A slot that time alone gave back (a silent job, silence.ts) is taken before this job joins.
      for (let fill = nextFill(this.state); fill !== null; fill = nextFill(this.state)) this.decide(fill);
      if (this.closing) return this.reject(jobId, 'shutting_down');
      if (this.state.jobs.has(jobId)) return this.reject(jobId, 'duplicate_id');
      if (!endpoint) return this.reject(jobId, 'unknown_endpoint');
      // maxSize counts waiting jobs only: a job that takes a slot at once never waits.
      const takesSlotNow = canTakeSlot(this.state, fnIndex);
      if (maxSize !== null && line.size >= maxSize && !takesSlotNow) return this.reject(jobId, 'queue_full');
      const entry: WaitingEntry = { jobId, fnIndex, joinedAt: now };
      this.state.join(entry);
      this.timings.recordArrival(fnIndex, now);
      this.fresh.set(jobId, { entry, rank: line.size - 1 });
      // Nobody else's rank moved: not news for the others.
      this.views.joined();
      // Its estimate must come before its `requestData`.
      if (takesSlotNow) this.publishEstimates();
    });
  }

  /** The data of a job that got `requestData` arrived. Ignored for any other job, and when it came already. */
  dataReceived(jobId: JobId): Effect[] {
    const job = this.state.jobs.get(jobId);
    if (job?.state !== 'prefetching' && job?.state !== 'loading') return [];
    return this.step(() => this.settle(this.state.received(job)));
  }

  /** The client cancelled or left, at any stage. Unknown ids are ignored. */
  cancel(jobId: JobId): Effect[] {
    const job = this.state.jobs.get(jobId);
    if (!job) return [];
    return this.step(() => {
      if (inLine(job)) this.state.dropWaiting(job, { status: 'cancelled' });
      else this.settle(this.state.leave(job, { status: 'cancelled' }));
    });
  }

  /**
   * The job left this engine without an end: another process that shares the line took it (claimed it
   * for its slot), or the host learned it left elsewhere. A waiting job (asked for its data or not)
   * leaves the line, and the jobs behind move up; a job in a batch that has not started leaves it, and
   * the batch goes on without it (its slot frees if it was the only member). No `end`: its own process
   * ends it. A job in a started batch belongs to this process and ends here: ignored, as are unknown ids.
   */
  release(jobId: JobId): Effect[] {
    const job = this.state.jobs.get(jobId);
    if (!job || (!inLine(job) && this.state.started(job.batchId))) return [];
    return this.step(() => this.settle(this.state.release(job)));
  }

  /**
   * The other processes that share the line have `slots` slots in all (0: this one is alone, the
   * default). ETAs are worked out over every slot; this engine dispatches to its own only.
   * Throws QueueOptionTypeError / QueueOptionRangeError unless an integer ≥ 0.
   */
  peers(slots: number): Effect[] {
    const checked = resolvePeerSlots(slots);
    return this.step(() => {
      if (checked !== this.state.peers.slots) this.state.setPeerSlots(checked);
    });
  }

  /**
   * A batch of `size` jobs of endpoint `fnIndex` started on another process now; `key` names it among
   * all processes. It holds one of the peers' slots in the ETAs until `peerBatchFinished`, or, when it
   * runs past its expected time (its process may be gone), it is expected to end any moment, like a
   * local batch that overruns. A known key, an unknown endpoint or a size < 1 is ignored.
   */
  peerBatchStarted(key: string, fnIndex: number, size: number): Effect[] {
    const known = this.state.peers.has(key);
    if (known || this.endpoints[fnIndex] === undefined || !Number.isInteger(size) || size < 1) return [];
    return this.step(() => this.state.peerStarted(key, fnIndex, size));
  }

  /**
   * The peer batch `key` ended after `seconds` of running; when `ok`, that is a sample of its
   * endpoint's service time, as a local batch's is. Unknown keys are ignored.
   */
  peerBatchFinished(key: string, seconds: number, ok: boolean): Effect[] {
    if (!this.state.peers.has(key)) return [];
    return this.step(() => this.state.peerFinished(key, seconds * 1000, ok));
  }

  /** The host's handler returned (or threw) for a started batch. Unknown or already-ended batches are ignored. */
  batchFinished(batchId: BatchId, outcome: BatchOutcome): Effect[] {
    const batch = this.state.started(batchId);
    if (!batch) return [];
    return this.step(() => this.state.finish(batch, outcome));
  }

  /** Time passed: runs what is due (data and run timeouts, batch delays, estimate pushes). */
  tick(): Effect[] {
    this.scheduledAt = null;
    return this.step(() => {
      for (let due = this.nextDue(); due !== null; due = this.nextDue()) this.decide(due);
      // Time passing moved the ETAs behind an overrunning batch: look at them again.
      if (overrun(this.state, this.timings, OVERRUN_LOOK_MS).now) this.touch();
    });
  }

  /** Refuse new joins and end every waiting job with `shutdown` (prefetched ones too); jobs in slots go on. */
  shutdown(): Effect[] {
    return this.step(() => {
      if (this.closing) return;
      this.closing = true;
      for (const { jobId } of [...this.state.line]) {
        const job = this.state.jobs.get(jobId);
        if (job && inLine(job)) this.state.dropWaiting(job, { status: 'shutdown' });
      }
      for (const batchId of [...this.state.gathering.values()]) this.decide({ type: 'close', batchId });
    });
  }

  stats(): QueueStats {
    return this.state.stats();
  }

  /** The job's 0-based rank among waiting jobs; undefined when it is in a slot, has ended or is unknown. O(rank). */
  rank(jobId: JobId): number | undefined {
    return this.state.line.rank(jobId);
  }

  /** The queue as a newcomer would see it, for `GET /queue/status`. */
  queueEstimation(): Omit<Estimation, 'rank'> & { rank: null } {
    this.state.now = Math.max(this.state.now, this.options.clock());
    const view = this.views.view();
    return { ...this.forecast.estimation(view, 0, Infinity, this.forecast.pass(view, false)), rank: null };
  }

  /** Size of every per-job or per-batch structure; all 0 once every job has ended. */
  internalSizes(): Record<string, number> {
    return { ...this.state.internalSizes(), fresh: this.fresh.size, ...this.publisher.internalSizes() };
  }

  // ── one event ─────────────────────────────────────────────────────────────

  private step(body: () => void): Effect[] {
    this.state.now = Math.max(this.state.now, this.options.clock());
    this.publisher.nextEvent();
    body();
    this.absorb();
    for (let fill = nextFill(this.state); fill !== null; fill = nextFill(this.state)) this.decide(fill);
    this.publishEstimates();
    // After the estimates: a job that just joined hears where it stands before it is asked for data.
    this.prefetch();
    this.scheduleTick();
    const out = this.state.out;
    this.state.out = [];
    return out;
  }

  /** Applies a decision, then whatever the batch it changed needs in turn (close → start, leave → free …). */
  private decide(first: Decision): void {
    let decision: Decision | null = first;
    while (decision !== null) {
      const changed = this.state.apply(decision);
      this.absorb();
      const batch = changed === undefined ? undefined : this.state.batches.get(changed);
      decision = batch === undefined ? null : settle(this.state, batch);
    }
  }

  /** Settles the batch an event changed, if any. */
  private settle(batchId: BatchId | undefined): void {
    this.absorb();
    const batch = batchId === undefined ? undefined : this.state.batches.get(batchId);
    const decision = batch === undefined ? null : settle(this.state, batch);
    if (decision !== null) this.decide(decision);
  }

  /** Takes in what the state reports changed: jobs that left the line hear no more estimates. */
  private absorb(): void {
    const { left } = this.state;
    for (const jobId of left) {
      this.publisher.forget(jobId);
      this.fresh.delete(jobId);
    }
    left.length = 0;
    if (this.state.takeMoved()) this.touch();
  }

  private nextDue(): Decision | null {
    return nextDue(this.state) ?? nextPrefetchDue(this.state);
  }

  private prefetch(): void {
    // 'auto': a job is asked once it has heard its current place (the look that tells it is at most
    // 200 ms away). A numeric rate tells every N s whatever happens: no waiting for it.
    const auto = this.options.statusUpdateRate === 'auto';
    const plan = planPrefetch(this.state, this.prefetchBound, (jobId, rank) =>
      auto ? this.publisher.heardPlace(jobId, rank) : 'heard',
    );
    this.prefetchStalled = plan.stalled;
    for (const ask of plan.asks) this.decide(ask);
  }

  private touch(): void {
    this.views.moved();
    this.publisher.moved();
  }

  private reject(jobId: JobId, reason: RejectReason): void {
    this.state.counts.rejected++;
    const { out, line } = this.state;
    const retryAfter =
      reason === 'queue_full' ? queueFullRetryAfter(this.forecast, this.views.view(), this.timings) : 0;
    out.push({ type: 'reject', jobId, reason, queueSize: line.size, maxSize: this.options.maxSize, retryAfter });
  }

  // ── estimates and ticks ───────────────────────────────────────────────────

  private publishEstimates(): void {
    const { state, forecast, publisher, fresh } = this;
    publishEstimates({ state, forecast, publisher, fresh, view: this.views.view() });
    this.fresh.clear();
  }

  /** Asks for a tick at the earliest deadline (tick-plan.ts), or cancels the one asked for when nothing is left to time. */
  private scheduleTick(): void {
    const next = nextTickAt(this.state, this.options, this.timings, this.publisher, this.prefetchStalled);
    if (next === Infinity) {
      // Nothing left to time: the tick asked for (a run deadline of a batch that ended …) is not needed.
      if (this.scheduledAt !== null) this.state.out.push({ type: 'cancelTick' });
      this.scheduledAt = null;
      return;
    }
    if (this.scheduledAt !== null && this.scheduledAt <= next) return;
    this.scheduledAt = next;
    this.state.out.push({ type: 'scheduleTick', at: next });
  }
}
