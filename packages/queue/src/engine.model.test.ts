import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueEngine } from './engine.js';
import { autoInterval } from './estimates.js';
import type { BatchId, Effect, EndpointOptions, JobId, QueueOptions } from './types.js';
import { ArrayWaitingLine } from './waiting-line.contract.test-utils.js';
import { MemoryWaitingLine } from './waiting-line.js';
import type { WaitingLine } from './waiting-line.js';

// Model-based tests: random options and random event sequences, with a model host that executes the
// engine's effects and checks the queue's invariants after every effect and every step.

type Options = Required<Omit<QueueOptions, 'clock' | 'endpoints' | 'waitingLine'>> & {
  endpoints: Required<EndpointOptions>[];
};

type Command =
  | { kind: 'join'; fn: number; duplicate: boolean }
  | { kind: 'data'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'finish'; pick: number; ok: boolean; wrongLength: boolean }
  | { kind: 'release'; pick: number }
  | { kind: 'peer'; op: 'slots' | 'start' | 'finish'; n: number; ok: boolean }
  | { kind: 'tick' };

type Step = Command & { advance: number };

const endpointArb: fc.Arbitrary<Required<EndpointOptions>> = fc.record({
  batch: fc.boolean(),
  maxBatchSize: fc.integer({ min: 1, max: 4 }),
  maxBatchDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
  concurrencyLimit: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
  expectedDurationMs: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
  timeoutMs: fc.option(fc.integer({ min: 20, max: 300 }), { nil: null }),
});

const optionsArb: fc.Arbitrary<Options> = fc.record({
  concurrencyCount: fc.integer({ min: 1, max: 3 }),
  maxSize: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  statusUpdateRate: fc.oneof(fc.constant('auto' as const), fc.constantFrom(0.1, 0.25, 1)),
  dataTimeoutMs: fc.integer({ min: 20, max: 500 }),
  pickedDataTimeoutMs: fc.option(fc.integer({ min: 10, max: 300 }), { nil: null }),
  prefetchData: fc.boolean(),
  prefetchGraceMs: fc.integer({ min: 10, max: 400 }),
  endpoints: fc.array(endpointArb, { minLength: 1, maxLength: 3 }),
});

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      fn: fc.nat(3),
      duplicate: fc.nat(9).map((n) => n === 0),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('data' as const), pick: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(20) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      pick: fc.nat(20),
      ok: fc.boolean(),
      wrongLength: fc.nat(9).map((n) => n === 0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  // Another process that shares the line took a job, or ran a batch.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('peer' as const),
      op: fc.constantFrom('slots' as const, 'start' as const, 'finish' as const),
      n: fc.nat(3),
      ok: fc.boolean(),
    }),
  },
);

const stepArb: fc.Arbitrary<Step> = fc
  .tuple(commandArb, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })))
  .map(([command, advance]) => ({ ...command, advance }));

interface JobState {
  fn: number;
  seq: number;
  /** Got `requestData`: when picked, or earlier while waiting (prefetch). */
  asked: boolean;
  /** Clock ms of its `requestData`. */
  askedAt: number;
  /** Silent jobs that went back to their place ahead of it since it was last told its rank. */
  steppedBackAhead: number;
  /** Answered after it had turned silent (the jobs behind it may have been asked meanwhile). */
  revived: boolean;
  /** Left the line for a slot (the engine no longer ranks it). */
  picked: boolean;
  /** Was asked while it still waited. */
  prefetched: boolean;
  dataSent: boolean;
  started: boolean;
  /** Left without an end (`release`): taken by another process. */
  released: boolean;
  ends: number;
  lastRank: number | null;
  lastEstimateAt: number | null;
  /** Clock ms of the completion it was last told (`Infinity`: unknown). */
  lastCompletesAt: number;
  /** The `apply` its last estimate came in; -Infinity for its first (hosts write that one at once). */
  toldIn: number;
  /** When its rank first differed from the last one it was told; null when it knows its rank. */
  movedAt: number | null;
}

class InvariantError extends Error {}

