import type { Effect, Estimation, JobId } from './types.js';

/** `'auto'`: the least time between two estimates to one job. */
export const AUTO_MIN_INTERVAL_MS = 100;
/** `'auto'`: an expected completion that moved by more than this many seconds is worth telling… */
export const ETA_CHANGE_SECONDS = 0.5;
/** …or by more than this fraction of the time still to wait. */
export const ETA_CHANGE_FRACTION = 0.05;

interface Sent {
  rank: number;
  /** Clock ms of the expected completion we told; null when we told `rankEta: null`. */
  completesAt: number | null;
  sentAt: number;
}

/**
 * Decides which waiting jobs get an `estimate`, and when. It compares expected completion times,
 * not `rankEta`s, so time passing alone (the client counts down by itself) is never news.
 */
export class EstimatePublisher {
  private readonly sent = new Map<JobId, Sent>();
  /** `'auto'`: jobs with news that arrived within AUTO_MIN_INTERVAL_MS of their last estimate → when to tell them. */
  private readonly pending = new Map<JobId, number>();
  /** Numeric rate: when the next broadcast is due; null while nobody waits. */
  private broadcastAt: number | null = null;

  constructor(private readonly rate: 'auto' | number) {}

  /** Whether a pass is worth computing now. */
  due(now: number, moved: boolean): boolean {
    if (this.rate === 'auto') return moved || this.nextPending() <= now;
    return this.broadcastAt !== null && this.broadcastAt <= now;
  }

  /**
   * Returns the estimates to send now. `waiting` is every waiting job, in rank order, with its
   * fresh estimation; `forced` jobs (new ones) get theirs whatever the rate.
   */
  publish(now: number, waiting: Iterable<[JobId, Estimation]>, forced: ReadonlySet<JobId>): Effect[] {
    const out: Effect[] = [];
    const broadcast = this.rate !== 'auto' && this.broadcastAt !== null && this.broadcastAt <= now;
    let any = false;
    for (const [jobId, estimation] of waiting) {
      any = true;
      const last = this.sent.get(jobId);
      let send = forced.has(jobId) || broadcast || !last;
      if (!send && this.rate === 'auto' && last) {
        // News that came too soon after the last estimate waits for its turn; news that went stale drops.
        const allowedAt = last.sentAt + AUTO_MIN_INTERVAL_MS;
        if (!isNews(last, estimation, now)) this.pending.delete(jobId);
        else if (allowedAt <= now) send = true;
        else this.pending.set(jobId, allowedAt);
      }
      if (!send) continue;
      this.pending.delete(jobId);
      const completesAt = estimation.rankEta === null ? null : now + estimation.rankEta * 1000;
      this.sent.set(jobId, { rank: estimation.rank, completesAt, sentAt: now });
      out.push({ type: 'estimate', jobId, estimation });
    }
    if (this.rate !== 'auto') {
      if (!any) this.broadcastAt = null;
      else if (broadcast || this.broadcastAt === null) this.broadcastAt = now + this.rate * 1000;
    }
    return out;
  }

  /** The job left the line (picked, cancelled, ended): no more estimates for it. */
  forget(jobId: JobId): void {
    this.sent.delete(jobId);
    this.pending.delete(jobId);
  }

  /** Clock ms at which `tick()` should next publish, or null. */
  nextDue(): number | null {
    if (this.rate !== 'auto') return this.broadcastAt;
    const at = this.nextPending();
    return at === Infinity ? null : at;
  }

  internalSizes(): Record<string, number> {
    return { estimatesSent: this.sent.size, estimatesPending: this.pending.size };
  }

  private nextPending(): number {
    let at = Infinity;
    for (const t of this.pending.values()) at = Math.min(at, t);
    return at;
  }
}

function isNews(last: Sent, estimation: Estimation, now: number): boolean {
  if (estimation.rank !== last.rank) return true;
  if (estimation.rankEta === null || last.completesAt === null)
    return (estimation.rankEta === null) !== (last.completesAt === null);
  const completesAt = now + estimation.rankEta * 1000;
  const threshold = Math.max(ETA_CHANGE_SECONDS, ETA_CHANGE_FRACTION * estimation.rankEta) * 1000;
  return Math.abs(completesAt - last.completesAt) > threshold;
}
