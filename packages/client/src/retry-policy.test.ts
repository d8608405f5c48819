import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import {
  DEFAULT_RETRY_OPTIONS,
  MAX_RETRY_AFTER_MS,
  resolveRetryOptions,
  retryDelayMs,
  shouldRetry,
  type RetryOptions,
} from './retry-policy.js';

const options: RetryOptions = { ...DEFAULT_RETRY_OPTIONS };

describe('retryDelayMs', () => {
  it('stays within [0, min(maxDelayMs, baseDelayMs · 2^attempt)] for every random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delay = retryDelayMs(attempt, options, undefined, () => r);
          const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(cap);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('doubles the cap per attempt up to maxDelayMs (random just under 1 reaches it)', () => {
    const almostOne = (): number => 0.999999;
    const caps = [0, 1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, options, null, almostOne));
    expect(caps).toEqual([499, 999, 1999, 3999, 7999, 14999, 14999]);
    expect(retryDelayMs(3, options, null, () => 0)).toBe(0);
  });

  // Issue 24.6: a retry_after past ~24.8 days overflowed setTimeout, which then fired at once.
  it("clamps the server's retry_after to MAX_RETRY_AFTER_MS", () => {
    expect(retryDelayMs(0, options, 1e9, () => 0)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBeLessThan(2 ** 31 - 1);
    expect(retryDelayMs(0, options, 2, () => 0)).toBe(2000);
  });

  it('spreads delays over the whole range (full jitter, not equal jitter)', () => {
    const delays = Array.from({ length: 1000 }, (_, i) => retryDelayMs(4, options, null, () => i / 1000));
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeGreaterThan(7900);
  });

  it("waits the server's retry_after first, then the jitter on top of it, in ms", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, retryAfter, r) => {
          const delay = retryDelayMs(attempt, options, retryAfter, () => r);
          expect(delay).toBeGreaterThanOrEqual(retryAfter * 1000);
          expect(delay).toBe(Math.ceil(retryAfter * 1000) + retryDelayMs(attempt, options, null, () => r));
        },
      ),
      { numRuns: 1000 },
    );
    // A retry_after beyond maxDelayMs still counts: the server knows when it will have room.
    expect(retryDelayMs(0, options, 20, () => 0.5)).toBe(20_250);
  });

  it('spreads a crowd that got the same retry_after over the jitter window after it', () => {
    const delays = Array.from({ length: 100 }, (_, i) => retryDelayMs(0, options, 1, () => i / 100));
    expect(Math.min(...delays)).toBe(1000);
    expect(Math.max(...delays)).toBeGreaterThan(1450);
    expect(new Set(delays).size).toBe(100);
  });

  it('ignores a retry_after that is absent, zero or negative', () => {
    expect(retryDelayMs(2, options, undefined, () => 0.5)).toBe(1000);
    expect(retryDelayMs(2, options, null, () => 0.5)).toBe(1000);
    expect(retryDelayMs(2, options, -3, () => 0.5)).toBe(1000);
    expect(retryDelayMs(2, options, 0, () => 0.5)).toBe(1000);
  });
});

describe('shouldRetry', () => {
  it('allows maxAttempts attempts in all, the first included', () => {
    const verdicts = [1, 2, 3, 4, 5, 6, 7].map((made) => shouldRetry(made, 0, 0, { ...options, maxAttempts: 6 }));
    expect(verdicts).toEqual([true, true, true, true, true, false, false]);
    expect(shouldRetry(1, 0, 0, { ...options, maxAttempts: 1 })).toBe(false);
  });

  it('gives up when the next attempt would start past the deadline', () => {
    const withDeadline = { ...options, deadlineMs: 10_000 };
    expect(shouldRetry(1, 9_000, 1_000, withDeadline)).toBe(true);
    expect(shouldRetry(1, 9_000, 1_001, withDeadline)).toBe(false);
    expect(shouldRetry(1, 10_500, 0, withDeadline)).toBe(false);
  });

  // Issue 21.13: six attempts in ~12 s gave up while a steady crowd got in; the default is a deadline now.
  it('by default keeps trying, however many attempts, until two minutes after submit', () => {
    expect(DEFAULT_RETRY_OPTIONS.deadlineMs).toBe(120_000);
    expect(shouldRetry(50, 100_000, 15_000, options)).toBe(true);
    expect(shouldRetry(50, 110_000, 15_000, options)).toBe(false);
  });
});

describe('resolveRetryOptions', () => {
  it('fills in the exported defaults', () => {
    expect(resolveRetryOptions(undefined)).toEqual({
      maxAttempts: Infinity,
      baseDelayMs: 500,
      maxDelayMs: 15_000,
      deadlineMs: 120_000,
    });
    expect(resolveRetryOptions({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY_OPTIONS, maxAttempts: 2 });
  });

  it('layers over a base, and false means one attempt', () => {
    const base = resolveRetryOptions({ baseDelayMs: 10 });
    expect(resolveRetryOptions({ maxAttempts: 3 }, base)).toEqual({ ...base, maxAttempts: 3 });
    expect(resolveRetryOptions(false, base)).toEqual({ ...base, maxAttempts: 1 });
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts: expected an integer ≥ 1 or Infinity, got 0'],
    [{ maxAttempts: 2.5 }, 'retry.maxAttempts: expected an integer ≥ 1 or Infinity, got 2.5'],
    [{ baseDelayMs: -1 }, 'retry.baseDelayMs: expected a finite number ≥ 0, got -1'],
    [{ maxDelayMs: '5' }, 'retry.maxDelayMs: expected a finite number ≥ 0, got "5"'],
    [{ deadlineMs: 0 }, 'retry.deadlineMs: expected a number > 0, got 0'],
    ['often', 'retry: expected an object or false, got "often"'],
  ])('refuses %j: %s', (input, message) => {
    const attempt = (): unknown => resolveRetryOptions(input as Partial<RetryOptions>);
    expect(attempt).toThrow(BadRequestError);
    expect(attempt).toThrow(message);
  });
});
