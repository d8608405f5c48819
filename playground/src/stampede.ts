import type { App, JobStatus, RetryOptions } from '@crowdserve/client';
import { describeError } from './format.js';

/** One simulated user's state, as its grid cell shows it. */
export type UserState =
  | { type: 'connecting' }
  | { type: 'waiting'; position: number; queueSize: number }
  | { type: 'retrying'; attempt: number; retryAt: number }
  | { type: 'running' }
  | { type: 'done'; latencyMs: number }
  | { type: 'failed'; code: string; message: string };

export interface Completion {
  /** Epoch ms. */
  at: number;
  /** From submit to result, retries included. */
  latencyMs: number;
}

export interface Stampede {
  readonly count: number;
  readonly users: readonly UserState[];
  readonly startedAt: number;
  /** Retries made so far, all users together (each `retrying` status is one). */
  readonly retries: number;
  readonly completions: readonly Completion[];
  /** Resolves when every user is done or failed (or stopped). */
  readonly finished: Promise<void>;
  /** Cancels every user still going. */
  stop(): void;
}

export interface StampedeOptions {
  app: App;
  endpoint: string;
  count: number;
  /** The request data of user `i`. */
  data: (user: number) => Promise<unknown[]>;
  /** Patient users: a crowd turned away should still get served once the queue drains. */
  retry?: Partial<RetryOptions>;
  /** Called after every state change. */
  onChange?: () => void;
}

/** More patient than the client's default (6 attempts), so a stampede's users all get in eventually. */
export const STAMPEDE_RETRY: Partial<RetryOptions> = { maxAttempts: 20, baseDelayMs: 300, maxDelayMs: 4_000 };
export const DEFAULT_STAMPEDE_USERS = 30;
/**
 * Most users opening their connection at once. Chrome delays each new WebSocket of a page by
 * about 2^(pending handshakes) × 1–5 s / 65536, so 30 opened together wait seconds; a few at a
 * time (each handshake takes milliseconds) let the crowd in within a fraction of a second.
 */
export const MAX_CONNECTING_USERS = 4;
export const MAX_STAMPEDE_USERS = 500;

/** Launches `count` users at once, each submitting one job with its own retries. */
export function startStampede(options: StampedeOptions): Stampede {
  const { app, endpoint, count, onChange } = options;
  const controller = new AbortController();
  const users: UserState[] = Array.from({ length: count }, () => ({ type: 'connecting' }));
  const completions: Completion[] = [];
  const startedAt = Date.now();
  let retries = 0;

  const set = (user: number, state: UserState): void => {
    users[user] = state;
    onChange?.();
  };

  const gate = createGate(MAX_CONNECTING_USERS);

  const runUser = async (user: number): Promise<void> => {
    await gate.enter();
    let inGate = true;
    const leaveGate = (): void => {
      if (inGate) gate.leave();
      inGate = false;
    };
    const submittedAt = Date.now();
    const onStatus = (status: JobStatus): void => {
      leaveGate(); // any status means the connection was made (or given up on)
      if (status.type === 'retrying') retries++;
      const next = toUserState(status, submittedAt);
      if (next === null) return;
      if (next.type === 'done') completions.push({ at: Date.now(), latencyMs: next.latencyMs });
      set(user, next);
    };
    try {
      const data = await options.data(user);
      await app.submit(endpoint, data, { signal: controller.signal, retry: options.retry ?? STAMPEDE_RETRY, onStatus })
        .result;
    } catch (error) {
      // The `failed` status already set the state; this catches what fails before submit.
      if (users[user]?.type !== 'failed') set(user, { type: 'failed', code: 'INPUT', message: describeError(error) });
    } finally {
      leaveGate();
    }
  };

  const finished = Promise.all(users.map((_, i) => runUser(i))).then(() => undefined);
  return {
    count,
    users,
    startedAt,
    get retries() {
      return retries;
    },
    completions,
    finished,
    stop: () => controller.abort(),
  };
}

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
function createGate(size: number): { enter(): Promise<void>; leave(): void } {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    enter: () => {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    leave: () => {
      const next = waiting.shift();
      if (next === undefined) free++;
      else next();
    },
  };
}

function toUserState(status: JobStatus, submittedAt: number): UserState | null {
  switch (status.type) {
    case 'queued':
      return { type: 'waiting', position: status.position, queueSize: status.queueSize };
    case 'retrying':
      return { type: 'retrying', attempt: status.attempt, retryAt: Date.now() + status.delayMs };
    case 'running':
    case 'progress':
    case 'partial':
      return { type: 'running' };
    case 'done':
      return { type: 'done', latencyMs: Date.now() - submittedAt };
    case 'failed':
      return { type: 'failed', code: status.error.code, message: describeError(status.error) };
  }
}

export interface StampedeCounts {
  connecting: number;
  waiting: number;
  retrying: number;
  running: number;
  done: number;
  failed: number;
}

export function countStates(users: readonly UserState[]): StampedeCounts {
  const counts: StampedeCounts = { connecting: 0, waiting: 0, retrying: 0, running: 0, done: 0, failed: 0 };
  for (const user of users) counts[user.type]++;
  return counts;
}

/** Completed jobs per second over the last `windowMs` before `now` (or since the start, when that is shorter). */
export function throughput(
  completions: readonly Completion[],
  startedAt: number,
  now: number,
  windowMs: number,
): number {
  const from = Math.max(startedAt, now - windowMs);
  const span = (now - from) / 1000;
  if (span <= 0) return 0;
  return completions.filter((c) => c.at > from && c.at <= now).length / span;
}

/** The `p`-th percentile (0–1) of the completions' latencies, in ms; `null` before any. */
export function latencyPercentile(completions: readonly Completion[], p: number): number | null {
  if (completions.length === 0) return null;
  const sorted = completions.map((c) => c.latencyMs).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}
