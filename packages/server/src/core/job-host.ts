import type { EstimationMessage } from '@crowdserve/protocol';
import type { JobId, QueueStats } from '@crowdserve/queue';
import type { ResolvedEndpoint } from './endpoints.js';
import type { JobSink } from './host-job.js';

/** A shared queue's figures: jobs other processes took, relay messages waiting for Redis, live processes. */
export interface SharedFigures {
  released: number;
  relayOutbox: number;
  liveProcesses: number;
}

/** What the transports need of a queue host: this process's own (`QueueHost`) or a shared one. */
export interface JobHost {
  readonly endpoints: ResolvedEndpoint[];
  join(sink: JobSink, fnIndex: number, data?: unknown[], clients?: readonly string[]): JobId;
  /**
   * `null` when the join was decided before `join` returned; else resolves once the queue has decided
   * (a shared queue asks Redis): accepted, or refused through the job's sink.
   */
  admitted(id: JobId): Promise<void> | null;
  isAwaitingData(id: JobId): boolean;
  receiveData(id: JobId, data: unknown[]): void;
  fail(id: JobId, message: string, refused?: boolean): void;
  leave(id: JobId): void;
  queueStatus(): EstimationMessage;
  callsPastTimeout(): number;
  stats(): QueueStats;
  internalSizes(): Record<string, number>;
  /** A shared queue's own figures, for `/metrics` (issue 23); absent for a queue of one process. */
  sharedFigures?(): SharedFigures;
  shutdown(graceMs: number): Promise<void>;
}
