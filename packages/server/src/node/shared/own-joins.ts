import type { JobId } from '@crowdserve/queue';
import type { JobSink } from '../../core/host-job.js';
import type { QueueHost } from '../../core/queue-host.js';
import type { DataAhead } from './data-ahead.js';
import type { JobStages } from './job-stages.js';
import { SHARED_QUEUE_UNAVAILABLE_REASON, type SharedLine } from './shared-line.js';

export interface OwnJoinsOptions {
  host: QueueHost;
  line: SharedLine;
  maxSize: number | null;
  stages: JobStages;
  ahead: DataAhead;
  /** Takes an own job out of the shared line (and out of `stages`). */
  leaveLine: (id: JobId) => void;
}

/**
 * This process's joins until they enter its engine: held here while the line decides (global
 * `maxSize`), refused the transport's way, or accepted and waiting for their `join` event.
 */
export class OwnJoins {
  constructor(private readonly options: OwnJoinsOptions) {}

  join(sink: JobSink, fnIndex: number, data: unknown[] | undefined, clients: readonly string[]): JobId {
    const { host, line, maxSize, stages, ahead } = this.options;
    const own = ahead.wrap(sink, data);
    const { id, held } = host.hold(own, fnIndex, data, clients);
    if (!held) return id;
    own.bind(id);
    const verdict = line.join(id, fnIndex, maxSize).then(
      (answer) => this.decided(id, answer.accepted ? null : answer.queueSize),
      () => this.decided(id, host.stats().waiting, SHARED_QUEUE_UNAVAILABLE_REASON),
    );
    stages.set(id, { at: 'deciding', verdict });
    return id;
  }

  /** Its client left before the job entered the engine: `false` if it is in the engine already. */
  leave(id: JobId): boolean {
    const { host, stages, leaveLine } = this.options;
    const stage = stages.get(id);
    if (stage?.at !== 'deciding' && stage?.at !== 'accepted') return false;
    // Forgotten here; out of the line now, or when `join`'s verdict sees it gone.
    host.release(id)?.sink.close(1000, 'cancelled');
    if (stage.at === 'accepted') leaveLine(id);
    return true;
  }

  /** The line's answer to an own join: `refusedAt` is the line's size when refused, `null` when accepted. */
  private decided(id: JobId, refusedAt: number | null, reason?: string): void {
    const { host, maxSize, stages, leaveLine } = this.options;
    if (refusedAt !== null) {
      if (stages.pending(id)) stages.delete(id);
      host.refuseHeld(id, { queueSize: refusedAt, maxSize }, reason);
    } else if (!host.has(id))
      leaveLine(id); // its client left while Redis decided
    else if (stages.get(id)?.at === 'deciding') stages.set(id, { at: 'accepted' });
  }
}
