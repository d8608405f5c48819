import { parseDataMessage, parseJoinMessage, type JoinMessage } from '@crowdserve/protocol';
import { ConversationOutput } from './conversation-output.js';
import { failedMessage } from './gradio3.js';
import { DEFAULT_MAX_JSON_DEPTH, decodeUtf8, jsonDepth } from './json-guard.js';
import type { JobHost } from './job-host.js';

/**
 * The longest join frame accepted: it is `{"fn_index": n, "session_hash": "…"}`, so a frame of megabytes
 * (deeply nested JSON, before any queue place is needed) is refused unread.
 * @default 4096
 */
export const MAX_JOIN_FRAME_CHARS = 4096;

/** A transport carrying one job's conversation: a WebSocket, a MessagePort, anything with text frames. */
export interface Channel {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * Optional: a status frame (a later `estimation`) that may be written a little later, rendered
   * only then, and replaced by a newer one or dropped by the next `send` while still unwritten. A
   * transport that writes to a crowd uses it to spread a round over several event-loop turns.
   * Without it, statuses go through `send`. `render` may be the same function every time (it renders
   * the newest status): call it at most once per `sendStatus`, and not after a `send`.
   */
  sendStatus?(render: () => string): void;
}

/** Feeds a channel's incoming frames and its end into the conversation. */
export interface Conversation {
  /**
   * A text frame, as text or as its UTF-8 bytes (then it is decoded only when needed: a join frame
   * too long or data too deep is refused, a frame nobody waits for is dropped, undecoded).
   */
  receive(text: string | Uint8Array): void;
  /** A frame the transport could not read as text. */
  receiveBinary(): void;
  /**
   * The transport refused a frame on its own, while it arrived (JSON too deep: see `FrameDepthWatch`):
   * the job fails with `reason`, or the join is refused.
   */
  refuse(reason: string): void;
  /** The transport closed (the client left): cancels the job. */
  closed(): void;
  /** Whether the job's data is asked for now (`send_data` sent, no data yet): a frame then is expected. */
  awaitingData(): boolean;
}

export interface ConversationOptions {
  /** How long the client may take to answer `send_hash`. */
  handshakeTimeoutMs: number;
  /** The key the client's address is counted under for `maxWaitingPerClient` (`ip:…`); its session hash is added. */
  clientKey?: string;
  /**
   * The transport counts each later frame's nesting itself as it arrives and calls `refuse` past the
   * budget (`FrameDepthWatch` on a Node socket): the conversation does not count it again.
   */
  depthCheckedByTransport?: boolean;
}

/**
 * One job's Gradio 3.x conversation, whatever carries it: `send_hash` → join → estimations →
 * `send_data` → data → (estimations, while a prefetched job still waits) → `process_starts` …
 * `process_completed`, then close 1000. Closing is cancel.
 */
export function startConversation(channel: Channel, host: JobHost, options: ConversationOptions): Conversation {
  let jobId: string | undefined;
  const output = new ConversationOutput(channel);
  const { sink } = output;

  // The official client hangs on a clean close without a terminal message: always send one first.
  const refuse = (error: string) => {
    sink.send(failedMessage(error));
    sink.close(1000, 'bad request');
  };

  const stopHandshake = handshakeDeadline(options.handshakeTimeoutMs, () => {
    if (jobId === undefined && !output.ended)
      refuse(`expected {"fn_index", "session_hash"} within ${options.handshakeTimeoutMs / 1000} s`);
  });

  // A frame refused as a whole: before the join it refuses the join; after, it fails the job.
  const refuseFrame = (reason: string) => {
    if (output.ended) return;
    if (jobId === undefined) {
      stopHandshake();
      refuse(reason);
    } else host.fail(jobId, reason);
  };

  sink.send({ msg: 'send_hash' });

  return {
    receive(text) {
      if (output.ended) return;
      if (jobId === undefined) {
        stopHandshake();
        const join = readJoinFrame(text);
        if (typeof join === 'string') return refuse(join);
        const clients = [`session:${join.session_hash}`];
        if (options.clientKey !== undefined) clients.push(options.clientKey);
        jobId = host.join(sink, join.fn_index, undefined, clients);
        return;
      }
      // Frames that arrive when no data is expected (a duplicate, a chatty client) are ignored, as Gradio does.
      if (!host.isAwaitingData(jobId)) return;
      const data = readDataFrame(text, options.depthCheckedByTransport === true);
      if (typeof data === 'string') return host.fail(jobId, data);
      host.receiveData(jobId, data);
    },
    receiveBinary: () => refuseFrame('expected a JSON text frame'),
    refuse: refuseFrame,
    awaitingData: () => jobId !== undefined && !output.ended && host.isAwaitingData(jobId),
    closed() {
      stopHandshake();
      output.ended = true;
      if (jobId !== undefined) host.leave(jobId);
    },
  };
}

/**
 * Calls `expired` once `timeoutMs` have passed without `stop` (the returned function) being called.
 * Timers run before the loop reads its sockets: after a stall (a busy machine) the deadline could
 * fire with the join frame already waiting unread. It is checked once more after that read.
 * (A timeout set from a timer's callback runs in the loop's next turn, after that turn's reads; in a
 * browser too, which has no setImmediate.)
 */
function handshakeDeadline(timeoutMs: number, expired: () => void): () => void {
  let lastLook: ReturnType<typeof setTimeout> | undefined;
  const handshake = setTimeout(() => {
    lastLook = setTimeout(expired, 0);
  }, timeoutMs);
  return () => {
    clearTimeout(handshake);
    if (lastLook !== undefined) clearTimeout(lastLook);
  };
}

/** The join frame `{fn_index, session_hash}`, or why it is refused: anything long is refused before it is parsed. */
function readJoinFrame(text: string | Uint8Array): JoinMessage | string {
  // As bytes, a frame over 3 bytes per character (UTF-8's most per UTF-16 unit) is refused undecoded.
  if (typeof text !== 'string' && text.length > 3 * MAX_JOIN_FRAME_CHARS)
    return `invalid join message: expected at most ${MAX_JOIN_FRAME_CHARS} characters, got ${text.length} bytes`;
  const frame = decodeUtf8(text);
  if (frame.length > MAX_JOIN_FRAME_CHARS)
    return `invalid join message: expected at most ${MAX_JOIN_FRAME_CHARS} characters, got ${frame.length}`;
  const join = parseJoinMessage(frame);
  return join.ok ? join.value : `invalid join message: ${join.error.message}`;
}

/** A data frame's `data`, or why the job fails: too deep is refused before it is parsed. */
function readDataFrame(text: string | Uint8Array, depthChecked: boolean): unknown[] | string {
  if (!depthChecked && jsonDepth(text, DEFAULT_MAX_JSON_DEPTH) > DEFAULT_MAX_JSON_DEPTH)
    return `invalid data message: expected JSON nested at most ${DEFAULT_MAX_JSON_DEPTH} levels deep`;
  const data = parseDataMessage(decodeUtf8(text));
  return data.ok ? data.value.data : `invalid data message: ${data.error.message}`;
}
