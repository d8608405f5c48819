import { ConnectionLostError, QueueFullError, TimeoutError, type CrowdserveError } from './errors.js';
import type { AttemptOutcome } from './job-socket.js';
import type { Attempt } from './job-transport.js';
import { retryDelayMs, shouldRetry, type RetryOptions } from './retry-policy.js';
import type { JobStatus } from './status.js';

export interface JobPlan {
  /** One attempt, in whichever dialect the app speaks. */
  attempt: Attempt;
  retry: RetryOptions;
  now: () => number;
  random: () => number;
}

type Retryable = Extract<AttemptOutcome, { type: 'queue_full' | 'lost' | 'refused' }>;

/**
 * Runs a job to its end: attempts, and between them the retry policy's waits. Retries only what is
 * safe (`queue_full`, a job refused before its data was sent, or a connection that failed before the data was sent). Every ending is reported
 * through `emit`; a cancel is reported by the job itself, so on abort this just stops. Never rejects.
 */
export async function runJob(plan: JobPlan, emit: (status: JobStatus) => void, signal: AbortSignal): Promise<void> {
  const startedAt = plan.now();
  for (let attempts = 1; ; attempts++) {
    const outcome = await plan.attempt(emit, signal);
    if (outcome.type === 'cancelled') return;
    if (outcome.type === 'terminal') return emit(outcome.status);
    if (outcome.type === 'lost' && outcome.dataSent) {
      return emit({
        type: 'failed',
        error: connectionError(outcome, 'the connection closed before the job completed'),
      });
    }

    const retryAfter = outcome.type === 'queue_full' ? outcome.message.retry_after : null;
    const delayMs = retryDelayMs(attempts - 1, plan.retry, retryAfter, plan.random);
    if (!shouldRetry(attempts, plan.now() - startedAt, delayMs, plan.retry)) {
      return emit({ type: 'failed', error: giveUpError(outcome, attempts) });
    }
    const reason = outcome.type === 'lost' ? 'connection' : 'queue_full';
    emit({ type: 'retrying', attempt: attempts + 1, delayMs, reason });
    if (!(await wait(delayMs, signal))) return;
  }
}

function giveUpError(outcome: Retryable, attempts: number): CrowdserveError {
  if (outcome.type === 'lost') return connectionError(outcome, `could not join the queue in ${attempts} attempt(s)`);
  if (outcome.type === 'refused') return outcome.status.error;
  const m = outcome.message;
  return new QueueFullError(
    {
      attempts,
      queueSize: m.queue_size ?? null,
      maxSize: m.max_size ?? null,
      retryAfter: m.retry_after ?? null,
      reason: m.reason ?? null,
    },
    { cause: m },
  );
}

function connectionError(outcome: Extract<AttemptOutcome, { type: 'lost' }>, what: string): CrowdserveError {
  const detail =
    outcome.code === null ? outcome.reason : `close ${outcome.code}${outcome.reason ? ` ${outcome.reason}` : ''}`;
  const message = `${what} (${detail})`;
  return outcome.timedOut
    ? new TimeoutError(message, { cause: outcome.cause })
    : new ConnectionLostError(message, { cause: outcome.cause });
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
