import type { BatchId, JobId } from './types.js';

/*
 * The engine's records, one type per state with exactly its fields. They are immutable: a change of
 * state is a new record put in place by the engine's state (queue-state.ts), the only code that writes.
 */

interface JobBase {
  readonly id: JobId;
  readonly fnIndex: number;
  /** Clock ms. */
  readonly joinedAt: number;
  /** Join order in this engine: compares ages across endpoints (jobs may join in the same ms). */
  readonly ticket: number;
}

/** In the line, not asked for its data. */
export interface WaitingJob extends JobBase {
  readonly state: 'waiting';
}

/** In the line, asked for its data ahead of its turn (prefetch); it must arrive by `dataDeadline`. */
export interface PrefetchingJob extends JobBase {
  readonly state: 'prefetching';
  /** Clock ms of its `requestData`: silent past `prefetchGraceMs` from here (silence.ts). */
  readonly askedAt: number;
  /** Clock ms: `dataTimeoutMs` from its `requestData`, or its slot's deadline if it gave a slot back. */
  readonly dataDeadline: number;
  /** The time (ms) it was given by the deadline above, for its outcome. */
  readonly dataLimitMs: number;
}

/** In the line with its data in hand, until it is picked. */
export interface PrefetchedJob extends JobBase {
  readonly state: 'prefetched';
}

/** In a slot's batch, its data asked for and not arrived. */
export interface LoadingJob extends JobBase {
  readonly state: 'loading';
  readonly batchId: BatchId;
  /** Clock ms of its `requestData` (its ask, if prefetched; else its pick). */
  readonly askedAt: number;
  /** Clock ms: `pickedDataTimeoutMs` from its pick, or `dataTimeoutMs` from its ask, whichever comes first. */
  readonly dataDeadline: number;
  /** The time (ms) it was given by the deadline above, for its outcome. */
  readonly dataLimitMs: number;
}

/** In a slot's batch with its data in: the batch starts, or runs, with it. */
export interface ReadyJob extends JobBase {
  readonly state: 'ready';
  readonly batchId: BatchId;
}

export type Job = WaitingJob | PrefetchingJob | PrefetchedJob | LoadingJob | ReadyJob;
/** A job still in the waiting line. */
export type LineJob = WaitingJob | PrefetchingJob | PrefetchedJob;
/** A job in a slot. */
export type SlotJob = LoadingJob | ReadyJob;

export function inLine(job: Job): job is LineJob {
  return job.state === 'waiting' || job.state === 'prefetching' || job.state === 'prefetched';
}

interface BatchBase {
  readonly id: BatchId;
  readonly fnIndex: number;
  /** Members still present, in pick order (= join order). */
  readonly members: ReadonlySet<JobId>;
}

/** Holds a slot open for more members (maxBatchDelayMs): until `closeAt` or until full. */
export interface GatheringBatch extends BatchBase {
  readonly state: 'gathering';
  /** Clock ms: its oldest member's join + maxBatchDelayMs. */
  readonly closeAt: number;
}

/** Closed; waits for its members' data. */
export interface LoadingBatch extends BatchBase {
  readonly state: 'loading';
  /**
   * Clock ms since which it waits only for its members' data: when it was picked, or when it closed
   * if it gathered members. The time from here to its start is the data round trip the ETAs learn.
   */
  readonly gatherFrom: number;
}

interface StartedBase extends BatchBase {
  /** Clock ms of `startBatch`. */
  readonly startedAt: number;
  /** The ids as sent in `startBatch`: the host's `results[i]` belongs to `jobIds[i]`. */
  readonly jobIds: readonly JobId[];
  /** Clock ms past which it is timed out; null for no limit. */
  readonly runDeadline: number | null;
}

/** `startBatch` was sent; the host runs its handler. */
export interface RunningBatch extends StartedBase {
  readonly state: 'running';
}

/** Every member left while it ran: `abort` (`cancelled`) was sent; it holds its slot until it finishes. */
export interface AbortedBatch extends StartedBase {
  readonly state: 'aborted';
}

/** One slot's work, from the moment its members are picked until the host reports it finished, or it times out. */
export type Batch = GatheringBatch | LoadingBatch | RunningBatch | AbortedBatch;
export type StartedBatch = RunningBatch | AbortedBatch;

export function isStarted(batch: Batch): batch is StartedBatch {
  return batch.state === 'running' || batch.state === 'aborted';
}

/** A batch running on another process that shares the line: known for ETAs only. */
export interface PeerBatch {
  readonly fnIndex: number;
  readonly size: number;
  /** Clock ms of this engine when it was reported started. */
  readonly startedAt: number;
}
