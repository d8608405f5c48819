import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { startConversation, type ConversationOptions } from '../core/join-conversation.js';
import type { QueueHost } from '../core/queue-host.js';
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
export function handleJoinSocket(socket: WebSocket, raw: Duplex, host: QueueHost, options: JoinSocketOptions): void {
  const writable: WritableSocket = {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get readyState() {
      return socket.readyState;
    },
    send: (text) => raw.write(encodeTextFrame(text)),
    terminate: () => socket.terminate(),
  };
  const out = options.writer.attach(writable);
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
    else conversation.receive(raw.toString());
  });
  socket.on('close', () => {
    out.close();
    conversation.closed();
  });
  // Errors (e.g. a frame over maxPayload: ws closes with 1009 by itself) are followed by 'close'.
  socket.on('error', () => {});
}