/** How often the runs reached each corner of the state space. */
const seen = {
  queueFull: 0,
  sharedBatch: 0,
  dataTimeout: 0,
  runTimeout: 0,
  abortCancelled: 0,
  shutdown: 0,
  cancelledRunning: 0,
  heldBack: 0,
  prefetchStarted: 0,
  prefetchCancelled: 0,
  prefetchDataTimeout: 0,
  prefetchFull: 0,
  prefetchWaiting: 0,
  releasedWaiting: 0,
  releasedPicked: 0,
  releaseIgnored: 0,
  peerBatches: 0,
  silentPassed: 0,
  steppedBack: 0,
};

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** A host that executes effects faithfully (one timer, replaced by each scheduleTick) and checks them. */
class ModelHost {
  now = 0;
  readonly engine: QueueEngine;
  readonly jobs = new Map<JobId, JobState>();
  /** Started batches the engine still counts as holding a slot. */
  readonly live = new Map<BatchId, { fn: number; jobIds: JobId[] }>();
  /** Batches that ended (finished or timed out): a finish for them must be ignored. */
  readonly gone: BatchId[] = [];
  timerAt: number | null = null;
  nextId = 0;
  rejected = 0;
  closing = false;
  /** Counts `apply` calls: each engine event's effects come in one. */
  applies = 0;
  released = 0;
  /** Keys of peer batches reported started and not finished. */
  readonly peerKeys: string[] = [];
  private nextPeerKey = 0;

  constructor(
    readonly options: Options,
    waitingLine: WaitingLine,
  ) {
    this.engine = new QueueEngine({ ...options, clock: () => this.now, waitingLine });
  }

  private waitingIds(): JobId[] {
    return [...this.jobs.entries()]
      .filter(([, j]) => !j.picked && !j.released && j.ends === 0)
      .sort((a, b) => a[1].seq - b[1].seq)
      .map(([id]) => id);
  }

  /** Asked, not answered, past `prefetchGraceMs` (prefetch on): it loses its turn, not its place (silence.ts). */
  private silent(job: JobState): boolean {
    const grace = this.options.prefetchGraceMs as number;
    return this.options.prefetchData && job.asked && !job.dataSent && this.now >= job.askedAt + grace;
  }

  private maxBatch(fn: number): number {
    const e = this.options.endpoints[fn] as Required<EndpointOptions>;
    return e.batch ? e.maxBatchSize : 1;
  }

  /** Most waiting jobs with their data asked for: a full batch of the largest endpoint per slot. */
  private prefetchBound(): number {
    if (!this.options.prefetchData) return 0;
    const largest = Math.max(...this.options.endpoints.map((_, fn) => this.maxBatch(fn)));
    return this.options.concurrencyCount * largest;
  }

  run(step: Step): void {
    this.now += step.advance;
    switch (step.kind) {
      case 'join':
        return this.join(step.fn % (this.options.endpoints.length + 1), step.duplicate);
      case 'data':
        return this.data(step.pick);
      case 'cancel':
        return this.cancel(step.pick);
      case 'finish':
        return this.finish(step.pick, step.ok, step.wrongLength);
      case 'release':
        return this.release(step.pick);
      case 'peer':
        return this.peer(step.op, step.n, step.ok);
      case 'tick':
        return this.tick();
    }
  }

  /** Another process took a job: it leaves without an end, unless its batch has started here. */
  release(pick: number): void {
    const alive = this.alive();
    const id = alive[pick % (alive.length + 1)] ?? 'nobody';
    const job = this.jobs.get(id);
    const effects = this.engine.release(id);
    check(!effects.some((e) => e.type === 'end' && e.jobId === id), `released ${id} got an end`);
    if (job === undefined || job.started) {
      check(effects.length === 0, `release of ${job ? 'started' : 'unknown'} ${id} had effects`);
      if (job) seen.releaseIgnored++;
      return;
    }
    seen[job.picked ? 'releasedPicked' : 'releasedWaiting']++;
    job.released = true;
    this.released++;
    this.apply(effects);
    check(this.engine.rank(id) === undefined, `released ${id} still waits`);
  }

