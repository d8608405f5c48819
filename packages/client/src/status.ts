import { assertNever, type ProgressUnit, type ServerMessage } from '@crowdserve/protocol/base';
import { ServerError, type CrowdserveError } from './errors.js';

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

/**
 * The status a server message means for its job, or `null` for the messages that only drive the
 * conversation (`send_hash`, `send_data`, `queue_full`: the job socket and retry loop act on those).
 * `now` is the receipt time in epoch ms, which anchors `etaAt`.
 */
export function toStatus(message: ServerMessage, now: number): JobStatus | null {
  switch (message.msg) {
    case 'send_hash':
    case 'send_data':
    case 'queue_full':
      return null;
    case 'estimation':
      // rank null only comes from `GET /queue/status`: it describes the queue, not a job.
      if (message.rank === null) return null;
      return {
        type: 'queued',
        position: message.rank,
        queueSize: message.queue_size,
        eta: message.rank_eta,
        etaAt: message.rank_eta === null ? null : Math.round(now + message.rank_eta * 1000),
      };
    case 'process_starts':
      return { type: 'running', eta: message.eta ?? null };
    case 'progress':
      return { type: 'progress', progress: message.progress_data };
    case 'process_generating':
      return { type: 'partial', data: message.output.data };
    case 'process_completed':
      return message.success
        ? { type: 'done', data: message.output.data, duration: message.output.duration }
        : { type: 'failed', error: new ServerError(message.output.error) };
    default:
      return assertNever(message);
  }
}
