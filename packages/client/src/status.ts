import type { ProgressUnit } from '@crowdserve/protocol/base';
import type { CrowdserveError } from './errors.js';

/** Waiting in the queue. */
export interface QueuedStatus {
  type: 'queued';
  /** 0-based place among waiting jobs: 0 is next. */
  position: number;
  /** Jobs waiting in all. */
  queueSize: number;
  /** Seconds from receipt until the job is expected to complete; `null` before the server has timings. */
  eta: number | null;
  /** When the job is expected to complete, epoch ms (`Date.now()` at receipt + `eta`): count down to it. */
  etaAt: number | null;
}

/** About to wait `delayMs` and then make attempt number `attempt` (2 for the first retry). */
export interface RetryingStatus {
  type: 'retrying';
  attempt: number;
  delayMs: number;
  reason: 'queue_full' | 'connection';
}

/** The handler started. `eta`: its expected run time in seconds, when the server knows it. */
export interface RunningStatus {
  type: 'running';
  eta: number | null;
}

/** The handler reported progress. */
export interface ProgressStatus {
  type: 'progress';
  progress: ProgressUnit[];
}

/** One yield of a generator handler. */
export interface PartialStatus<T = unknown[]> {
  type: 'partial';
  data: T;
}

/** The job completed. `duration`: the server's run time in seconds. */
export interface DoneStatus<T = unknown[]> {
  type: 'done';
  data: T;
  duration: number;
}

/** The job ended without a result. */
export interface FailedStatus {
  type: 'failed';
  error: CrowdserveError;
}

export type JobStatus<T = unknown[]> =
  QueuedStatus | RetryingStatus | RunningStatus | ProgressStatus | PartialStatus<T> | DoneStatus<T> | FailedStatus;

export type TerminalStatus<T = unknown[]> = DoneStatus<T> | FailedStatus;

export function isTerminal<T>(status: JobStatus<T>): status is TerminalStatus<T> {
  return status.type === 'done' || status.type === 'failed';
}