  /** Other processes' slots come and go, and their batches start and end: ETAs only. */
  peer(op: 'slots' | 'start' | 'finish', n: number, ok: boolean): void {
    if (op === 'slots') return this.apply(this.engine.peers(n));
    if (op === 'start') {
      const key = `p${this.nextPeerKey++}`;
      this.peerKeys.push(key);
      seen.peerBatches++;
      return this.apply(this.engine.peerBatchStarted(key, n % this.options.endpoints.length, 1 + n));
    }
    const key = this.peerKeys.splice(n % (this.peerKeys.length + 1), 1)[0] ?? 'unknown';
    this.apply(this.engine.peerBatchFinished(key, n / 10, ok));
  }

  private alive(): JobId[] {
    return [...this.jobs.entries()].filter(([, j]) => j.ends === 0 && !j.released).map(([id]) => id);
  }

  join(fn: number, duplicate: boolean): void {
    const alive = this.alive();
    if (duplicate && alive[0] !== undefined) {
      const effects = this.engine.join(alive[0], fn);
      const reason = this.closing ? 'shutting_down' : 'duplicate_id';
      check(
        effects.some((e) => e.type === 'reject' && e.reason === reason),
        'duplicate id accepted',
      );
      this.rejected++;
      return this.apply(effects);
    }
    const id = `j${this.nextId++}`;
    const job: JobState = {
      fn,
      seq: this.nextId,
      asked: false,
      askedAt: Infinity,
      revived: false,
      steppedBackAhead: 0,
      picked: false,
      prefetched: false,
      dataSent: false,
      started: false,
      released: false,
      ends: 0,
      lastRank: null,
      lastEstimateAt: null,
      lastCompletesAt: Infinity,
      toldIn: -Infinity,
      movedAt: null,
    };
    this.jobs.set(id, job);
    const waitingBefore = this.engine.stats().waiting;
    const effects = this.engine.join(id, fn);
    const reject = effects.find((e) => e.type === 'reject');
    if (reject?.type === 'reject') {
      this.rejected++;
      this.jobs.delete(id);
      check(!effects.some((e) => e !== reject && 'jobId' in e && e.jobId === id), `rejected ${id} got more`);
      if (this.closing) check(reject.reason === 'shutting_down', 'join after shutdown not refused as such');
      else if (fn >= this.options.endpoints.length) check(reject.reason === 'unknown_endpoint', 'unknown endpoint');
      if (reject.reason === 'queue_full') {
        seen.queueFull++;
        const { maxSize } = this.options;
        check(maxSize !== null && waitingBefore >= maxSize, 'queue_full below maxSize');
        check(reject.retryAfter >= 0.1, 'retryAfter below 0.1 s');
      }
    } else {
      check(fn < this.options.endpoints.length, `accepted ${id} for unknown endpoint ${fn}`);
      check(!this.closing, `accepted ${id} after shutdown`);
      const first = effects.find((e) => 'jobId' in e && e.jobId === id);
      check(first?.type === 'estimate', `${id} got no estimate first`);
    }
    this.apply(effects);
  }

  shutdown(): void {
    this.closing = true;
    this.apply(this.engine.shutdown());
    check(this.waitingIds().length === 0, 'jobs still wait after shutdown');
  }

  data(pick: number): void {
    const awaiting = this.awaitingData();
    const id = awaiting[pick % (awaiting.length + 1)];
    if (id === undefined) {
      // Data nobody asked for (a waiting job not asked, or an unknown id) is ignored, and so is data that came already.
      const unasked = this.waitingIds().find((w) => !(this.jobs.get(w) as JobState).asked);
      check(this.engine.dataReceived(unasked ?? 'nobody').length === 0, 'unasked data had effects');
      const answered = [...this.jobs.entries()].find(([, j]) => j.dataSent && !j.started && j.ends === 0);
      if (answered) check(this.engine.dataReceived(answered[0]).length === 0, 'data twice had effects');
      return;
    }
    const job = this.jobs.get(id) as JobState;
    // Asked past the bound while it was silent, it counts again once it answers.
    if (this.silent(job)) job.revived = true;
    job.dataSent = true;
    this.apply(this.engine.dataReceived(id));
  }

