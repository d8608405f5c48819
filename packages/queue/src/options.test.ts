import { describe, expect, it } from 'vitest';
import { QueueOptionRangeError, QueueOptionTypeError } from './errors.js';
import { DEFAULT_ENDPOINT_OPTIONS, DEFAULT_QUEUE_OPTIONS, resolveQueueOptions } from './options.js';
import type { QueueOptions } from './types.js';

describe('resolveQueueOptions', () => {
  it('fills in the defaults', () => {
    const clock = (): number => 0;
    const resolved = resolveQueueOptions({ endpoints: [{}], clock });
    expect(resolved).toEqual({
      concurrencyCount: DEFAULT_QUEUE_OPTIONS.concurrencyCount,
      maxSize: null,
      statusUpdateRate: 'auto',
      dataTimeoutMs: 60_000,
      // null: the same as dataTimeoutMs.
      pickedDataTimeoutMs: 60_000,
      prefetchData: true,
      prefetchGraceMs: 100,
      clock,
      endpoints: [
        {
          batch: false,
          maxBatchSize: 1,
          maxBatchDelayMs: 0,
          concurrencyLimit: Infinity,
          expectedDurationMs: null,
          timeoutMs: null,
        },
      ],
    });
    expect(DEFAULT_ENDPOINT_OPTIONS.maxBatchSize).toBe(4);
  });

  it('keeps batch settings only for batched endpoints', () => {
    const { endpoints } = resolveQueueOptions({
      endpoints: [
        { batch: true, maxBatchDelayMs: 20 },
        { batch: false, maxBatchSize: 8, maxBatchDelayMs: 20, concurrencyLimit: 2 },
      ],
    });
    expect(endpoints[0]).toMatchObject({ batch: true, maxBatchSize: 4, maxBatchDelayMs: 20 });
    expect(endpoints[1]).toMatchObject({ batch: false, maxBatchSize: 1, maxBatchDelayMs: 0, concurrencyLimit: 2 });
  });

  it('accepts explicit nulls and numeric status rates', () => {
    const resolved = resolveQueueOptions({
      maxSize: 0,
      statusUpdateRate: 0.5,
      endpoints: [{ concurrencyLimit: null, expectedDurationMs: 0, timeoutMs: null }],
    });
    expect(resolved.maxSize).toBe(0);
    expect(resolved.statusUpdateRate).toBe(0.5);
    expect(resolved.endpoints[0]?.expectedDurationMs).toBe(0);
  });

  it('resolves pickedDataTimeoutMs: its own value, or dataTimeoutMs when null', () => {
    expect(resolveQueueOptions({ endpoints: [], pickedDataTimeoutMs: 200 }).pickedDataTimeoutMs).toBe(200);
    const fallback = resolveQueueOptions({ endpoints: [], dataTimeoutMs: 5_000, pickedDataTimeoutMs: null });
    expect(fallback.pickedDataTimeoutMs).toBe(5_000);
    expect(DEFAULT_QUEUE_OPTIONS.pickedDataTimeoutMs).toBeNull();
  });

  const cases: [string, unknown, typeof QueueOptionTypeError | typeof QueueOptionRangeError, string][] = [
    ['not an object', null, QueueOptionTypeError, 'options: expected an object, got null'],
    ['no endpoints', {}, QueueOptionTypeError, 'endpoints: expected an array, got undefined'],
    ['clock', { endpoints: [], clock: 5 }, QueueOptionTypeError, 'clock: expected a function, got 5'],
    [
      'concurrencyCount type',
      { endpoints: [], concurrencyCount: '2' },
      QueueOptionTypeError,
      'concurrencyCount: expected an integer ≥ 1, got "2"',
    ],
    [
      'concurrencyCount zero',
      { endpoints: [], concurrencyCount: 0 },
      QueueOptionRangeError,
      'concurrencyCount: expected an integer ≥ 1, got 0',
    ],
    [
      'concurrencyCount fraction',
      { endpoints: [], concurrencyCount: 1.5 },
      QueueOptionRangeError,
      'concurrencyCount: expected an integer ≥ 1, got 1.5',
    ],
    ['maxSize', { endpoints: [], maxSize: -1 }, QueueOptionRangeError, 'maxSize: expected an integer ≥ 0, got -1'],
    [
      'maxSize infinite',
      { endpoints: [], maxSize: Infinity },
      QueueOptionRangeError,
      'maxSize: expected an integer ≥ 0, got Infinity',
    ],
    [
      'statusUpdateRate word',
      { endpoints: [], statusUpdateRate: 'fast' },
      QueueOptionTypeError,
      `statusUpdateRate: expected 'auto' or a number of seconds > 0, got "fast"`,
    ],
    [
      'statusUpdateRate zero',
      { endpoints: [], statusUpdateRate: 0 },
      QueueOptionRangeError,
      `statusUpdateRate: expected 'auto' or a number of seconds > 0, got 0`,
    ],
    [
      'dataTimeoutMs NaN',
      { endpoints: [], dataTimeoutMs: NaN },
      QueueOptionRangeError,
      'dataTimeoutMs: expected a finite number > 0, got NaN',
    ],
    [
      'pickedDataTimeoutMs',
      { endpoints: [], pickedDataTimeoutMs: 0 },
      QueueOptionRangeError,
      'pickedDataTimeoutMs: expected a finite number > 0 or null, got 0',
    ],
    [
      'pickedDataTimeoutMs type',
      { endpoints: [], pickedDataTimeoutMs: '10s' },
      QueueOptionTypeError,
      'pickedDataTimeoutMs: expected a finite number > 0 or null, got "10s"',
    ],
    [
      'prefetchGraceMs',
      { endpoints: [], prefetchGraceMs: -1 },
      QueueOptionRangeError,
      'prefetchGraceMs: expected a finite number > 0, got -1',
    ],
    [
      'prefetchData',
      { endpoints: [], prefetchData: 'yes' },
      QueueOptionTypeError,
      'prefetchData: expected a boolean, got "yes"',
    ],
    ['endpoint', { endpoints: [[]] }, QueueOptionTypeError, 'endpoints[0]: expected an object, got an array'],
    [
      'batch',
      { endpoints: [{}, { batch: 'yes' }] },
      QueueOptionTypeError,
      'endpoints[1].batch: expected a boolean, got "yes"',
    ],
    [
      'maxBatchSize',
      { endpoints: [{ batch: true, maxBatchSize: 0 }] },
      QueueOptionRangeError,
      'endpoints[0].maxBatchSize: expected an integer ≥ 1, got 0',
    ],
    [
      'maxBatchDelayMs',
      { endpoints: [{ maxBatchDelayMs: -5 }] },
      QueueOptionRangeError,
      'endpoints[0].maxBatchDelayMs: expected a finite number ≥ 0, got -5',
    ],
    [
      'concurrencyLimit',
      { endpoints: [{ concurrencyLimit: 0 }] },
      QueueOptionRangeError,
      'endpoints[0].concurrencyLimit: expected an integer ≥ 1, got 0',
    ],
    [
      'expectedDurationMs',
      { endpoints: [{ expectedDurationMs: '1s' }] },
      QueueOptionTypeError,
      'endpoints[0].expectedDurationMs: expected a finite number ≥ 0, got "1s"',
    ],
    [
      'timeoutMs',
      { endpoints: [{ timeoutMs: 0 }] },
      QueueOptionRangeError,
      'endpoints[0].timeoutMs: expected a finite number > 0, got 0',
    ],
  ];

  it.each(cases)('rejects a bad %s', (_name, options, ErrorClass, message) => {
    let error: unknown;
    try {
      resolveQueueOptions(options as QueueOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ message, code: 'INVALID_OPTION' });
  });
});
