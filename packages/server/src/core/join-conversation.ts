import { parseDataMessage, parseJoinMessage, type ServerMessage } from '@crowdserve/protocol';
import type { Estimation } from '@crowdserve/queue';
import { estimationFieldsJson, estimationMessage, failedMessage, type EstimationFields } from './gradio3.js';
import { DEFAULT_MAX_JSON_DEPTH, decodeUtf8, jsonDepth } from './json-guard.js';
import { errorMessage } from './handler-output.js';
import type { JobHost } from './job-host.js';
import type { JobSink } from './host-job.js';

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
  let ended = false;
  let estimated = false;
  /** The status handed to `sendStatus` and not written yet (its render not called). */
  const unwritten = new HeldEstimation();
  // One render for the conversation's life, not one per status: a round to a crowd makes no closures.
  const render = (): string => unwritten.take();

  const sink: JobSink = {
    // The first estimation (at join) goes at once, before anything else the job hears; later ones
    // are rounds to the whole line, which the channel may spread out and coalesce.
    estimate: (estimation: Estimation) => {
      if (ended) return;
      if (!estimated || channel.sendStatus === undefined) return sink.send(estimationMessage(estimation));
      unwritten.hold(estimation);
      channel.sendStatus(render);
    },
    send: (message: ServerMessage) => {
      if (ended) return;
      if (message.msg === 'estimation') estimated = true;
      // `send` drops a status not written yet. A job asked for its data early (prefetch) still waits,
      // so that status still holds: it goes first, and a client that stops showing the queue at
      // `send_data` is left with its current place.
      if (message.msg === 'send_data' && unwritten.held) channel.send(render());
      unwritten.held = false;
      const text = encode(message);
      if (text !== undefined) channel.send(text);
    },
    close: (code, reason) => {
      if (ended) return;
      ended = true;
      channel.close(code, reason.slice(0, 120));
    },
  };

  // The one place a message is encoded. An output checked once may still fail now (a `toJSON` that
  // throws on its second call): that is this job's error, never a throw into the host's dispatch.
  const encode = (message: ServerMessage): string | undefined => {
    try {
      return JSON.stringify(message);
    } catch (cause) {
      ended = true;
      channel.send(JSON.stringify(failedMessage(`the output cannot be sent as JSON (${errorMessage(cause)})`)));
      channel.close(1000, 'bad output');
      return undefined;
    }
  };

  // The official client hangs on a clean close without a terminal message: always send one first.
  const refuse = (error: string) => {
    sink.send(failedMessage(error));
    sink.close(1000, 'bad request');
  };

  // Timers run before the loop reads its sockets: after a stall (a busy machine) the deadline could
  // fire with the join frame already waiting unread. It is checked once more after that read.
  // (A timeout set from a timer's callback runs in the loop's next turn, after that turn's reads; in a
  // browser too, which has no setImmediate.)
  let lastLook: ReturnType<typeof setTimeout> | undefined;
  const handshake = setTimeout(() => {
    lastLook = setTimeout(() => {
      if (jobId === undefined && !ended)
        refuse(`expected {"fn_index", "session_hash"} within ${options.handshakeTimeoutMs / 1000} s`);
    }, 0);
  }, options.handshakeTimeoutMs);
  const stopHandshake = () => {
    clearTimeout(handshake);
    if (lastLook !== undefined) clearTimeout(lastLook);
  };

  // A frame refused as a whole: before the join it refuses the join; after, it fails the job.
  const refuseFrame = (reason: string) => {
    if (ended) return;
    if (jobId === undefined) {
      stopHandshake();
      refuse(reason);
    } else host.fail(jobId, reason);
  };

  sink.send({ msg: 'send_hash' });

  return {
    receive(text) {
      if (ended) return;
      if (jobId === undefined) {
        stopHandshake();
        // The join frame is `{fn_index, session_hash}`: anything long is refused before it is parsed.
        // As bytes, a frame over 3 bytes per character (UTF-8's most per UTF-16 unit) is refused undecoded.
        if (typeof text !== 'string' && text.length > 3 * MAX_JOIN_FRAME_CHARS)
          return refuse(
            `invalid join message: expected at most ${MAX_JOIN_FRAME_CHARS} characters, got ${text.length} bytes`,
          );
        const frame = decodeUtf8(text);
        if (frame.length > MAX_JOIN_FRAME_CHARS)
          return refuse(
            `invalid join message: expected at most ${MAX_JOIN_FRAME_CHARS} characters, got ${frame.length}`,
          );
        const join = parseJoinMessage(frame);
        if (!join.ok) return refuse(`invalid join message: ${join.error.message}`);
        const clients = [`session:${join.value.session_hash}`];
        if (options.clientKey !== undefined) clients.push(options.clientKey);
        jobId = host.join(sink, join.value.fn_index, undefined, clients);
        return;
      }
      // Frames that arrive when no data is expected (a duplicate, a chatty client) are ignored, as Gradio does.
      if (!host.isAwaitingData(jobId)) return;
      if (options.depthCheckedByTransport !== true && jsonDepth(text, DEFAULT_MAX_JSON_DEPTH) > DEFAULT_MAX_JSON_DEPTH)
        return host.fail(
          jobId,
          `invalid data message: expected JSON nested at most ${DEFAULT_MAX_JSON_DEPTH} levels deep`,
        );
      const data = parseDataMessage(decodeUtf8(text));
      if (!data.ok) return host.fail(jobId, `invalid data message: ${data.error.message}`);
      host.receiveData(jobId, data.value.data);
    },
    receiveBinary: () => refuseFrame('expected a JSON text frame'),
    refuse: refuseFrame,
    closed() {
      stopHandshake();
      ended = true;
      if (jobId !== undefined) host.leave(jobId);
    },
  };
}

/**
 * A conversation's status not written yet, as numbers in one object it keeps for its life and
 * rewrites in place (null as NaN, so each field stays a plain double). A round to a crowd then leaves
 * nothing of its own alive while the writer works through it: the engine's `Estimation`s die with the
 * round's step, instead of living on, 10,000 of them, into the garbage collector's next copy and
 * from there into the old generation. Its frame is rendered from these numbers when written.
 */
class HeldEstimation implements EstimationFields {
  held = false;
  rank = 0;
  queueSize = 0;
  rankEta = NaN;
  queueEta = 0;
  avgEventProcessTime = NaN;
  avgEventConcurrentProcessTime = NaN;

  hold(e: Estimation): void {
    this.held = true;
    this.rank = e.rank;
    this.queueSize = e.queueSize;
    this.rankEta = e.rankEta ?? NaN;
    this.queueEta = e.queueEta;
    this.avgEventProcessTime = e.avgEventProcessTime ?? NaN;
    this.avgEventConcurrentProcessTime = e.avgEventConcurrentProcessTime ?? NaN;
  }

  /** The held estimation's frame (the text `estimationMessage` of it makes); no longer held. */
  take(): string {
    this.held = false;
    return estimationFieldsJson(this);
  }
}
