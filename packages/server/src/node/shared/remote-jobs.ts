import type { JobId } from '@crowdserve/queue';
import type { LineJob } from './line-types.js';
import { RelaySink, type RelayBody } from './relay.js';

/**
 * The jobs of other processes' clients that this process knows: waiting in its copy of the line, or
 * running here. Each has a `RelaySink` that talks to its client through the owner process.
 */
export class RemoteJobs {
  private readonly sinks = new Map<JobId, RelaySink>();

  constructor(private readonly relay: (to: string, body: RelayBody) => void) {}

  get size(): number {
    return this.sinks.size;
  }

  has(id: JobId): boolean {
    return this.sinks.has(id);
  }

  /** A job of another process's client, new here: its sink (`undefined` when it is known already). */
  add(job: LineJob): RelaySink | undefined {
    if (this.sinks.has(job.id)) return undefined;
    const sink = new RelaySink(job.owner, job.id, this.relay, () => this.sinks.delete(job.id));
    this.sinks.set(job.id, sink);
    return sink;
  }

  /** Forgets the job; nothing more of it goes to its owner. Returns whether it was here. */
  silence(id: JobId): boolean {
    const sink = this.sinks.get(id);
    if (sink === undefined) return false;
    sink.silence();
    this.sinks.delete(id);
    return true;
  }

  /** The jobs whose owner is one of `owners`. */
  ownedBy(owners: ReadonlySet<string>): JobId[] {
    return [...this.sinks].filter(([, sink]) => owners.has(sink.owner)).map(([id]) => id);
  }
}
