/**
 * The wire messages of Gradio's `sse_v3` queue (Gradio 4.22 – 6.x): `POST {api_prefix}/queue/join`
 * answers a join, and one `text/event-stream` per session (`GET {api_prefix}/queue/data`) carries
 * every event's messages, each a `data:` line of JSON tagged with its `event_id`.
 * Types only, as `gradio/server_messages.py` (gradio@5.9.1) shapes them.
 */
import type { ServerMessage } from './messages.js';

/** Client → server, `POST {api_prefix}/queue/join`: the job, inputs included, in one request. */
export interface SseJoinRequest {
  data: unknown[];
  event_data: unknown;
  fn_index: number;
  trigger_id: number | null;
  session_hash: string;
}

/** Server → client, the join's 200 answer. */
export interface SseJoinResponse {
  event_id: string;
}

/** Server → client, a refused join (503 when full, 422 for bad input): Gradio's `detail`, and crowdserve's numbers. */
export interface SseJoinRefusal {
  detail: string;
  /** crowdserve: waiting jobs now. */
  queue_size?: number;
  /** crowdserve: the server's `maxSize`. */
  max_size?: number;
  /** crowdserve: seconds after which a retry is likely to be accepted (also the `Retry-After` header). */
  retry_after?: number;
  /** crowdserve: why, when it is not plain fullness. */
  reason?: string;
}

/**
 * One event's message on the stream: a 3.x queue message and the event it belongs to. Only the
 * first `process_generating` of an event carries whole outputs; each later one carries, per output,
 * a list of diff edits against the one before ({@link SseDiffEdit}).
 */
export type SseEventMessage = Exclude<ServerMessage, { msg: 'send_hash' | 'send_data' | 'queue_full' }> & {
  event_id: string;
};

/** One edit of a `process_generating` diff: `[action, path, value]`, applied in order. */
export type SseDiffEdit = [action: 'replace' | 'append' | 'add' | 'delete', path: (string | number)[], value: unknown];

/** Server → client, every 15 s on an open stream; it belongs to no event. */
export interface SseHeartbeatMessage {
  msg: 'heartbeat';
}

/** Server → client: the session has nothing pending; the stream ends next. */
export interface SseCloseStreamMessage {
  msg: 'close_stream';
}

/** Server → client: something went wrong with one event or (`event_id` null) the whole stream. */
export interface SseUnexpectedErrorMessage {
  msg: 'unexpected_error';
  event_id: string | null;
  message: string;
  /** The server does not know the session (it ended, or never joined). */
  session_not_found: boolean;
}

/** Every message a server sends on `GET {api_prefix}/queue/data`. */
export type SseServerMessage =
  SseEventMessage | SseHeartbeatMessage | SseCloseStreamMessage | SseUnexpectedErrorMessage;
