import { describeValue } from './describe-value.js';
import { type ParseResult } from './errors.js';
import { fail, guard, int, MAX_TEXT_LENGTH, num, object, str } from './fields.js';
import { checkServerMessage } from './parse.js';
import type { SseJoinRefusal, SseJoinResponse, SseServerMessage } from './sse-messages.js';

/** Longest `event_id` accepted (Gradio's are 32 hex characters). */
export const MAX_EVENT_ID_LENGTH = 128;

function eventId(o: Record<string, unknown>): string {
  const id = str(o, 'event_id', MAX_EVENT_ID_LENGTH);
  if (id === '') fail('INVALID_FIELD', '$.event_id', 'expected a non-empty string, got ""');
  return id;
}

function checkSseMessage(value: unknown): SseServerMessage {
  const o = object(value);
  const msg = o['msg'];
  switch (msg) {
    case 'heartbeat':
    case 'close_stream':
      return { msg };
    case 'unexpected_error': {
      const text = o['message'];
      return {
        msg,
        event_id: o['event_id'] === null || o['event_id'] === undefined ? null : eventId(o),
        message: typeof text === 'string' ? text.slice(0, MAX_TEXT_LENGTH) : 'unexpected error',
        session_not_found: o['session_not_found'] === true,
      };
    }
    // The 3.x handshake and queue_full have no place on this stream (a full queue is the join's 503).
    case 'send_hash':
    case 'send_data':
    case 'queue_full':
      return fail('UNKNOWN_MESSAGE', '$.msg', `expected an sse_v3 stream message, got "${msg}"`);
    default: {
      const id = eventId(o);
      const message = checkServerMessage(o) as Exclude<SseServerMessage, { msg: 'heartbeat' | 'close_stream' }>;
      return { ...message, event_id: id } as SseServerMessage;
    }
  }
}

/**
 * Checks one `data:` payload of a `GET {api_prefix}/queue/data` stream. Unknown messages (Gradio's
 * `log`, `process_streaming`, …) are an `UNKNOWN_MESSAGE` error that a client may simply skip.
 */
export function parseSseMessage(input: unknown): ParseResult<SseServerMessage> {
  return guard(input, checkSseMessage);
}

/** Checks the 200 answer of `POST {api_prefix}/queue/join`. */
export function parseSseJoinResponse(input: unknown): ParseResult<SseJoinResponse> {
  return guard(input, (value) => ({ event_id: eventId(object(value)) }));
}

/** Checks a refused join's body (503, 422); Gradio sends only `detail`, crowdserve adds its numbers. */
export function parseSseJoinRefusal(input: unknown): ParseResult<SseJoinRefusal> {
  return guard(input, (value) => {
    const o = object(value);
    const detail = o['detail'];
    const out: SseJoinRefusal = {
      detail:
        typeof detail === 'string'
          ? detail.slice(0, MAX_TEXT_LENGTH)
          : detail === undefined
            ? 'refused'
            : `refused: ${describeValue(detail)}`,
    };
    if (typeof o['queue_size'] === 'number') out.queue_size = int(o, 'queue_size');
    if (typeof o['max_size'] === 'number') out.max_size = int(o, 'max_size');
    if (typeof o['retry_after'] === 'number') out.retry_after = num(o, 'retry_after');
    if (typeof o['reason'] === 'string') out.reason = str(o, 'reason', MAX_TEXT_LENGTH);
    return out;
  });
}
