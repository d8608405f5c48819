import { runAttempt } from './job-socket.js';
import { serialise, type JobTransport } from './job-transport.js';
import { webSocketDuplex, type Duplex, type WebSocketConstructor } from './transport.js';

/** Gradio 3.x's WebSocket queue: one conversation per attempt, opened by `open` (a target's `open()`). */
export function webSocketTransport(open: () => Duplex, connectTimeoutMs: number): JobTransport {
  return {
    hashPerRunningJob: true,
    prepare({ fnIndex, sessionHash, data }) {
      const dataFrame = serialise({ data, event_data: null, fn_index: fnIndex, session_hash: sessionHash });
      const plan = { open, fnIndex, sessionHash, dataFrame, connectTimeoutMs, now: Date.now };
      return (emit, signal) => runAttempt(plan, emit, signal);
    },
    close() {},
  };
}

/** A remote server's WebSocket queue: each attempt opens `ws(s)://host/path/queue/join`. */
export function remoteWebSocketTransport(
  root: string,
  WebSocket: WebSocketConstructor,
  connectTimeoutMs: number,
): JobTransport {
  const joinUrl = `${root.replace(/^http/, 'ws')}/queue/join`;
  return webSocketTransport(() => webSocketDuplex(new WebSocket(joinUrl)), connectTimeoutMs);
}
