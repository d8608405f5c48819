import type { RawData, WebSocket } from 'ws';
import { startConversation, type ConversationOptions } from '../core/join-conversation.js';
import type { QueueHost } from '../core/queue-host.js';
import type { StatusWriter } from './status-writer.js';

export interface JoinSocketOptions extends ConversationOptions {
  /** The writer shared by every socket of a server, so an estimation round to all of them is spread out as one. */
  writer: StatusWriter;
}

/** Carries one `/queue/join` conversation on a `ws` socket. */
export function handleJoinSocket(socket: WebSocket, host: QueueHost, options: JoinSocketOptions): void {
  const out = options.writer.attach(socket);
  const conversation = startConversation(
    {
      send: (text) => out.send(text),
      sendStatus: (render) => out.status(render),
      close: (code, reason) => {
        out.close();
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