  private awaitingData(): JobId[] {
    return [...this.jobs.entries()]
      .filter(([, j]) => j.asked && !j.dataSent && !j.released && j.ends === 0)
      .map(([id]) => id);
  }

  cancel(pick: number): void {
    const alive = [...this.jobs.entries()].filter(([, j]) => j.ends === 0 && !j.released);
    const entry = alive[pick % (alive.length + 1)];
    const effects = this.engine.cancel(entry?.[0] ?? 'nobody');
    if (!entry) check(effects.length === 0, 'cancel of an unknown id had effects');
    else
      check(
        effects.some((e) => e.type === 'end' && e.jobId === entry[0]),
        'cancel did not end the job',
      );
    this.apply(effects);
  }

  finish(pick: number, ok: boolean, wrongLength: boolean): void {
    const live = [...this.live.entries()];
    const entry = live[pick % (live.length + 1)];
    if (!entry) {
      const stale = this.gone[pick % Math.max(1, this.gone.length)] ?? 999;
      check(this.engine.batchFinished(stale, { ok: true, results: [] }).length === 0, 'stale finish had effects');
      return;
    }
    const [batchId, batch] = entry;
    this.live.delete(batchId);
    this.gone.push(batchId);
    const results = batch.jobIds.map((id) => `result of ${id}`);
    if (wrongLength) results.pop();
    const effects = this.engine.batchFinished(batchId, ok ? { ok: true, results } : { ok: false, error: 'boom' });
    for (const effect of effects) {
      if (effect.type !== 'end') continue;
      const i = batch.jobIds.indexOf(effect.jobId);
      if (i < 0) continue;
      if (ok && !wrongLength) check(effect.outcome.status === 'success', 'ok batch did not succeed');
      if (effect.outcome.status === 'success') check(effect.outcome.result === results[i], 'result misrouted');
      else check(effect.outcome.status === 'error', `finished member ended ${effect.outcome.status}`);
    }
    this.apply(effects);
  }

  tick(): void {
    this.timerAt = null;
    this.apply(this.engine.tick());
    // Prefetch happens: after an event (a tick always is one), the head of the line is asked unless the
    // bound is reached or, with 'auto', it has not heard its current place before this event.
    const waiting = this.waitingIds();
    const head = waiting[0] === undefined ? undefined : (this.jobs.get(waiting[0]) as JobState);
    const prefetched = waiting.filter((id) => {
      const job = this.jobs.get(id) as JobState;
      return job.asked && !this.silent(job);
    }).length;
    const knowsPlace = this.options.statusUpdateRate !== 'auto' || (head?.lastRank === 0 && head.toldIn < this.applies);
    if (this.options.prefetchData && head && knowsPlace && prefetched < this.prefetchBound())
      check(head.asked, `head ${waiting[0]} not prefetched`);
    if (this.options.statusUpdateRate !== 'auto') return;
    // No news is held back long: a job whose rank moved hears of it within two looks (200 ms), or a
    // look after it may hear again (a tenth of the wait it was last told).
    for (const id of this.waitingIds()) {
      const job = this.jobs.get(id) as JobState;
      if (job.movedAt === null) continue;
      const allowedAt = (job.lastEstimateAt ?? -Infinity) + autoInterval(job.lastEstimateAt ?? 0, job.lastCompletesAt);
      const by = Math.max(job.movedAt + 200, allowedAt + 100);
      check(this.now < by, `${id} was not told its rank by ${by}`);
      seen.heldBack++;
    }
  }

  /** Answers every data request, finishes every batch and runs every timer until nothing is left. */
  drain(): void {
    for (let i = 0; i < 2_000; i++) {
      if (this.awaitingData().length > 0) this.data(0);
      else if (this.live.size > 0) this.finish(0, true, false);
      else if (this.timerAt !== null) {
        this.now = Math.max(this.now, this.timerAt);
        this.tick();
      } else return;
    }
    throw new InvariantError('drain did not settle');
  }

