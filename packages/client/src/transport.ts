import type { ApiInfo, AppConfig } from '@crowdserve/protocol/base';

/** How a conversation ended: a WebSocket close code (1006 when the connection failed) and reason. */
export interface DuplexCloseEvent {
  code: number;
  reason: string;
}

/**
 * One job's two-way conversation with a queue: it carries the protocol's JSON text frames
 * (`@crowdserve/protocol`'s `ServerMessage` in, `JoinMessage` / `DataMessage` out), exactly as a
 * WebSocket to `/queue/join` would.
 *
 * Like a WebSocket, a duplex notifies asynchronously: never during `open()`, `send()` or
 * `close()`, so the client can set `onmessage` and `onclose` right after `open()` returns.
 */
export interface Duplex {
  /** Sends one text frame to the server. */
  send(text: string): void;
  /** Ends the conversation; on this protocol, closing is cancel. Called at most once by the client. */
  close(): void;
  /** Set by the client: called with each text frame the server sends. */
  onmessage: ((text: string) => void) | null;
  /**
   * Set by the client: called once when the conversation ends from the server's side or the
   * connection fails. Not needed after the client's own `close()`.
   */
  onclose: ((event: DuplexCloseEvent) => void) | null;
  /**
   * Set by the client: called on each WebSocket ping, where the platform shows pings (`ws` in Node;
   * a browser's WebSocket never does). A duplex that can call it sets `seesPings`.
   */
  onping?: (() => void) | null;
  /** Whether `onping` is called: only then may a silence be read as a dead peer. */
  readonly seesPings?: boolean;
}

/**
 * Anything the client can talk to: a remote server (`connect(url)` builds one over HTTP and
 * WebSocket) or an in-page server, which implements this to speak the very same messages.
 */
export interface QueueTarget {
  /** The app's config, as `GET /config` answers it. Called once, by `connect()`. */
  config(): AppConfig | Promise<AppConfig>;
  /** The API description, as `GET /info` answers it. Optional: parameters and returns only inform `app.endpoints`. */
  info?(): ApiInfo | Promise<ApiInfo>;
  /** Opens one job's conversation, as `new WebSocket('…/queue/join')` would. Called once per attempt. */
  open(): Duplex;
}

type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a WebSocket the client uses: the browser's, `ws`'s and undici's all fit. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  /** `ws`'s EventEmitter side, for its `'ping'` event; a browser's WebSocket has none. */
  on?(event: 'ping', listener: () => void): unknown;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Adapts a WebSocket to a {@link Duplex}, so remote and in-page servers share one code path. */
export function webSocketDuplex(socket: WebSocketLike): Duplex {
  const seesPings = typeof socket.on === 'function';
  const duplex: Duplex = {
    send: (text) => socket.send(text),
    close: () => socket.close(1000),
    onmessage: null,
    onclose: null,
    onping: null,
    seesPings,
  };
  if (seesPings) socket.on!('ping', () => duplex.onping?.());
  // Binary frames are not part of this protocol; they are skipped like unknown messages.
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') duplex.onmessage?.(event.data);
  };
  socket.onclose = (event) => duplex.onclose?.({ code: event.code, reason: event.reason });
  // A close event always follows an error; `ws` would throw on an error nobody listens to.
  socket.onerror = () => {};
  return duplex;
}
