import type { RawData, WebSocket } from 'ws';
import { startConversation, type ConversationOptions } from '../core/join-conversation.js';
import type { QueueHost } from '../core/queue-host.js';
import { resolveSendLimits, type SendLimits } from './send-limits.js';
import { StatusWriter } from './status-writer.js';

export interface JoinSocketOptions extends ConversationOptions {
  /** How statuses are spread out and slow readers handled; read once per queue (the first socket's). */
  sendLimits?: SendLimits;
  /** The writer shared by every socket of a server; by default one per queue host. */
  writer?: StatusWriter;
}

/** One writer per queue, so an estimation round to all of its sockets is spread out as one. */
const writers = new WeakMap<QueueHost, StatusWriter>();

/** The status writer of a queue's sockets (created with `limits` on first use). */
export function statusWriterFor(host: QueueHost, limits?: SendLimits): StatusWriter {
  let writer = writers.get(host);
  if (writer === undefined) {
    writer = new StatusWriter(resolveSendLimits(limits));
    writers.set(host, writer);
  }
  return writer;
}

/** Carries one `/queue/join` conversation on a `ws` socket. */
export function handleJoinSocket(socket: WebSocket, host: QueueHost, options: JoinSocketOptions): void {
  const out = (options.writer ?? statusWriterFor(host, options.sendLimits)).attach(socket);
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