  /**
   * A prefetched job leaves the line for a slot without an effect of its own: the model learns it from
   * the engine's ranks. Picks happen before the estimates of an event, so they are synced first; a job
   * asked or ended in this event is synced after (its estimate comes before its `requestData`).
   */
  private apply(effects: Effect[]): void {
    this.applies++;
    // Jobs asked or ended in this event are known from their effects.
    const known = new Set(effects.flatMap((e) => (e.type === 'requestData' || e.type === 'end' ? [e.jobId] : [])));
    this.syncPicks(known);
    for (const effect of effects) this.applyOne(effect);
    this.syncPicks(new Set());
    this.checkState();
  }

  private syncPicks(skip: ReadonlySet<JobId>): void {
    const picked: JobState[] = [];
    // A silent job in a batch not started gave its slot back: it waits again, at its own place.
    for (const [id, job] of this.jobs) {
      if (!job.picked || job.released || job.ends > 0 || this.engine.rank(id) === undefined) continue;
      check(!job.started && this.silent(job), `${id} went back to the line, not silent or started`);
      job.picked = false;
      // The rank it heard last is from before its pick; the jobs behind it may move back one.
      job.lastRank = null;
      job.lastEstimateAt = null;
      for (const other of this.jobs.values()) if (other.seq > job.seq && !other.picked) other.steppedBackAhead++;
      seen.steppedBack++;
    }
    for (const [id, job] of this.jobs) {
      if (job.picked || job.released || job.ends > 0 || skip.has(id) || this.engine.rank(id) !== undefined) continue;
      check(job.asked, `${id} left the line without being asked for its data`);
      job.picked = true;
      picked.push(job);
    }
    for (const job of picked) this.checkPickOrder(job, skip);
  }

  /**
   * Jobs with their data in hand go first, then the line in order (issue 21.4): a job picked without
   * its data leaves no older job of its endpoint waiting; one picked with it, no older one with its data.
   */
  private checkPickOrder(job: JobState, inThisEvent: ReadonlySet<JobId> = new Set()): void {
    for (const [id, other] of this.jobs) {
      if (other.fn !== job.fn || other.seq >= job.seq || other.picked || other.released || other.ends > 0) continue;
      // Asked or ended by the same event, before this pick or with it.
      if (inThisEvent.has(id)) continue;
      // A silent one loses its turn to anyone (silence.ts).
      if (this.silent(other)) {
        seen.silentPassed++;
        continue;
      }
      // Rare in random runs (two waiting jobs asked, the younger answered, every slot busy): see engine.pick-order.test.
      check(job.dataSent && !other.dataSent, `job ${job.seq} picked ahead of older job ${other.seq}`);
    }
  }

