import type { ServerResponse } from 'node:http';
import type { JobId } from '@crowdserve/queue';
import { HEARTBEAT_FRAME, unexpectedErrorFrame } from '../core/gradio-sse.js';
import type { ResolvedSendLimits } from './send-limits.js';
import { SseSession, type SessionHost } from './sse-session.js';

export interface SseSessionsOptions {
  limits: ResolvedSendLimits;
  /** A `heartbeat` on every open stream this often (Gradio: 15 s). */
  heartbeatIntervalMs: number;
  /** How long a session's stream may take to open after its first join; then its events leave. */
  streamTimeoutMs: number;
  leave(jobId: JobId): void;
}

/**
 * Every live `sse_v3` session by `session_hash`, one heartbeat timer for all their streams, and one
 * timer per session still waiting for its stream. All of it is 0 when no one is connected.
 */
export class SseSessions {
  private readonly sessions = new Map<string, SseSession>();
  private readonly waiting = new Map<SseSession, ReturnType<typeof setTimeout>>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private streams = 0;
  private readonly host: SessionHost;

  constructor(private readonly options: SseSessionsOptions) {
    this.host = {
      limits: options.limits,
      leave: (jobId) => options.leave(jobId),
      ended: (session) => this.forget(session),
    };
  }

  get(hash: string): SseSession | undefined {
    return this.sessions.get(hash);
  }

  /** The session of `hash`, made (and given `streamTimeoutMs` to open its stream) if new. */
  claim(hash: string): SseSession {
    const known = this.sessions.get(hash);
    if (known !== undefined) return known;
    const session = new SseSession(hash, this.host);
    this.sessions.set(hash, session);
    const timer = setTimeout(() => {
      this.waiting.delete(session);
      if (!session.hasStream) session.end();
    }, this.options.streamTimeoutMs);
    timer.unref();
    this.waiting.set(session, timer);
    return session;
  }

  /** Binds the stream to its session (already known to have none) and keeps it beating. */
  attach(session: SseSession, stream: ServerResponse): void {
    const timer = this.waiting.get(session);
    clearTimeout(timer);
    this.waiting.delete(session);
    this.streams++;
    stream.once('close', () => {
      this.streams--;
      if (this.streams === 0) this.stopHeartbeat();
    });
    if (this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => {
        for (const s of this.sessions.values()) if (s.hasStream) s.write(HEARTBEAT_FRAME, true);
      }, this.options.heartbeatIntervalMs);
      this.heartbeat.unref();
    }
    session.attach(stream);
  }

  /** The server stops: open streams hear why, every session ends (its jobs have had their answers). */
  closeAll(): void {
    const frame = unexpectedErrorFrame('Server stopped unexpectedly.');
    for (const session of [...this.sessions.values()]) {
      session.write(frame, false);
      session.end();
    }
  }

  sizes(): Record<string, number> {
    let events = 0;
    let backlog = 0;
    for (const session of this.sessions.values()) {
      events += session.pending;
      backlog += session.backlogFrames;
    }
    return {
      sseSessions: this.sessions.size,
      sseEvents: events,
      sseBacklogFrames: backlog,
      sseStreams: this.streams,
      sseStreamTimers: this.waiting.size,
      sseHeartbeatTimer: this.heartbeat === undefined ? 0 : 1,
    };
  }

  private forget(session: SseSession): void {
    if (this.sessions.get(session.hash) === session) this.sessions.delete(session.hash);
    clearTimeout(this.waiting.get(session));
    this.waiting.delete(session);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
