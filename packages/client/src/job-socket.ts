import type { JoinMessage, QueueFullMessage, ServerMessage } from '@crowdserve/protocol/base';
import { parseServerMessage } from '@crowdserve/protocol/ws';
import type { JobStatus, TerminalStatus } from './status.js';
import { toStatus } from './to-status.js';
import type { Duplex } from './transport.js';
import { watchdog, type Watchdog } from './watchdog.js';

/**
 * With no frame and no ping for this long after the data was sent, the peer is taken for dead
 * (`CONNECTION_LOST`): two of the server's 15 s ping intervals. Armed only where pings are visible.
 * @default 30000
 */
export const DEFAULT_SILENCE_TIMEOUT_MS = 30_000;

/** What one attempt needs to know. */
export interface AttemptPlan {
  open: () => Duplex;
  fnIndex: number;
  sessionHash: string;
  /** The `DataMessage`, serialised once up front (so unserialisable data fails the submit, not the socket). */
  dataFrame: string;
  /** The server must say `send_hash` within this long after the attempt opens. */
  connectTimeoutMs: number;
  /** A silent peer is dead after this long; see {@link DEFAULT_SILENCE_TIMEOUT_MS}. */
  silenceTimeoutMs?: number;
  now: () => number;
}

/** How one attempt ended. Only `queue_full` and a `lost` with `dataSent: false` may be retried. */
export type AttemptOutcome =
  | { type: 'terminal'; status: TerminalStatus }
  | { type: 'queue_full'; message: QueueFullMessage }
  // The server ended the job before it had the data: nothing ran, so it may be retried like a queue_full.
  | { type: 'refused'; status: Extract<TerminalStatus, { type: 'failed' }> }
  | { type: 'lost'; dataSent: boolean; timedOut: boolean; code: number | null; reason: string; cause?: unknown }
  | { type: 'cancelled' };

/**
 * One attempt's conversation on the Gradio 3.x queue: answer `send_hash` with the join, `send_data`
 * with the data, report statuses through `emit`, and settle on the first terminal event. Frames
 * that are not a known message (`log`, `heartbeat`, malformed JSON) are skipped. Never rejects.
 */
export function runAttempt(
  plan: AttemptPlan,
  emit: (status: JobStatus) => void,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  if (signal.aborted) return Promise.resolve({ type: 'cancelled' });
  let duplex: Duplex;
  try {
    duplex = plan.open();
  } catch (cause) {
    return Promise.resolve({
      type: 'lost',
      dataSent: false,
      timedOut: false,
      code: null,
      reason: String(cause),
      cause,
    });
  }
  return new Promise((resolve) => new SocketAttempt(plan, duplex, emit, signal, resolve).listen());
}

/**
 * One open attempt. Its phases, in order: waiting for `send_hash` (under the connect timeout), then
 * for `send_data`, then the statuses of a job whose data the server holds (under the silence
 * watchdog where pings are visible); each ends the attempt through `#finish`, once.
 */
class SocketAttempt {
  /** From `send_data` on the server holds the data: a drop is never retried. */
  #dataSent = false;
  /** After `process_starts` the job is no longer queued, whatever a late estimation says. */
  #started = false;
  #settled = false;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #silence: Watchdog | undefined;
  readonly #plan: AttemptPlan;
  readonly #duplex: Duplex;
  readonly #emit: (status: JobStatus) => void;
  readonly #signal: AbortSignal;
  readonly #resolve: (outcome: AttemptOutcome) => void;
  readonly #onAbort = (): void => this.#finish({ type: 'cancelled' });

  constructor(
    plan: AttemptPlan,
    duplex: Duplex,
    emit: (status: JobStatus) => void,
    signal: AbortSignal,
    resolve: (outcome: AttemptOutcome) => void,
  ) {
    this.#plan = plan;
    this.#duplex = duplex;
    this.#emit = emit;
    this.#signal = signal;
    this.#resolve = resolve;
  }

  listen(): void {
    const duplex = this.#duplex;
    this.#handshakeTimer = setTimeout(
      () => this.#finish({ type: 'lost', dataSent: false, timedOut: true, code: null, reason: 'no send_hash in time' }),
      this.#plan.connectTimeoutMs,
    );
    duplex.onping = () => this.#silence?.kick();
    this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    duplex.onclose = (event) =>
      this.#finish({
        type: 'lost',
        dataSent: this.#dataSent,
        timedOut: false,
        code: event.code,
        reason: event.reason,
        cause: event,
      });
    duplex.onmessage = (text) => this.#receive(text);
  }

  #receive(text: string): void {
    this.#silence?.kick();
    const parsed = parseServerMessage(text);
    if (!parsed.ok) return;
    const message = parsed.value;
    switch (message.msg) {
      case 'send_hash':
        return this.#join();
      case 'send_data':
        return this.#sendData();
      case 'queue_full':
        return this.#finish({ type: 'queue_full', message });
      case 'estimation':
        // Between send_data and process_starts the job still waits: servers that prefetch data ask early.
        if (!this.#started) this.#report(message);
        return;
      case 'process_starts':
        this.#started = true;
        return this.#report(message);
      default:
        return this.#report(message);
    }
  }

  /** `send_hash`: the handshake is over; the join names the endpoint and session. */
  #join(): void {
    clearTimeout(this.#handshakeTimer);
    const { fnIndex, sessionHash } = this.#plan;
    this.#send(JSON.stringify({ fn_index: fnIndex, session_hash: sessionHash } satisfies JoinMessage));
  }

  /** `send_data`: the data goes once; from here a silent peer is watched for where pings are visible. */
  #sendData(): void {
    if (this.#dataSent) return;
    this.#dataSent = true;
    if (this.#duplex.seesPings) {
      const silenceMs = this.#plan.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS;
      this.#silence = watchdog(silenceMs, () =>
        this.#finish({
          type: 'lost',
          dataSent: true,
          timedOut: false,
          code: null,
          reason: `silent for ${silenceMs} ms`,
        }),
      );
    }
    this.#send(this.#plan.dataFrame);
  }

  /** A status for the caller, or the end: a failure before the data was sent is a refusal (retried). */
  #report(message: ServerMessage): void {
    const status = toStatus(message, this.#plan.now());
    if (status === null) return;
    if (status.type === 'failed' && !this.#dataSent) this.#finish({ type: 'refused', status });
    else if (status.type === 'done' || status.type === 'failed') this.#finish({ type: 'terminal', status });
    else this.#emit(status);
  }

  #send(frame: string): void {
    try {
      this.#duplex.send(frame);
    } catch (cause) {
      this.#finish({
        type: 'lost',
        dataSent: this.#dataSent,
        timedOut: false,
        code: null,
        reason: String(cause),
        cause,
      });
    }
  }

  #finish(outcome: AttemptOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#handshakeTimer);
    this.#silence?.stop();
    this.#signal.removeEventListener('abort', this.#onAbort);
    const duplex = this.#duplex;
    duplex.onmessage = null;
    duplex.onclose = null;
    try {
      duplex.close();
    } catch {
      // Already closed: nothing left to end.
    }
    this.#resolve(outcome);
  }
}
