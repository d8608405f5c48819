import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { startConversation, type ConversationOptions } from '../core/join-conversation.js';
import type { JobHost } from '../core/job-host.js';
import type { StatusWriter, WritableSocket } from './status-writer.js';
import { corkForTick } from './cork.js';
import { encodeTextFrame } from './text-frame.js';

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
    options,
  );
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
