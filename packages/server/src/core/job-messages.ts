import type { Effect, Estimation } from '@crowdserve/queue';
import { estimationMessage, failedMessage, outcomeMessage, queueFullMessage, rejectMessage } from './gradio3.js';
import type { HostJob, JobSink } from './host-job.js';

const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;

/** The numbers a `queue_full` carries: the line's size and bound, and when to try again. */
export interface QueueFullFields {
  queueSize: number;
  maxSize: number | null;
  retryAfter: number;
}

/** A refusal's numbers: `line`'s size and bound; retry once one of its jobs is likely to have started. */
export function queueFullFields(
  estimation: Pick<Estimation, 'avgEventConcurrentProcessTime'>,
  line: { queueSize: number; maxSize: number | null },
): QueueFullFields {
  const retryAfter = Math.max(1, estimation.avgEventConcurrentProcessTime ?? 1);
  return { queueSize: line.queueSize, maxSize: line.maxSize, retryAfter };
}

/** Refuses a join like `queue_full`, so its client retries, and ends the conversation. */
export function sendQueueFull(sink: JobSink, fields: QueueFullFields, reason?: string): void {
  sink.send(queueFullMessage(fields, reason));
  sink.close(CLOSE_NORMAL, 'queue_full');
}

/** The engine refused the job (`reject`): its answer, then the close. */
export function sendReject(job: HostJob, effect: Extract<Effect, { type: 'reject' }>): void {
  job.sink.send(rejectMessage(effect.reason, { ...effect, fnIndex: job.fnIndex }));
  job.sink.close(CLOSE_NORMAL, effect.reason);
}

/** The job's place in line, to a sink that renders it itself or as an `estimation` message. */
export function sendEstimate(sink: JobSink, estimation: Estimation): void {
  if (sink.estimate !== undefined) sink.estimate(estimation);
  else sink.send(estimationMessage(estimation));
}

/** What `sendEnd` needs to word a timeout and choose the close code. */
export interface EndContext {
  /** The host's `dataTimeoutMs`: the deadline a data timeout names unless the outcome says its own. */
  dataTimeoutMs: number;
  /** The endpoint's run timeout, for a run timeout's message. */
  runMs: number | null;
  /** The host is shutting down: the close says "going away". */
  closing: boolean;
}

/** The job ended (`end`): its terminal message (or its sink's own refusal of bad data), then the close. */
export function sendEnd(job: HostJob, outcome: Extract<Effect, { type: 'end' }>['outcome'], context: EndContext): void {
  const { sink, data } = job;
  if (data.state === 'failed' && data.refused && sink.refused !== undefined) sink.refused(data.message);
  else {
    // A data timeout says which deadline passed: dataTimeoutMs, or pickedDataTimeoutMs once picked.
    const dataMs = outcome.status === 'timeout' && outcome.phase === 'data' ? outcome.limitMs : context.dataTimeoutMs;
    const message =
      data.state === 'failed' ? failedMessage(data.message) : outcomeMessage(outcome, { dataMs, runMs: context.runMs });
    if (message !== null) sink.send(message);
  }
  sink.close(outcome.status === 'shutdown' || context.closing ? CLOSE_GOING_AWAY : CLOSE_NORMAL, outcome.status);
}
