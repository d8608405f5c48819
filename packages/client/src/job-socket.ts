import type { JoinMessage, QueueFullMessage } from '@crowdserve/protocol/base';
import { parseServerMessage } from '@crowdserve/protocol/ws';
import type { JobStatus, TerminalStatus } from './status.js';
import { toStatus } from './to-status.js';
import type { Duplex } from './transport.js';
import { watchdog } from './watchdog.js';

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

  return new Promise((resolve) => {
    let dataSent = false;
    let started = false;
    let settled = false;

    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      silence?.stop();
      signal.removeEventListener('abort', onAbort);
      duplex.onmessage = null;
      duplex.onclose = null;
      try {
        duplex.close();
      } catch {
        // Already closed: nothing left to end.
      }
      resolve(outcome);
    };

    const send = (frame: string): void => {
      try {
        duplex.send(frame);
      } catch (cause) {
        finish({ type: 'lost', dataSent, timedOut: false, code: null, reason: String(cause), cause });
      }
    };

    const timer = setTimeout(
      () => finish({ type: 'lost', dataSent: false, timedOut: true, code: null, reason: 'no send_hash in time' }),
      plan.connectTimeoutMs,
    );
    let silence: ReturnType<typeof watchdog> | undefined;
    const onAbort = (): void => finish({ type: 'cancelled' });
    duplex.onping = () => silence?.kick();
    signal.addEventListener('abort', onAbort, { once: true });

    duplex.onclose = (event) =>
      finish({ type: 'lost', dataSent, timedOut: false, code: event.code, reason: event.reason, cause: event });

    duplex.onmessage = (text) => {
      silence?.kick();
      const parsed = parseServerMessage(text);
      if (!parsed.ok) return;
      const message = parsed.value;
      switch (message.msg) {
        case 'send_hash':
          clearTimeout(timer);
          send(JSON.stringify({ fn_index: plan.fnIndex, session_hash: plan.sessionHash } satisfies JoinMessage));
          return;
        case 'send_data':
          if (dataSent) return;
          // From here on the server holds the data: a drop is never retried.
          dataSent = true;
          if (duplex.seesPings) {
            const silenceMs = plan.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS;
            silence = watchdog(silenceMs, () =>
              finish({
                type: 'lost',
                dataSent: true,
                timedOut: false,
                code: null,
                reason: `silent for ${silenceMs} ms`,
              }),
            );
          }
          send(plan.dataFrame);
          return;
        case 'queue_full':
          finish({ type: 'queue_full', message });
          return;
        case 'estimation':
          // A job that is running is no longer queued, whatever a late estimation says. Between
          // send_data and process_starts it still waits: servers that prefetch data ask early.
          if (!started) emitStatus();
          return;
        case 'process_starts':
          started = true;
          emitStatus();
          return;
        default:
          emitStatus();
      }

      function emitStatus(): void {
        const status = toStatus(message, plan.now());
        if (status === null) return;
        if (status.type === 'failed' && !dataSent) finish({ type: 'refused', status });
        else if (status.type === 'done' || status.type === 'failed') finish({ type: 'terminal', status });
        else emit(status);
      }
    };
  });
}
