import { assertNever, type ServerMessage } from '@crowdserve/protocol/base';
import { ServerError } from './errors.js';
import type { JobStatus } from './status.js';

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
