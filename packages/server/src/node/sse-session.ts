import type { ServerMessage } from '@crowdserve/protocol';
import type { ServerResponse } from 'node:http';
import type { JobId } from '@crowdserve/queue';
import { CLOSE_STREAM_FRAME, cancelledFrame, eventFrame, GeneratorDiff } from '../core/gradio-sse.js';
import type { JobSink } from '../core/queue-host.js';
import type { ResolvedSendLimits } from './send-limits.js';

/** What a session needs from its registry: the queue to leave, and to be forgotten when it ends. */
export interface SessionHost {
  leave(jobId: JobId): void;
  ended(session: SseSession): void;
  readonly limits: ResolvedSendLimits;
}

/** How a join went while the host's `join` ran: refused at once (queue full, bad data) or accepted. */
export type JoinAnswer =
  | { type: 'accepted' }
  | { type: 'queue_full'; message: Extract<ServerMessage, { msg: 'queue_full' }> }
  | { type: 'refused'; error: string };

interface SessionEvent {
  jobId: JobId | undefined;
  diff: GeneratorDiff;
  /** Set while the host's join runs (until `admitted`): an answer given then goes to the HTTP response, not the stream. */
  joining: JoinAnswer | null;
}

/**
 * One `session_hash`'s side of the `sse_v3` dialect: its events (jobs), and the one stream
 * (`GET /queue/data`) that carries all their messages, tagged by `event_id`. Messages made before the
 * stream opens wait here (bounded by `maxBufferedBytes`); a stream that stops reading is cut off like a
 * slow WebSocket; the stream closes (`close_stream`) once nothing is pending; when it closes early,
 * its waiting events leave the queue at once.
 */
export class SseSession {
  private readonly events = new Map<string, SessionEvent>();
  private backlog: string[] = [];
  private backlogBytes = 0;
  private stream: ServerResponse | null = null;
  private ended = false;

  constructor(
    readonly hash: string,
    private readonly host: SessionHost,
  ) {}

  get pending(): number {
    return this.events.size;
  }

  get backlogFrames(): number {
    return this.backlog.length;
  }

  get hasStream(): boolean {
    return this.stream !== null;
  }

  owns(eventId: string): boolean {
    return this.events.has(eventId);
  }

  /** A new event of this session; its sink goes to the host's `join`, then `joined` says what happened. */
  add(eventId: string): JobSink {
    const event: SessionEvent = { jobId: undefined, diff: new GeneratorDiff(), joining: { type: 'accepted' } };
    this.events.set(eventId, event);
    const current = () => this.events.get(eventId) === event;
    return {
      send: (message) => {
        if (event.joining !== null && message.msg === 'queue_full') {
          event.joining = { type: 'queue_full', message };
          return;
        }
        if (!current()) return;
        if (message.msg === 'process_generating') {
          message = { ...message, output: { ...message.output, data: event.diff.next(message.output.data) } };
        }
        this.write(eventFrame(message, eventId), message.msg === 'estimation');
        if (message.msg === 'process_completed') this.finish(eventId);
      },
      refused: (error) => {
        if (event.joining !== null) event.joining = { type: 'refused', error };
        else if (current()) {
          this.write(eventFrame({ msg: 'process_completed', output: { error }, success: false }, eventId), false);
          this.finish(eventId);
        }
      },
      close: () => {
        // Ended without a terminal message of its own (cancelled, or refused while joining).
        if (current() && event.joining === null) this.finish(eventId);
      },
    };
  }

  /** The host's join was decided (`admitted`): what to answer the POST. A refused event is forgotten. */
  joined(eventId: string, jobId: JobId): JoinAnswer {
    const event = this.events.get(eventId);
    if (event === undefined) return { type: 'accepted' };
    const answer = event.joining ?? { type: 'accepted' };
    event.joining = null;
    event.jobId = jobId;
    if (answer.type !== 'accepted') this.finish(eventId);
    return answer;
  }

  /** `POST /cancel`: the event ends now with a cancelled completion; its job leaves the queue. */
  cancel(eventId: string): boolean {
    const event = this.events.get(eventId);
    if (event === undefined) return false;
    this.write(cancelledFrame(eventId), false);
    this.finish(eventId);
    if (event.jobId !== undefined) this.host.leave(event.jobId);
    return true;
  }

  /** The stream opened: what waited is written, and the session is bound to this stream. */
  attach(stream: ServerResponse): void {
    this.stream = stream;
    const waiting = this.backlog;
    this.backlog = [];
    this.backlogBytes = 0;
    for (const frame of waiting) this.write(frame, false);
    if (this.stream !== null && this.events.size === 0) this.closeStream();
    stream.once('close', () => {
      if (this.stream === stream) this.end();
    });
  }

  /** Writes a frame the stream's way; a status to a slow reader is skipped, a stuck one is cut off. */
  write(frame: string, status: boolean): void {
    if (this.ended) return;
    const stream = this.stream;
    if (stream === null) {
      if (this.backlogBytes + frame.length > this.host.limits.maxBufferedBytes) return this.end();
      this.backlog.push(frame);
      this.backlogBytes += frame.length;
      return;
    }
    const buffered = stream.writableLength;
    if (buffered > this.host.limits.maxBufferedBytes) {
      stream.destroy();
      return this.end();
    }
    if (status && buffered > this.host.limits.slowClientBytes) return;
    stream.write(frame);
  }

  /**
   * The session is over: its stream went away (closed early, cut off), its stream never came, or the
   * server stops. Its events still pending leave the queue at once (Gradio keeps such ghosts).
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const events = [...this.events.values()];
    this.events.clear();
    this.backlog = [];
    this.backlogBytes = 0;
    const stream = this.stream;
    this.stream = null;
    if (stream !== null && !stream.destroyed) stream.end();
    for (const event of events) if (event.jobId !== undefined) this.host.leave(event.jobId);
    this.host.ended(this);
  }

  private finish(eventId: string): void {
    this.events.delete(eventId);
    if (this.events.size === 0 && this.stream !== null) this.closeStream();
  }

  private closeStream(): void {
    this.write(CLOSE_STREAM_FRAME, false);
    this.end();
  }
}
