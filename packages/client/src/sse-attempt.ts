import { parseSseJoinRefusal, parseSseJoinResponse, type SseEventMessage } from '@crowdserve/protocol/sse';
import { ServerError } from './errors.js';
import type { AttemptOutcome } from './job-socket.js';
import { applyDiff } from './apply-diff.js';
import type { RequestSlots } from './request-slots.js';
import type { SseHttp, PostAnswer } from './sse-http.js';
import type { SessionStream, StreamEnd } from './sse-stream.js';
import type { JobStatus } from './status.js';
import { toStatus } from './to-status.js';

/** What one `sse_v3` attempt needs to know. */
export interface SseAttemptPlan {
  /** `…{api_prefix}` of the app, without a trailing slash. */
  apiRoot: string;
  http: SseHttp;
  stream: SessionStream;
  /** Shared by the app's joins and cancels. */
  slots: RequestSlots;
  fnIndex: number;
  sessionHash: string;
  /** The `SseJoinRequest`, serialised once up front. */
  joinBody: string;
  /** The join must be answered within this long. */
  connectTimeoutMs: number;
  now: () => number;
}

type JoinResult =
  | { type: 'joined'; eventId: string }
  | Exclude<AttemptOutcome, { type: 'terminal' | 'refused' | 'cancelled' }>
  | { type: 'terminal'; status: Extract<JobStatus, { type: 'failed' }> };

/**
 * One attempt on Gradio's `sse_v3` queue: `POST queue/join` with the job, then its messages from the
 * session's shared stream until the first terminal one. A 503 is `queue_full` (retried); a join that
 * could not be sent is `lost` before the data was sent (retried); once joined, nothing is retried.
 * A cancel after the join posts `/cancel`. Never rejects.
 */
export async function runSseAttempt(
  plan: SseAttemptPlan,
  emit: (status: JobStatus) => void,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  const release = await plan.slots.acquire(signal);
  if (release === null) return { type: 'cancelled' };
  const joinDone = plan.stream.joinStarted();
  // The join is never aborted: the server may have taken it, so a cancel waits for its event id.
  const joining = join(plan).finally(release);
  let onAbort = (): void => {};
  const cancelled = new Promise<'cancelled'>((resolve) => {
    onAbort = () => resolve('cancelled');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const first = await Promise.race([joining, cancelled]);
  signal.removeEventListener('abort', onAbort);
  if (first === 'cancelled') {
    void joining.then((joined) => {
      joinDone();
      if (joined.type === 'joined') void postCancel(plan, joined.eventId);
    });
    return { type: 'cancelled' };
  }
  if (first.type !== 'joined') {
    joinDone();
    return first;
  }
  // Listening before the join counts as done, so the stream never looks idle in between.
  const outcome = follow(plan, first.eventId, emit, signal);
  joinDone();
  return outcome;
}

async function join(plan: SseAttemptPlan): Promise<JoinResult> {
  const url = `${plan.apiRoot}/queue/join`;
  let answer: PostAnswer;
  try {
    answer = await plan.http.post(url, plan.joinBody, plan.connectTimeoutMs);
  } catch (cause) {
    const timedOut = (cause as { name?: unknown } | null)?.name === 'TimeoutError';
    // A join that timed out may have been taken: it counts as sent, and is not retried.
    return { type: 'lost', dataSent: timedOut, timedOut, code: null, reason: `POST ${url} failed`, cause };
  }
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    const parsed = parseSseJoinResponse(body);
    if (parsed.ok) return { type: 'joined', eventId: parsed.value.event_id };
    return failed(new ServerError(`POST ${url} answered ${parsed.error.message}`, { cause: parsed.error }));
  }
  const refusal = parseSseJoinRefusal(body ?? {});
  const detail = refusal.ok ? refusal.value : { detail: `answered ${status}` };
  if (status === 503) {
    const retryAfter = detail.retry_after ?? retryAfterHeader(answer.retryAfter);
    return {
      type: 'queue_full',
      message: {
        msg: 'queue_full',
        ...(detail.queue_size === undefined ? {} : { queue_size: detail.queue_size }),
        ...(detail.max_size === undefined ? {} : { max_size: detail.max_size }),
        ...(retryAfter === undefined ? {} : { retry_after: retryAfter }),
        ...(detail.reason === undefined ? {} : { reason: detail.reason }),
      },
    };
  }
  // 422 (bad input), 403 (origin), 404 …: asking again would get the same answer.
  return failed(new ServerError(detail.detail, { status }));
}

function failed(error: ServerError): JoinResult {
  return { type: 'terminal', status: { type: 'failed', error } };
}

/** `Retry-After` in seconds (the HTTP-date form is not used by queue servers). */
function retryAfterHeader(value: string | null): number | undefined {
  const seconds = value === null ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** Follows a joined event on the session's stream to its end. */
function follow(
  plan: SseAttemptPlan,
  eventId: string,
  emit: (status: JobStatus) => void,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  if (signal.aborted) {
    void postCancel(plan, eventId);
    return Promise.resolve({ type: 'cancelled' });
  }
  return new Promise((resolve) => {
    let started = false;
    let outputs: unknown[] | null = null;
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      plan.stream.remove(eventId, listener);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = (): void => {
      void postCancel(plan, eventId);
      finish({ type: 'cancelled' });
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const onMessage = (message: SseEventMessage): void => {
      if (message.msg === 'estimation' && started) return;
      if (message.msg === 'process_starts') started = true;
      if (message.msg === 'process_generating') {
        try {
          outputs =
            outputs === null ? message.output.data : outputs.map((v, i) => applyDiff(v, message.output.data[i]));
        } catch (cause) {
          return finish({
            type: 'terminal',
            status: { type: 'failed', error: new ServerError(`process_generating: ${String(cause)}`, { cause }) },
          });
        }
        return emit({ type: 'partial', data: outputs });
      }
      const status = toStatus(message, plan.now());
      if (status === null) return;
      if (status.type === 'done' || status.type === 'failed') finish({ type: 'terminal', status });
      else emit(status);
    };
    const onEnd = (why: StreamEnd): void =>
      finish(
        why.type === 'error'
          ? { type: 'terminal', status: { type: 'failed', error: new ServerError(why.message, statusOf(why)) } }
          : { type: 'lost', dataSent: true, timedOut: false, code: null, reason: why.reason, cause: why.cause },
      );
    const listener = { message: onMessage, end: onEnd };
    // Messages that came before the join's answer are delivered at once, and may end the attempt.
    plan.stream.add(eventId, listener);
  });
}

function statusOf(why: Extract<StreamEnd, { type: 'error' }>): { status: number } | undefined {
  return why.status === null ? undefined : { status: why.status };
}

/** `POST {api_prefix}/cancel`: best effort, the job has already ended on this side. */
async function postCancel(plan: SseAttemptPlan, eventId: string): Promise<void> {
  const release = (await plan.slots.acquire())!;
  try {
    const body = JSON.stringify({ session_hash: plan.sessionHash, fn_index: plan.fnIndex, event_id: eventId });
    await plan.http.post(`${plan.apiRoot}/cancel`, body, plan.connectTimeoutMs);
  } catch {
    // The server is gone or slow: its end of the event goes with the stream.
  } finally {
    release();
  }
}
