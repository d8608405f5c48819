import type { JobId } from '@crowdserve/queue';
import { ClientShare } from './client-share.js';
import type { HostJob, JobSink } from './host-job.js';

/**
 * The host's jobs by id, each with where its data stands, and each client's share of the jobs not
 * started yet (`maxWaitingPerClient`). A job counts against its client from `add` until its batch
 * starts or it is forgotten.
 */
export class HostJobs {
  private readonly jobs = new Map<JobId, HostJob>();
  private readonly share: ClientShare;

  constructor(maxWaitingPerClient: number | null) {
    this.share = new ClientShare(maxWaitingPerClient);
  }

  /** Most jobs not started yet per client key; `null`: no cap. */
  get limit(): number | null {
    return this.share.limit;
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Whether one more job of a client known by `clients` stays within its share. */
  admits(clients: readonly string[]): boolean {
    return this.share.admits(clients);
  }

  /** A new job, not asked for its data yet; `preset`: data that came with the join. */
  add(id: JobId, fnIndex: number, sink: JobSink, preset: unknown[] | undefined, clients: readonly string[]): HostJob {
    const job: HostJob = { id, fnIndex, sink, data: { state: 'waiting', preset } };
    this.jobs.set(id, job);
    this.share.add(id, clients);
    return job;
  }

  get(id: JobId): HostJob | undefined {
    return this.jobs.get(id);
  }

  has(id: JobId): boolean {
    return this.jobs.has(id);
  }

  /** Whether `job` is still the one kept under its id: false once it ended (an answer came too late). */
  isCurrent(job: HostJob): boolean {
    return this.jobs.get(job.id) === job;
  }

  ids(): JobId[] {
    return [...this.jobs.keys()];
  }

  /** The job ended or left: it is dropped, and no longer counts against its client. */
  forget(id: JobId): HostJob | undefined {
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    this.share.release(id);
    return job;
  }

  /** Forgets the job unless it was picked here (asked for its data); returns it when forgotten. */
  forgetUnpicked(id: JobId): HostJob | undefined {
    const state = this.jobs.get(id)?.data.state;
    return state === 'waiting' || state === 'claiming' ? this.forget(id) : undefined;
  }

  /**
   * A batch of these jobs starts: they stop counting against their clients. Returns each one's data
   * and what `prepare` made of it, in batch order (empty for one no longer ready).
   */
  start(ids: readonly JobId[]): { requests: unknown[][]; prepared: unknown[] } {
    const members = ids.map((id) => this.jobs.get(id)?.data);
    for (const id of ids) this.share.release(id);
    return {
      requests: members.map((data) => (data?.state === 'ready' ? data.data : [])),
      prepared: members.map((data) => (data?.state === 'ready' ? data.prepared : undefined)),
    };
  }

  /** Jobs kept, and the share's own structures: all 0 when nothing is there. */
  sizes(): { hostJobs: number; shareJobs: number; shareKeys: number } {
    return { hostJobs: this.jobs.size, ...this.share.sizes() };
  }
}
