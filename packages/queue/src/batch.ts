import type { BatchId, JobId } from './types.js';

/**
 * One slot's work: the jobs picked together, from the moment they are picked (asked for their data)
 * until the host reports the batch finished, or it times out.
 */
export interface Batch {
  readonly id: BatchId;
  readonly fnIndex: number;
  /** Members still present, in pick order (= join order). */
  readonly members: Set<JobId>;
  /** Members whose data has not arrived yet. */
  readonly awaitingData: Set<JobId>;
  /** Still taking members (maxBatchDelayMs): until `closeAt` or until full. */
  open: boolean;
  /** Clock ms at which an open batch closes: its oldest member's join + maxBatchDelayMs. */
  readonly closeAt: number;
  /**
   * Clock ms since which it waits only for its members' data: when it was picked, or when it closed
   * if it gathered members. The time from here to `startedAt` is the data round trip the ETAs learn.
   */
  gatherFrom: number;
  /** Clock ms of `startBatch`; null while gathering members or data. */
  startedAt: number | null;
  /** The ids as sent in `startBatch`: the host's `results[i]` belongs to `jobIds[i]`. */
  jobIds: JobId[];
  /** Clock ms past which the running batch is timed out; null for no limit. */
  runDeadline: number | null;
  /** `abort` was sent because every member left. */
  aborted: boolean;
}

export function newBatch(id: BatchId, fnIndex: number, closeAt: number, pickedAt = 0): Batch {
  return {
    id,
    fnIndex,
    members: new Set(),
    awaitingData: new Set(),
    open: false,
    closeAt,
    gatherFrom: pickedAt,
    startedAt: null,
    jobIds: [],
    runDeadline: null,
    aborted: false,
  };
}

/**
 * Where a job's data stands: not asked for yet; asked (`requestData`, when picked or prefetched while
 * it waits) and not arrived; arrived.
 */
export type DataState = 'unasked' | 'asked' | 'received';

/** A job the engine holds: waiting in the line (`batch` null) or in a slot. */
export interface Job {
  readonly id: JobId;
  readonly fnIndex: number;
  /** Clock ms. */
  readonly joinedAt: number;
  batch: Batch | null;
  data: DataState;
  /** Clock ms by which its data must arrive (counted from `requestData`); null when not awaited. */
  dataDeadline: number | null;
}

/** The batch's earliest deadline (clock ms): a member's data, its closing, its run timeout; or Infinity. */
export function nextDeadline(batch: Batch, jobs: ReadonlyMap<JobId, Job>): number {
  let next = batch.runDeadline ?? Infinity;
  if (batch.open) next = Math.min(next, batch.closeAt);
  for (const id of batch.awaitingData) next = Math.min(next, jobs.get(id)?.dataDeadline ?? Infinity);
  return next;
}
