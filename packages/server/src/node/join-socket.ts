import type { RawData, WebSocket } from 'ws';
import { startConversation, type ConversationOptions } from '../core/join-conversation.js';
import type { QueueHost } from '../core/queue-host.js';

/** Carries one `/queue/join` conversation on a `ws` socket. */
export function handleJoinSocket(socket: WebSocket, host: QueueHost, options: ConversationOptions): void {
  const conversation = startConversation(
    {
      send: (text) => {
        if (socket.readyState === socket.OPEN) socket.send(text);
      },
      close: (code, reason) => socket.close(code, reason),
    },
    host,
    options,
  );
  socket.on('message', (raw: RawData, isBinary: boolean) => {
    if (isBinary) conversation.receiveBinary();
    else conversation.receive(raw.toString());
  });
  socket.on('close', () => conversation.closed());
  // Errors (e.g. a frame over maxPayload: ws closes with 1009 by itself) are followed by 'close'.
  socket.on('error', () => {});
}
