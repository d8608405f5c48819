import { array, fail, guard, int, MAX_TEXT_LENGTH, num, numOrNull, object, str, strOrNull } from './fields.js';
import {
  MAX_SESSION_HASH_LENGTH,
  type DataMessage,
  type EstimationMessage,
  type JoinMessage,
  type ProcessCompletedMessage,
  type ProgressUnit,
  type QueueFullMessage,
  type ServerMessage,
} from './messages.js';
import { describeValue } from './describe-value.js';
import { type ParseResult } from './errors.js';

/** Checks the client's answer to `send_hash`. Accepts a string or an already-parsed value. */
export function parseJoinMessage(input: unknown): ParseResult<JoinMessage> {
  return guard(input, (value) => {
    const o = object(value);
    return { fn_index: int(o, 'fn_index'), session_hash: str(o, 'session_hash', MAX_SESSION_HASH_LENGTH) };
  });
}

/** Checks the client's answer to `send_data`. Accepts a string or an already-parsed value. */
export function parseDataMessage(input: unknown): ParseResult<DataMessage> {
  return guard(input, (value) => {
    const o = object(value);
    return {
      data: array(o, 'data'),
      event_data: o['event_data'] ?? null,
      fn_index: int(o, 'fn_index'),
      session_hash: str(o, 'session_hash', MAX_SESSION_HASH_LENGTH),
    };
  });
}

function progressUnit(value: unknown, path: string): ProgressUnit {
  const o = object(value, path);
  return {
    index: numOrNull(o, 'index', `${path}.index`),
    length: numOrNull(o, 'length', `${path}.length`),
    unit: strOrNull(o, 'unit', MAX_TEXT_LENGTH, `${path}.unit`),
    progress: numOrNull(o, 'progress', `${path}.progress`),
    desc: strOrNull(o, 'desc', MAX_TEXT_LENGTH, `${path}.desc`),
  };
}

export function checkServerMessage(value: unknown): ServerMessage {
  const o = object(value);
  const msg = o['msg'];
  switch (msg) {
    case 'send_hash':
    case 'send_data':
      return { msg };
    case 'queue_full':
      return queueFull(o);
    case 'estimation':
      return estimation(o);
    case 'process_starts':
      return { msg, eta: numOrNull(o, 'eta') };
    case 'progress': {
      const units = o['progress_data'] === null ? [] : array(o, 'progress_data');
      return { msg, progress_data: units.map((u, i) => progressUnit(u, `$.progress_data[${i}]`)) };
    }
    case 'process_generating': {
      const output = object(o['output'], '$.output');
      return { msg, output: { data: array(output, 'data', '$.output.data'), is_generating: true }, success: true };
    }
    case 'process_completed':
      return processCompleted(o);
    default:
      return fail(
        'UNKNOWN_MESSAGE',
        '$.msg',
        `expected a known message type, got ${typeof msg === 'string' ? `"${msg.slice(0, 40)}"` : describeValue(msg)}`,
      );
  }
}

/** Gradio sends only `msg`; crowdserve's numbers are kept where they are present. */
function queueFull(o: Record<string, unknown>): QueueFullMessage {
  const out: QueueFullMessage = { msg: 'queue_full' };
  if (o['queue_size'] !== undefined) out.queue_size = int(o, 'queue_size');
  if (o['max_size'] !== undefined && o['max_size'] !== null) out.max_size = int(o, 'max_size');
  if (o['retry_after'] !== undefined && o['retry_after'] !== null) out.retry_after = num(o, 'retry_after');
  if (o['reason'] !== undefined) out.reason = str(o, 'reason', MAX_TEXT_LENGTH);
  return out;
}

function estimation(o: Record<string, unknown>): EstimationMessage {
  return {
    msg: 'estimation',
    rank: o['rank'] === null || o['rank'] === undefined ? null : int(o, 'rank'),
    queue_size: int(o, 'queue_size'),
    avg_event_process_time: numOrNull(o, 'avg_event_process_time'),
    avg_event_concurrent_process_time: numOrNull(o, 'avg_event_concurrent_process_time'),
    rank_eta: numOrNull(o, 'rank_eta'),
    queue_eta: numOrNull(o, 'queue_eta') ?? 0,
  };
}

function processCompleted(o: Record<string, unknown>): ProcessCompletedMessage {
  const output = object(o['output'], '$.output');
  if (o['success'] === true) {
    return {
      msg: 'process_completed',
      success: true,
      output: {
        data: array(output, 'data', '$.output.data'),
        is_generating: false,
        duration: numOrNull(output, 'duration', '$.output.duration') ?? 0,
        average_duration: numOrNull(output, 'average_duration', '$.output.average_duration') ?? 0,
      },
    };
  }
  return { msg: 'process_completed', success: false, output: { error: errorText(output['error']) } };
}

/** A failed job's `error` as text, whatever the server put there. */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error.slice(0, MAX_TEXT_LENGTH);
  if (error === null || error === undefined) return 'unknown error';
  return JSON.stringify(error).slice(0, MAX_TEXT_LENGTH);
}

/**
 * Checks a frame a server sent. An unknown `msg` (Gradio's `log`, `heartbeat`, …) is an
 * `UNKNOWN_MESSAGE` error that a client may simply ignore.
 */
export function parseServerMessage(input: unknown): ParseResult<ServerMessage> {
  return guard(input, checkServerMessage);
}
