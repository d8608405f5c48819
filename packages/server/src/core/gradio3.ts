import { assertNever } from '@crowdserve/protocol';
import type { EstimationMessage, ProcessCompletedMessage, QueueFullMessage, ServerMessage } from '@crowdserve/protocol';
import type { Estimation, JobOutcome, RejectReason } from '@crowdserve/queue';

/**
 * The Gradio 3.x dialect: how queue semantics become wire messages. Kept apart from the host so a
 * second dialect (sse_v3) is a new file, not a fork (DESIGN.md §8).
 */

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;
const roundOrNull = (seconds: number | null): number | null => (seconds === null ? null : round(seconds));

export function estimationMessage(e: Estimation | (Omit<Estimation, 'rank'> & { rank: null })): EstimationMessage {
  return {
    msg: 'estimation',
    rank: e.rank,
    queue_size: e.queueSize,
    avg_event_process_time: roundOrNull(e.avgEventProcessTime),
    avg_event_concurrent_process_time: roundOrNull(e.avgEventConcurrentProcessTime),
    rank_eta: roundOrNull(e.rankEta),
    queue_eta: round(e.queueEta),
  };
}

const jsonNumber = (value: number | null): string =>
  value !== null && Number.isFinite(value) ? String(value) : 'null';

/**
 * An estimation's numbers as plain doubles, NaN standing for null: how a conversation holds the one
 * it has not written yet (see `join-conversation.ts`).
 */
export interface EstimationFields {
  readonly rank: number;
  readonly queueSize: number;
  readonly avgEventProcessTime: number;
  readonly avgEventConcurrentProcessTime: number;
  readonly rankEta: number;
  readonly queueEta: number;
}

/**
 * `JSON.stringify(estimationMessage(…))` of held fields, straight to text: no `Estimation` and no
 * message object in between (a round to 10,000 waiting clients renders 10,000 of them, each when its
 * frame is written). NaN is written as `null`, as `estimationMessage` writes a null time.
 */
export function estimationFieldsJson(f: EstimationFields): string {
  return (
    `{"msg":"estimation","rank":${jsonNumber(f.rank)},"queue_size":${jsonNumber(f.queueSize)}` +
    `,"avg_event_process_time":${jsonNumber(round(f.avgEventProcessTime))}` +
    `,"avg_event_concurrent_process_time":${jsonNumber(round(f.avgEventConcurrentProcessTime))}` +
    `,"rank_eta":${jsonNumber(round(f.rankEta))},"queue_eta":${jsonNumber(round(f.queueEta))}}`
  );
}

/** The answer to a refused join. Only `queue_full` and `shutting_down` are worth a retry. */
export function rejectMessage(
  reason: RejectReason,
  fields: { queueSize: number; maxSize: number | null; retryAfter: number; fnIndex: number },
): QueueFullMessage | ProcessCompletedMessage {
  switch (reason) {
    case 'queue_full':
      return queueFullMessage(fields);
    case 'shutting_down':
      return queueFullMessage(fields, 'the server is shutting down');
    case 'unknown_endpoint':
      return failedMessage(`unknown fn_index ${fields.fnIndex}`);
    case 'duplicate_id':
      return failedMessage('duplicate job id');
    default:
      return assertNever(reason);
  }
}

/** `queue_full`, with why when it is not the line being full (`reason`): the client retries it alike. */
export function queueFullMessage(
  fields: { queueSize: number; maxSize: number | null; retryAfter: number },
  reason?: string,
): QueueFullMessage {
  const msg: QueueFullMessage = {
    msg: 'queue_full',
    queue_size: fields.queueSize,
    retry_after: round(fields.retryAfter),
  };
  if (fields.maxSize !== null) msg.max_size = fields.maxSize;
  if (reason !== undefined) msg.reason = reason;
  return msg;
}

export function failedMessage(error: string): ProcessCompletedMessage {
  return { msg: 'process_completed', output: { error }, success: false };
}

/** The terminal message for an outcome; `null` when the client is gone and nothing can be told. */
export function outcomeMessage(
  outcome: JobOutcome,
  timeouts: { dataMs: number; runMs: number | null },
): ServerMessage | null {
  switch (outcome.status) {
    case 'success':
      return {
        msg: 'process_completed',
        output: {
          data: outcome.result as unknown[],
          is_generating: false,
          duration: round(outcome.duration),
          average_duration: round(outcome.averageDuration),
        },
        success: true,
      };
    case 'error':
      return failedMessage(outcome.error);
    case 'timeout':
      return failedMessage(
        outcome.phase === 'data'
          ? `timed out waiting for the job's data (${timeouts.dataMs / 1000} s)`
          : `timed out after ${(timeouts.runMs ?? 0) / 1000} s`,
      );
    case 'shutdown':
      return failedMessage('the server is shutting down');
    case 'cancelled':
      return null;
    default:
      return assertNever(outcome);
  }
}
