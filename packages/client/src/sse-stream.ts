import { parseSseMessage, type SseEventMessage } from '@crowdserve/protocol/sse';
import { createParser } from 'eventsource-parser';
import type { SseHttp } from './sse-http.js';
import { watchdog, type Watchdog } from './watchdog.js';

/** Why a stream stopped carrying an event's messages before its completion. */
export type StreamEnd =
  /** The server said so (`unexpected_error`, or a refused `GET`): its text. */
  | { type: 'error'; message: string; status: number | null }
  /** The connection failed, ended without `close_stream`, or fell silent. */
  | { type: 'lost'; reason: string; cause?: unknown };

/** One event's side of the shared stream. */
export interface EventListener {
  message(message: SseEventMessage): void;
  end(why: StreamEnd): void;
}

export interface SessionStreamOptions {
  /** `…{api_prefix}/queue/data?session_hash=…` */
  url: string;
  http: SseHttp;
  /** With no message (heartbeats included) for this long, the stream is dead. */
  silenceTimeoutMs: number;
  /** Called when the stream is closed and nothing waits for it: its owner may forget it. */
  onIdle?: () => void;
}

/** The stream now open, and how to stop reading it. */
interface OpenStream {
  stop(): void;
}

/** Messages kept for events whose join answer is still on its way (Gradio's `pending_stream_messages`). */
const MAX_EARLY_MESSAGES = 256;
/** One `data:` line longer than this ends the stream: no output of this protocol needs more. */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * One session's `GET {api_prefix}/queue/data` stream, shared by all of that session's events and
 * demultiplexed by `event_id`. Opened when an event is added and none is open; the server ends it
 * with `close_stream` once the session has nothing pending, and it is opened again for an event
 * still waiting then (whose join landed in the server's next session).
 */
export class SessionStream {
  private readonly listeners = new Map<string, EventListener>();
  /** Messages for event ids not (yet) added, while some join is still unanswered. */
  private early = new Map<string, SseEventMessage[]>();
  private earlyCount = 0;
  private joining = 0;
  private current: OpenStream | null = null;
  private silence: Watchdog | null = null;

  constructor(private readonly options: SessionStreamOptions) {}

  /** Whether the stream has nothing to carry: its owner may forget it. */
  get idle(): boolean {
    return this.listeners.size === 0 && this.joining === 0 && this.current === null;
  }

  /** A join is on its way: messages for an event id not yet known are kept until it answers. */
  joinStarted(): () => void {
    this.joining++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.joining > 0) return;
      this.dropEarly();
      if (this.idle) this.options.onIdle?.();
    };
  }

  /** Listens for one event's messages, those kept from before its join answered first. */
  add(eventId: string, listener: EventListener): void {
    this.listeners.set(eventId, listener);
    const waiting = this.early.get(eventId);
    if (waiting !== undefined) {
      this.early.delete(eventId);
      this.earlyCount -= waiting.length;
      for (const message of waiting) if (this.listeners.get(eventId) === listener) listener.message(message);
    }
    if (this.current === null && this.listeners.get(eventId) === listener) this.open();
  }

  /** Stops listening for one event (its attempt ended). */
  remove(eventId: string, listener: EventListener): void {
    if (this.listeners.get(eventId) === listener) this.listeners.delete(eventId);
  }

  /** Stops reading at once (the app closed). Pending events hear nothing more. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private open(): void {
    const current = { stop: () => {} };
    this.current = current;
    this.silence = watchdog(this.options.silenceTimeoutMs, () =>
      this.lost(current, { type: 'lost', reason: `silent for ${this.options.silenceTimeoutMs} ms` }),
    );
    const parser = createParser({
      maxBufferSize: MAX_EVENT_BYTES,
      onEvent: (event) => {
        if (this.current !== current) return;
        this.silence?.kick();
        if (this.dispatch(event.data, current)) this.reopen();
      },
      onComment: () => this.silence?.kick(),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') {
          this.lost(current, { type: 'lost', reason: `the stream failed (${String(error)})`, cause: error });
        }
      },
    });
    current.stop = this.options.http.stream(this.options.url, {
      refused: (status, detail) =>
        this.lost(current, {
          type: 'error',
          status,
          message: `GET queue/data answered ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`,
        }),
      text: (chunk) => {
        if (this.current === current) parser.feed(chunk);
      },
      end: () => this.lost(current, { type: 'lost', reason: 'the stream ended without close_stream' }),
      fail: (cause) => this.lost(current, { type: 'lost', reason: `the stream failed (${String(cause)})`, cause }),
    });
  }

  /** Handles one `data:` payload; true when the server closed the stream. */
  private dispatch(data: string, current: OpenStream): boolean {
    const parsed = parseSseMessage(data);
    // Unknown messages (`log`, `process_streaming`) and malformed ones are skipped, as on the socket.
    if (!parsed.ok) return false;
    const message = parsed.value;
    switch (message.msg) {
      case 'heartbeat':
        return false;
      case 'close_stream':
        return true;
      case 'unexpected_error': {
        const why: StreamEnd = { type: 'error', status: null, message: message.message };
        if (message.event_id === null) this.lost(current, why);
        else this.endOne(message.event_id, why);
        return false;
      }
      default: {
        const listener = this.listeners.get(message.event_id);
        if (listener !== undefined) listener.message(message);
        else this.keepEarly(message);
        return false;
      }
    }
  }

  private keepEarly(message: SseEventMessage): void {
    if (this.joining === 0 || this.earlyCount >= MAX_EARLY_MESSAGES) return;
    const list = this.early.get(message.event_id) ?? [];
    list.push(message);
    this.early.set(message.event_id, list);
    this.earlyCount++;
  }

  private dropEarly(): void {
    this.early = new Map();
    this.earlyCount = 0;
  }

  private endOne(eventId: string, why: StreamEnd): void {
    const listener = this.listeners.get(eventId);
    this.listeners.delete(eventId);
    listener?.end(why);
  }

  /** The server closed the stream: events still listening joined its next session, which needs a stream of its own. */
  private reopen(): void {
    this.stop();
    if (this.listeners.size > 0) this.open();
  }

  /** The stream is gone: every event still listening hears why. */
  private lost(current: OpenStream, why: StreamEnd): void {
    if (this.current !== current) return;
    this.stop();
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    for (const listener of listeners) listener.end(why);
  }

  private stop(): void {
    this.silence?.stop();
    this.silence = null;
    const current = this.current;
    this.current = null;
    current?.stop();
    if (this.idle) this.options.onIdle?.();
  }
}
