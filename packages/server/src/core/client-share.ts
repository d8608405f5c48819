import type { JobId } from '@crowdserve/queue';

/**
 * The most waiting jobs one client (an address, a session) may have when the queue is bounded: half of
 * `maxSize`, at least 1. No one client can then fill the line (22 silent sockets from one address took
 * every place of a queue of 20), and a lone user of a quiet server still gets half of it. An unbounded
 * queue (`maxSize` null) has no places to take: no cap (`maxConnectionsPerIp` still bounds sockets).
 */
export function defaultMaxWaitingPerClient(maxSize: number | null): number | null {
  return maxSize === null ? null : Math.max(1, Math.ceil(maxSize / 2));
}

/** Why a join over the cap is refused, as its `queue_full` says it (`reason`). */
export function tooManyWaitingReason(limit: number): string {
  return `too many waiting jobs from your address or session (limit ${limit})`;
}

/**
 * Counts each client's jobs that have not started yet (waiting, or picked and waiting for their data)
 * under every key the client is known by (`ip:…`, `session:…`). A job stops counting when its batch
 * starts or when it ends.
 */
export class ClientShare {
  private readonly counts = new Map<string, number>();
  private readonly keysOf = new Map<JobId, readonly string[]>();

  constructor(readonly limit: number | null) {}

  /** Whether a new job of a client known by `keys` stays within the limit. */
  admits(keys: readonly string[]): boolean {
    if (this.limit === null) return true;
    for (const key of keys) if ((this.counts.get(key) ?? 0) >= this.limit) return false;
    return true;
  }

  add(jobId: JobId, keys: readonly string[]): void {
    if (this.limit === null || keys.length === 0) return;
    this.keysOf.set(jobId, keys);
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The job started or ended: it no longer counts. Unknown ids are ignored. */
  release(jobId: JobId): void {
    const keys = this.keysOf.get(jobId);
    if (keys === undefined) return;
    this.keysOf.delete(jobId);
    for (const key of keys) {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left <= 0) this.counts.delete(key);
      else this.counts.set(key, left);
    }
  }

  /** Jobs counted, and keys counting them: both 0 when nothing waits. */
  sizes(): { shareJobs: number; shareKeys: number } {
    return { shareJobs: this.keysOf.size, shareKeys: this.counts.size };
  }
}
