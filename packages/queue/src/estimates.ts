import type { Effect, Estimation, JobId } from './types.js';

/** `'auto'`: the least time between two estimates to one job, and between two looks at the whole line. */
export const AUTO_MIN_INTERVAL_MS = 100;
/**
 * `'auto'`: a job's estimates are also at least this fraction of its wait (as last told) apart, so a
 * crowd does not hear every move: rank 5,000 of a line that drains in 20 s hears every 2 s, the
 * front of the line every 100 ms; its countdown (`etaAt`) runs smoothly in between.
 */
export const AUTO_INTERVAL_FRACTION = 0.1;
/** `'auto'`: …but news never waits longer than this (ms). */
export const AUTO_MAX_INTERVAL_MS = 5_000;
/** `'auto'`: an expected completion that moved by more than this many seconds is worth telling… */
export const ETA_CHANGE_SECONDS = 0.5;
/** …or by more than this fraction of the time still to wait. */
export const ETA_CHANGE_FRACTION = 0.05;

/** The fresh view of the line that estimates are made from. */
export interface EstimateSource {
  /** Clock ms at which the job at `rank` is expected to complete; `Infinity` when unknown. */
  completion(rank: number): number;
  estimation(rank: number): Estimation;
}

interface Sent {
  rank: number;
  /** Clock ms of the expected completion we told; `Infinity` when we told `rankEta: null`. */
  completesAt: number;
  sentAt: number;
  /**
   * The engine event since which it has been told this rank; -Infinity for the rank of its first
   * estimate, which hosts write at once.
   */
  rankSince: number;
}

/**
 * `'auto'`: the least time (ms) after an estimate sent at `sentAt`, telling completion at `completesAt`
 * (`Infinity`: unknown), before the same job hears the next one.
 */
export function autoInterval(sentAt: number, completesAt: number): number {
  const wait = completesAt - sentAt;
  if (!Number.isFinite(wait)) return AUTO_MIN_INTERVAL_MS;
  return Math.min(AUTO_MAX_INTERVAL_MS, Math.max(AUTO_MIN_INTERVAL_MS, AUTO_INTERVAL_FRACTION * wait));
}

/**
 * Decides which waiting jobs get an `estimate`, and when. It compares expected completion times, not
 * `rankEta`s, so time passing alone (the client counts down by itself) is never news.
 *
 * `'auto'`: a move of the queue marks the line dirty; the whole line is looked at (one ETA pass, O(n))
 * at most once per AUTO_MIN_INTERVAL_MS, so a busy queue costs ~10 passes a second, not one per event.
 * A job with news gets it at the next look if its last estimate is `autoInterval` old by then, else
 * at the first look after that: within 2 × AUTO_MIN_INTERVAL_MS of the move at the front of the line,
 * within a tenth of its wait (at most AUTO_MAX_INTERVAL_MS) further back. A number N: the whole line
 * hears every N seconds.
 */
export class EstimatePublisher {
  private readonly sent = new Map<JobId, Sent>();
  /** Jobs whose news came within AUTO_MIN_INTERVAL_MS of their last estimate → when they may hear it. */
  private readonly pending = new Map<JobId, number>();
  private dirty = false;
  private lookedAt = -Infinity;
  /**
   * The earliest time in `pending`, or earlier: kept as entries are added and recomputed at every
   * look, so `nextDue` is O(1) with a crowd waiting. One that is stale (its job left) only makes the
   * next look early, which finds nothing due and recomputes it.
   */
  private pendingFrom = Infinity;
  /** Numeric rate: when the next broadcast is due; null while nobody waits. */
  private broadcastAt: number | null = null;
  /** Counts the engine's events. */
  private event = 0;

  constructor(private readonly rate: 'auto' | number) {}

  /** The queue moved: ranks or ETAs may have changed. */
  moved(): void {
    this.dirty = true;
  }

  /** Whether the whole line must be looked at now. */
  due(now: number): boolean {
    const at = this.nextDue();
    return at !== null && at <= now;
  }

  /** Tells one job where it stands, whatever the rate (a job that just joined). */
  tell(now: number, jobId: JobId, estimation: Estimation, completesAt: number): Effect {
    return this.record(now, jobId, this.sent.get(jobId), estimation, completesAt);
  }