  private applyOne(effect: Effect): void {
    if (effect.type === 'scheduleTick') {
      this.timerAt = effect.at;
      return;
    }
    if (effect.type === 'cancelTick') {
      this.timerAt = null;
      return;
    }
    if (effect.type === 'reject') return;
    if (effect.type === 'startBatch') return this.started(effect);
    if (effect.type === 'abort') {
      check(this.live.has(effect.batchId) || effect.reason === 'cancelled', `abort of unknown batch ${effect.batchId}`);
      seen[effect.reason === 'timeout' ? 'runTimeout' : 'abortCancelled']++;
      if (effect.reason === 'timeout') {
        this.live.delete(effect.batchId);
        this.gone.push(effect.batchId);
      }
      return;
    }
    const job = this.jobs.get(effect.jobId);
    check(job && job.ends === 0 && !job.released, `${effect.type} for ${effect.jobId}, which is not alive`);
    switch (effect.type) {
      case 'estimate': {
        check(!job.picked, `estimate for picked ${effect.jobId}`);
        const waiting = this.waitingIds();
        const { rank, queueSize } = effect.estimation;
        check(
          rank === waiting.indexOf(effect.jobId),
          `rank ${rank} of ${effect.jobId}, model says ${waiting.indexOf(effect.jobId)}`,
        );
        check(queueSize === waiting.length, 'queueSize differs from the waiting jobs');
        // It rises only by the silent jobs that went back to their place ahead of it since it was last told.
        check(job.lastRank === null || rank <= job.lastRank + job.steppedBackAhead, `rank of ${effect.jobId} rose`);
        job.steppedBackAhead = 0;
        if (this.options.statusUpdateRate === 'auto' && job.lastEstimateAt !== null) {
          const interval = autoInterval(job.lastEstimateAt, job.lastCompletesAt);
          check(this.now - job.lastEstimateAt >= interval, `two estimates to ${effect.jobId} within ${interval} ms`);
        }
        const { rankEta } = effect.estimation;
        job.lastCompletesAt = rankEta === null ? Infinity : this.now + rankEta * 1_000;
        job.toldIn = job.lastRank === null ? -Infinity : this.applies;
        job.lastRank = rank;
        job.lastEstimateAt = this.now;
        return;
      }
      case 'requestData': {
        check(!job.asked, `${effect.jobId} asked for its data twice`);
        // Asked in FIFO order per endpoint, whether picked or prefetched.
        for (const other of this.jobs.values()) {
          if (other.fn === job.fn && other.seq < job.seq)
            check(other.asked || other.released || other.ends > 0, 'asked out of order');
        }
        if (this.engine.rank(effect.jobId) !== undefined) {
          // Asked while waiting: only below the bound of waiting jobs asked that are not silent.
          const asked = this.waitingIds().filter((id) => {
            const other = this.jobs.get(id) as JobState;
            return other.asked && !this.silent(other);
          }).length;
          check(
            asked < this.prefetchBound(),
            `${effect.jobId} asked with ${asked} asked, bound ${this.prefetchBound()}`,
          );
        }
        job.asked = true;
        job.askedAt = this.now;
        // Asked while still in the line: prefetched. Else picked: a prefetch comes last in an event, never before a pick.
        job.prefetched = this.engine.rank(effect.jobId) !== undefined;
        check(!job.prefetched || this.options.prefetchData, `${effect.jobId} prefetched with prefetch off`);
        if (!job.prefetched) {
          job.picked = true;
          this.checkPickOrder(job);
        }
        return;
      }
      case 'end':
        if (job.prefetched && !job.picked && effect.outcome.status === 'cancelled') seen.prefetchCancelled++;
        if (job.prefetched && !job.picked && effect.outcome.status === 'timeout') {
          check(effect.outcome.phase === 'data' && !job.dataSent, `waiting ${effect.jobId} timed out with its data in`);
          seen.prefetchDataTimeout++;
        }
        if (effect.outcome.status === 'success') check(job.started, `${effect.jobId} succeeded without starting`);
        if (effect.outcome.status === 'shutdown') check(!job.picked, `${effect.jobId} in a slot ended shutdown`);
        if (effect.outcome.status === 'shutdown') seen.shutdown++;
        if (effect.outcome.status === 'timeout' && effect.outcome.phase === 'data') seen.dataTimeout++;
        if (effect.outcome.status === 'cancelled' && job.started) seen.cancelledRunning++;
        job.ends++;
        return;
    }
  }

  private started(effect: Extract<Effect, { type: 'startBatch' }>): void {
    check(effect.jobIds.length >= 1 && effect.jobIds.length <= this.maxBatch(effect.fnIndex), 'batch size');
    let lastSeq = -1;
    for (const id of effect.jobIds) {
      const job = this.jobs.get(id);
      check(job && job.ends === 0 && job.asked && job.dataSent, `${id} started before its data or after its end`);
      check(this.engine.rank(id) === undefined, `${id} started while still ranked as waiting`);
      check(!job.started, `${id} started twice`);
      if (job.prefetched) seen.prefetchStarted++;
      check(job.fn === effect.fnIndex, 'batch mixes endpoints');
      check(job.seq > lastSeq, 'batch out of join order');
      lastSeq = job.seq;
      job.started = true;
    }
    if (effect.jobIds.length > 1) seen.sharedBatch++;
    this.live.set(effect.batchId, { fn: effect.fnIndex, jobIds: effect.jobIds });
  }

