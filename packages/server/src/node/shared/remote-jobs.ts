import type { JobId } from '@crowdserve/queue';
import type { QueueHost } from '../../core/queue-host.js';
import type { LineJob } from './line-types.js';
import { RelaySink, type RelayBody } from './relay.js';

/** What other processes' jobs need of this process's host. */
export type RemoteJobsHost = Pick<QueueHost, 'enterRemote' | 'release' | 'leave' | 'receiveData'>;

/**
 * The jobs of other processes' clients that this process knows: waiting in its copy of the line, or
 * running here. Each has a `RelaySink` that talks to its client through the owner process.
 */
export class RemoteJobs {
  private readonly sinks = new Map<JobId, RelaySink>();

  constructor(
    private readonly relay: (to: string, body: RelayBody) => void,
    private readonly host: RemoteJobsHost,
  ) {}

  get size(): number {
    return this.sinks.size;
  }

  has(id: JobId): boolean {
    return this.sinks.has(id);
  }

  /** A job of another process's client enters this process's copy of the line; `false` if known already. */
  enter(job: LineJob): boolean {
    if (this.sinks.has(job.id)) return false;
    const sink = new RelaySink(
      job.owner,
      job.id,
      this.relay,
      () => this.sinks.delete(job.id),
      (data) => this.data(job.id, data),
    );
    this.sinks.set(job.id, sink);
    this.host.enterRemote(job.id, job.fnIndex, sink);
    return true;
  }

  /** The job left this process's copy of the line, never picked here: forget it. */
  forget(id: JobId): void {
    if (this.sinks.has(id) && this.host.release(id) !== undefined) this.silence(id);
  }

  /** Won by this process's claim, with the data its owner stashed: its `send_data` is answered here. */
  claimed(id: JobId, data: unknown[] | undefined): void {
    const sink = this.sinks.get(id);
    if (sink !== undefined && data !== undefined) sink.stashed = data;
  }

  /** Its data, relayed by its owner (or stashed with the claim): the job runs here. */
  data(id: JobId, data: unknown[]): void {
    if (this.sinks.has(id)) this.host.receiveData(id, data);
  }

  /** The owner's client left, or the owner is gone: abort the job here, telling no one. */
  abort(id: JobId): void {
    if (this.silence(id) && this.host.release(id) === undefined) this.host.leave(id);
  }

  /** The jobs whose owner is one of `owners`. */
  ownedBy(owners: ReadonlySet<string>): JobId[] {
    return [...this.sinks].filter(([, sink]) => owners.has(sink.owner)).map(([id]) => id);
  }

  /** Forgets the job; nothing more of it goes to its owner. Returns whether it was here. */
  private silence(id: JobId): boolean {
    const sink = this.sinks.get(id);
    if (sink === undefined) return false;
    sink.silence();
    this.sinks.delete(id);
    return true;
  }
}
