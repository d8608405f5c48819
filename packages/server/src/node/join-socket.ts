import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import {
  MAX_JOIN_FRAME_CHARS,
  startConversation,
  type Conversation,
  type ConversationOptions,
} from '../core/join-conversation.js';
import type { JobHost } from '../core/job-host.js';
import { DEFAULT_MAX_JSON_DEPTH, tooDeepMessage } from '../core/json-guard.js';
import type { StatusWriter, WritableSocket } from './status-writer.js';
import { corkForTick } from './cork.js';
import { FrameDepthWatch } from './frame-depth.js';
import { encodeTextFrame } from './text-frame.js';

/**
 * Most bytes a queue socket may send before its first message (the join frame) is whole: the longest
 * join frame in UTF-8 (3 bytes per UTF-16 unit), its frame header, and room for control frames. Past it
 * the connection is cut at once, unanswered: `ws`'s `maxPayload` is one per server (the data frame's
 * `maxPayloadBytes`), and a frame read to its end costs its receive, unmask and UTF-8 check before the
 * join frame's own length check could refuse it (issue 24.2). Nothing a client means to send is cut.
 * @default 16 KiB
 */
export const MAX_PRE_JOIN_BYTES = Math.max(16 * 1024, 3 * MAX_JOIN_FRAME_CHARS + 1024);

export interface JoinSocketOptions extends ConversationOptions {
  /** The writer shared by every socket of a server, so an estimation round to all of them is spread out as one. */
  writer: StatusWriter;
}

/**
 * Carries one `/queue/join` conversation on a `ws` socket. `raw` is the connection under it (the
 * server's `upgrade` socket): frames are written to it directly, each in one buffer (see
 * `encodeTextFrame`); `ws` still reads, pings and closes.
 */
export function handleJoinSocket(socket: WebSocket, raw: Duplex, host: JobHost, options: JoinSocketOptions): void {
  const out = options.writer.attach(new RawWritable(socket, raw));
  // Conversation frames come in bursts of one tick (see corkForTick); statuses of a round do not.
  const conversation = startConversation(
    {
      send: (text) => {
        corkForTick(raw);
        out.send(text);
      },
      sendStatus: (render) => out.status(render),
      close: (code, reason) => {
        out.close();
        corkForTick(raw);
        socket.close(code, reason);
      },
    },
    host,
    { ...options, depthCheckedByTransport: true },
  );
  limitPreJoinBytes(socket, raw, MAX_PRE_JOIN_BYTES);
  watchDataFrames(raw, conversation);
  socket.on('message', (raw: RawData, isBinary: boolean) => {
    if (isBinary) conversation.receiveBinary();
    // A text frame's bytes: the conversation decodes them only if it needs them (see Conversation.receive).
    else conversation.receive(Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  });
  socket.on('close', () => {
    out.close();
    conversation.closed();
  });
  // Errors (e.g. a frame over maxPayload: ws closes with 1009 by itself) are followed by 'close'.
  socket.on('error', () => {});
}

/**
 * Cuts the connection when more than `max` bytes arrive before the first whole message. It counts the
 * connection's chunks as they come (after `ws`'s own listener, which delivers a message completed by a
 * chunk before this one sees that chunk), so a long first frame costs O(max), not O(its length).
 */
function limitPreJoinBytes(socket: WebSocket, raw: Duplex, max: number): void {
  let received = 0;
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > max) {
      raw.off('data', count);
      socket.terminate();
    }
  };
  raw.on('data', count);
  socket.once('message', () => raw.off('data', count));
}

/**
 * Most bytes of one message after the join frame while no data is asked for (before `send_data`, or
 * after the data came): Gradio ignores such frames, and a client has nothing that large to say then.
 * Past it the job fails at the frame's header, before its payload (up to `maxPayloadBytes`) is read.
 * @default 16 KiB
 */
export const MAX_UNASKED_MESSAGE_BYTES = 16 * 1024;

/**
 * Refuses a message past the depth budget at its first chunk past it, and one too long for a frame
 * nobody asked for at its header (`FrameDepthWatch`), not once `ws` has it whole. The join frame is
 * left to its own length checks. Then `ws` reads no more of the connection, as when it refuses a frame
 * itself (its receiver's error): its reader is detached and what still comes is read and dropped,
 * while the close handshake (or ws's timer on it) ends the connection.
 */
function watchDataFrames(raw: Duplex, conversation: Conversation): void {
  const refuse = (reason: string): void => {
    for (const listener of raw.listeners('data')) raw.off('data', listener as (chunk: Buffer) => void);
    raw.resume();
    conversation.refuse(reason);
  };
  const watch = new FrameDepthWatch(
    DEFAULT_MAX_JSON_DEPTH,
    1,
    () => refuse(`invalid data message: ${tooDeepMessage(DEFAULT_MAX_JSON_DEPTH)}`),
    {
      maxBytes: MAX_UNASKED_MESSAGE_BYTES,
      asked: () => conversation.awaitingData(),
      tooLarge: (bytes) =>
        refuse(
          `a message of ${bytes} bytes came before the server asked for data (at most ${MAX_UNASKED_MESSAGE_BYTES} then)`,
        ),
    },
  );
  // Before ws's own listener: a chunk that completes a message is counted before ws can hand the
  // message over (the conversation, told by then, drops it unparsed).
  raw.prependListener('data', (chunk: Buffer) => watch.push(chunk));
}

/**
 * A queue socket as the status writer sees it: frames go straight to the connection, state comes
 * from `ws`. A class, not an object literal with getters: a literal's getters are new functions per
 * socket, which gives every socket's object a shape of its own, and the writer's reads of 10,000 of
 * them in a round then go through V8's generic property lookup instead of inlined code.
 */
class RawWritable implements WritableSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Duplex,
  ) {}

  /**
   * What waits in the connection's buffer: `ws`'s own `bufferedAmount` adds what its sender queues,
   * which is nothing here (no permessage-deflate, no Blobs: it writes at once, as `encodeTextFrame`
   * requires), and reading it would cost each frame of a round one more cold object.
   */
  get bufferedAmount(): number {
    return this.raw.writableLength;
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  send(text: string): void {
    this.raw.write(encodeTextFrame(text));
  }

  terminate(): void {
    this.socket.terminate();
  }
}