  private checkState(): void {
    const stats = this.engine.stats();
    check(stats.busySlots <= this.options.concurrencyCount, 'more busy slots than concurrencyCount');
    check(this.live.size <= stats.busySlots, 'running batches beyond busy slots');
    // An idle queue holds no timer: the engine says when no tick is needed any more.
    const idle = Object.values(this.engine.internalSizes()).every((n) => n === 0);
    check(!idle || this.timerAt === null, `an idle queue holds a timer for ${this.timerAt}`);
    this.options.endpoints.forEach((e, fn) => {
      const running = [...this.live.values()].filter((b) => b.fn === fn).length;
      check(e.concurrencyLimit === null || running <= e.concurrencyLimit, 'concurrencyLimit exceeded');
    });
    check(stats.waiting === this.waitingIds().length, 'waiting count differs');
    // Prefetch is bounded, and happens: the head of the line is asked unless the bound is reached.
    const waiting = this.waitingIds();
    const prefetched = waiting.filter((id) => (this.jobs.get(id) as JobState).asked).length;
    // Silent ones do not count (silence.ts): the jobs behind them are asked too.
    const passed = waiting.filter((id) => this.silent(this.jobs.get(id) as JobState) || this.jobs.get(id)?.revived);
    const answering = prefetched - passed.length;
    check(answering <= this.prefetchBound(), `${answering} waiting jobs asked, bound ${this.prefetchBound()}`);
    check(this.engine.internalSizes().prefetched === prefetched, 'prefetched count differs');
    if (prefetched === this.prefetchBound() && prefetched > 0) seen.prefetchFull++;
    if (this.options.prefetchData && prefetched > 0) seen.prefetchWaiting++;
    if (this.options.maxSize !== null) check(stats.waiting <= this.options.maxSize, 'waiting beyond maxSize');
    for (const [id, job] of this.jobs) check(job.ends <= 1, `${id} ended twice`);
    // FIFO per endpoint, but for jobs with their data in hand: checked at each pick (checkPickOrder).
    this.waitingIds().forEach((id, rank) => {
      const job = this.jobs.get(id) as JobState;
      if (job.lastRank === rank) job.movedAt = null;
      else job.movedAt ??= this.now;
    });
  }

  checkDrained(): void {
    for (const [id, job] of this.jobs) check(job.ends === (job.released ? 0 : 1), `${id} ended ${job.ends} times`);
    // Peer batches are not the engine's jobs: they end with their own events.
    for (const key of this.peerKeys.splice(0)) this.apply(this.engine.peerBatchFinished(key, 0.1, true));
    const sizes = this.engine.internalSizes();
    for (const [name, size] of Object.entries(sizes)) check(size === 0, `${name} holds ${size} after draining`);
    const stats = this.engine.stats();
    check(stats.released === this.released, 'released count differs');
    check(
      stats.completed + stats.failed + stats.cancelled + stats.released === this.jobs.size,
      'outcome counts differ',
    );
    check(stats.rejected === this.rejected, 'rejected count differs');
  }
}

// The engine meets its line only through the WaitingLine contract: the invariants hold on any line.
const lines: [string, () => WaitingLine, number][] = [
  ['MemoryWaitingLine', () => new MemoryWaitingLine(), 1000],
  ['ArrayWaitingLine', () => new ArrayWaitingLine(), 300],
];

describe.each(lines)('QueueEngine (model-based) on a %s', (_name, makeLine, numRuns) => {
  it('keeps its invariants under random events and options', () => {
    for (const corner of Object.keys(seen) as (keyof typeof seen)[]) seen[corner] = 0;
    fc.assert(
      fc.property(
        optionsArb,
        fc.array(stepArb, { minLength: 5, maxLength: 80, size: 'max' }),
        fc.option(fc.nat(80), { nil: null }),
        (options, steps, shutdownAt) => {
          const host = new ModelHost(options, makeLine());
          steps.forEach((step, i) => {
            if (i === shutdownAt) host.shutdown();
            host.run(step);
          });
          host.drain();
          host.checkDrained();
        },
      ),
      { numRuns },
    );
    // The random runs did reach the interesting corners.
    for (const [corner, count] of Object.entries(seen)) expect({ corner, count }).not.toMatchObject({ count: 0 });
  });
});
