import type { JobId } from '@crowdserve/queue';
import type { Claimed } from './line-types.js';

/**
 * Largest data (bytes of JSON) a job's owner stashes in the line for its claimer; larger data is asked
 * through the owner when the job is picked (the relay), so Redis holds at most this per stashed job.
 * @default 65536
 */
export const STASH_MAX_BYTES = 64 * 1024;

/** What the shared host needs of the shared line (`RedisLine` is one). */
export interface SharedLine {
  readonly processId: string;
  join(
    id: string,
    fnIndex: number,
    maxSize: number | null,
  ): Promise<{ accepted: true; ticket: number } | { accepted: false; queueSize: number }>;
  leave(id: string): Promise<void>;
  /** Takes those of `ids` still waiting; each won job comes with its stashed data, if any. */
  claim(ids: string[]): Promise<Claimed[]>;
  /** Keeps a waiting job's data in the line for its claimer; `false`: not waiting, or over the size cap. */
  stash(id: string, data: unknown[]): Promise<boolean>;
  batchStarted(key: string, fnIndex: number, size: number): Promise<void>;
  batchFinished(key: string, seconds: number, ok: boolean): Promise<void>;
  /** `false`: dropped, `to` is not in the live set (gone, or not registered again yet after a Redis restart). */
  send(to: string, body: unknown): Promise<boolean>;
  close(): Promise<void>;
}

/** The parts of `QueueHostOptions` the shared host fills in. */
export interface SharedHostHooks {
  idPrefix: string;
  prefetchData: false;
  claim: (id: JobId) => Promise<boolean>;
  onBatchStart: (event: { batchId: number; fnIndex: number; size: number }) => void;
  onBatchEnd: (event: { batchId: number; seconds: number; ok: boolean }) => void;
}

/** The refusal's reason when Redis cannot be asked: a `queue_full`, so clients retry. */
export const SHARED_QUEUE_UNAVAILABLE_REASON = 'the shared queue cannot be reached right now; try again';
/** The error a client gets when the process running its job stops (killed, lost its lease). */
export const RUNNER_GONE_ERROR = 'the server process running this job stopped';
/** The error a waiting client gets when the shared line dropped its job (this process lost its lease). */
export const PLACE_LOST_ERROR = 'this job lost its place in the shared queue; submit it again';