  /** `tell`, given the job's record (`last`) when the caller has already looked it up. */
  private record(
    now: number,
    jobId: JobId,
    last: Sent | undefined,
    estimation: Estimation,
    completesAt: number,
  ): Effect {
    if (this.pending.size > 0) this.pending.delete(jobId);
    const rank = estimation.rank;
    if (last === undefined) {
      this.sent.set(jobId, { rank, completesAt, sentAt: now, rankSince: -Infinity });
    } else {
      // In place: a round to a crowd rewrites every record, and makes no garbage doing it.
      if (last.rank !== rank) last.rankSince = this.event;
      last.rank = rank;
      last.completesAt = completesAt;
      last.sentAt = now;
    }
    if (this.rate !== 'auto' && this.broadcastAt === null) this.broadcastAt = now + this.rate * 1000;
    return { type: 'estimate', jobId, estimation };
  }

  /**
   * Looks at every waiting job, in rank order; returns the estimates due now, appended to `out`
   * when given (a round to a crowd is then not copied from one array to another). `forced` jobs get
   * theirs anyway.
   */
  publish(
    now: number,
    waiting: Iterable<{ jobId: JobId }>,
    source: EstimateSource,
    forced: ReadonlySet<JobId>,
    out: Effect[] = [],
  ): Effect[] {
    const anyForced = forced.size > 0;
    const broadcast = this.rate !== 'auto';
    this.pendingFrom = Infinity;
    let rank = 0;
    for (const { jobId } of waiting) {
      const last = this.sent.get(jobId);
      let send = broadcast || !last || (anyForced && forced.has(jobId));
      if (!send && last) {
        // News that came too soon after the last estimate waits for its turn; news that went stale drops.
        const allowedAt = last.sentAt + autoInterval(last.sentAt, last.completesAt);
        if (!isNews(last, rank, source.completion(rank), now)) {
          if (this.pending.size > 0) this.pending.delete(jobId);
        } else if (allowedAt <= now) send = true;
        else {
          this.pending.set(jobId, allowedAt);
          this.pendingFrom = Math.min(this.pendingFrom, allowedAt);
        }
      }
      if (send) out.push(this.record(now, jobId, last, source.estimation(rank), source.completion(rank)));
      rank++;
    }
    this.dirty = false;
    this.lookedAt = now;
    if (broadcast) this.broadcastAt = rank === 0 ? null : now + (this.rate as number) * 1000;
    return out;
  }

  /** The engine handles its next event. */
  nextEvent(): void {
    this.event++;
  }

  /**
   * Whether the job has heard it stands at `rank`: told at its join or in an event before this one
   * (`heard`), told in this event (`telling`), or not told. A host writes a job's first estimate at
   * once, but may write a later one after the frames that follow it in the same event (a status round
   * spread over event-loop turns).
   */
  heardPlace(jobId: JobId, rank: number): 'heard' | 'telling' | 'untold' {
    const sent = this.sent.get(jobId);
    if (sent === undefined || sent.rank !== rank) return 'untold';
    return sent.rankSince < this.event ? 'heard' : 'telling';
  }

  /** The job left the line (picked, cancelled, ended): no more estimates for it. */
  forget(jobId: JobId): void {
    this.sent.delete(jobId);
    this.pending.delete(jobId);
  }

  /** Nobody waits. */
  idle(): void {
    this.broadcastAt = null;
    this.dirty = false;
    this.pending.clear();
    this.pendingFrom = Infinity;
  }

  /** Clock ms at which the whole line should next be looked at, or null. */
  nextDue(): number | null {
    if (this.rate !== 'auto') return this.broadcastAt;
    const at = this.dirty ? -Infinity : this.pending.size > 0 ? this.pendingFrom : Infinity;
    return at === Infinity ? null : Math.max(at, this.lookedAt + AUTO_MIN_INTERVAL_MS);
  }

  internalSizes(): Record<string, number> {
    return { estimatesSent: this.sent.size, estimatesPending: this.pending.size };
  }
}

function isNews(last: Sent, rank: number, completesAt: number, now: number): boolean {
  if (rank !== last.rank) return true;
  if (completesAt === Infinity || last.completesAt === Infinity) return completesAt !== last.completesAt;
  const remaining = Math.max(0, completesAt - now);
  const threshold = Math.max(ETA_CHANGE_SECONDS * 1000, ETA_CHANGE_FRACTION * remaining);
  return Math.abs(completesAt - last.completesAt) > threshold;
}
