import { BadRequestError, describeValue } from './errors.js';

/** When and how often a job is tried again after `queue_full` or a connection that failed before its data was sent. */
export interface RetryOptions {
  /** Most attempts in all, the first included; 1 never retries. @default Infinity (the deadline decides) */
  maxAttempts: number;
  /** The first retry waits up to this long; each later one up to twice the one before. @default 500 */
  baseDelayMs: number;
  /** No backoff wait exceeds this (the server's `retry_after` may still ask for more). @default 15000 */
  maxDelayMs: number;
  /** Give up rather than retry at a moment later than this many ms after the job was submitted. @default 120000 */
  deadlineMs: number;
}

/** @default Infinity: in a steady crowd a count of attempts gives up too early; the deadline bounds the job. */
export const DEFAULT_MAX_ATTEMPTS = Infinity;
export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 15_000;
/** @default 120000: keep trying for two minutes after submit. */
export const DEFAULT_DEADLINE_MS = 120_000;
/**
 * A server's `retry_after` is clamped to this (ms) before it is used: `setTimeout` overflows past
 * 2^31 − 1 ms (~24.8 days) and fires at once. @default 3600000 (one hour)
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = {
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  baseDelayMs: DEFAULT_BASE_DELAY_MS,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  deadlineMs: DEFAULT_DEADLINE_MS,
};

/**
 * How long to wait before retry number `attempt` (0 for the first retry): full jitter,
 * a uniform pick in `[0, min(maxDelayMs, baseDelayMs · 2^attempt))`, so a crowd turned away
 * together does not come back together. The server's `retry_after` (seconds) is added in front of
 * the jitter, never put in its place: everyone refused at one moment gets the same `retry_after`,
 * and a floor under the jitter would bring them all back at that one instant.
 * Pure: `random` returns a number in `[0, 1)`.
 */
export function retryDelayMs(
  attempt: number,
  options: RetryOptions,
  retryAfterS?: number | null,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  const jittered = Math.floor(random() * cap);
  const floor =
    retryAfterS != null && retryAfterS > 0 ? Math.min(MAX_RETRY_AFTER_MS, Math.ceil(retryAfterS * 1000)) : 0;
  return floor + jittered;
}

/**
 * Whether to retry after `attemptsMade` failed attempts, `elapsedMs` after the job was submitted,
 * when the next wait would be `delayMs`. Pure.
 */
export function shouldRetry(attemptsMade: number, elapsedMs: number, delayMs: number, options: RetryOptions): boolean {
  return attemptsMade < options.maxAttempts && elapsedMs + delayMs <= options.deadlineMs;
}

/**
 * Fills in and checks retry options once. `false` means never retry.
 * Throws a `BadRequestError` that says what it expected and what it got.
 */
export function resolveRetryOptions(
  input: Partial<RetryOptions> | false | undefined,
  base: Readonly<RetryOptions> = DEFAULT_RETRY_OPTIONS,
): RetryOptions {
  if (input === false) return { ...base, maxAttempts: 1 };
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new BadRequestError(`retry: expected an object or false, got ${describeValue(input)}`);
  }
  const options = { ...base, ...input };
  check(
    options,
    'maxAttempts',
    (Number.isSafeInteger(options.maxAttempts) || options.maxAttempts === Infinity) && options.maxAttempts >= 1,
    'an integer ≥ 1 or Infinity',
  );
  check(options, 'baseDelayMs', finiteAtLeast0(options.baseDelayMs), 'a finite number ≥ 0');
  check(options, 'maxDelayMs', finiteAtLeast0(options.maxDelayMs), 'a finite number ≥ 0');
  check(options, 'deadlineMs', typeof options.deadlineMs === 'number' && options.deadlineMs > 0, 'a number > 0');
  return options;
}

function finiteAtLeast0(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function check(options: RetryOptions, key: keyof RetryOptions, ok: boolean, expected: string): void {
  if (!ok) throw new BadRequestError(`retry.${key}: expected ${expected}, got ${describeValue(options[key])}`);
}
