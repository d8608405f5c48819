import { parseDataMessage, parseJoinMessage, type ServerMessage } from '@crowdserve/protocol';
import type { RawData, WebSocket } from 'ws';
import { failedMessage } from '../core/gradio3.js';
import type { JobSink, QueueHost } from '../core/queue-host.js';

export interface JoinSocketOptions {
  /** How long the client may take to answer `send_hash`. */
  handshakeTimeoutMs: number;
}

/**
 * One `/queue/join` conversation on one socket (Gradio 3.x): `send_hash` → join → estimations →
 * `send_data` → data → `process_starts` … `process_completed`, then close 1000. Closing the socket is cancel.
 */
export function handleJoinSocket(socket: WebSocket, host: QueueHost, options: JoinSocketOptions): void {
  let jobId: string | undefined;
  let ended = false;

  const sink: JobSink = {
    send: (message: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    close: (code, reason) => {
      ended = true;
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
        socket.close(code, reason.slice(0, 120));
    },
  };

  // The official client hangs on a clean close without a terminal message: always send one first.
  const refuse = (error: string) => {
    sink.send(failedMessage(error));
    sink.close(1000, 'bad request');
  };

  const handshake = setTimeout(() => {
    if (jobId === undefined && !ended)
      refuse(`expected {"fn_index", "session_hash"} within ${options.handshakeTimeoutMs / 1000} s`);
  }, options.handshakeTimeoutMs);

  socket.on('message', (raw: RawData, isBinary: boolean) => {
    if (ended) return;
    if (isBinary) {
      if (jobId === undefined) refuse('expected a JSON text frame');
      else host.fail(jobId, 'expected a JSON text frame');
      return;
    }
    const text = raw.toString();
    if (jobId === undefined) {
      const join = parseJoinMessage(text);
      clearTimeout(handshake);
      if (!join.ok) return refuse(`invalid join message: ${join.error.message}`);
      jobId = host.join(sink, join.value.fn_index);
      return;
    }
    // Frames that arrive when no data is expected (a duplicate, a chatty client) are ignored, as Gradio does.
    if (!host.isAwaitingData(jobId)) return;
    const data = parseDataMessage(text);
    if (!data.ok) return host.fail(jobId, `invalid data message: ${data.error.message}`);
    host.receiveData(jobId, data.value.data);
  });

  socket.on('close', () => {
    clearTimeout(handshake);
    ended = true;
    if (jobId !== undefined) host.leave(jobId);
  });

  // Errors (e.g. a frame over maxPayload: ws closes with 1009 by itself) are followed by 'close'.
  socket.on('error', () => {});

  sink.send({ msg: 'send_hash' });
}
