import { QueueOptionRangeError, QueueOptionTypeError } from './errors.js';
import type { EndpointOptions, QueueOptions } from './types.js';
import { MemoryWaitingLine } from './waiting-line.js';
import type { WaitingLine } from './waiting-line.js';

/** Server-wide defaults (Gradio 3's, where Gradio has the option). */
export const DEFAULT_QUEUE_OPTIONS = {
  concurrencyCount: 1,
  maxSize: null,
  statusUpdateRate: 'auto',
  dataTimeoutMs: 60_000,
  pickedDataTimeoutMs: null,
  prefetchData: true,
  prefetchGraceMs: 100,
} as const satisfies Required<Omit<QueueOptions, 'endpoints' | 'clock' | 'waitingLine'>>;

/** Per-endpoint defaults. */
export const DEFAULT_ENDPOINT_OPTIONS = {
  batch: false,
  maxBatchSize: 4,
  maxBatchDelayMs: 0,
  concurrencyLimit: null,
  expectedDurationMs: null,
  timeoutMs: null,
} as const satisfies Required<EndpointOptions>;

/** An endpoint's options after defaults, as the engine uses them. */
export interface ResolvedEndpoint {
  batch: boolean;
  /** Most jobs in one batch: `maxBatchSize` when batched, else 1. */
  maxBatchSize: number;
  /** 0 unless batched. */
  maxBatchDelayMs: number;
  /** `Infinity` when unlimited. */
  concurrencyLimit: number;
  expectedDurationMs: number | null;
  timeoutMs: number | null;
}

export interface ResolvedQueueOptions {
  concurrencyCount: number;
  maxSize: number | null;
  statusUpdateRate: 'auto' | number;
  dataTimeoutMs: number;
  /** `pickedDataTimeoutMs`, or `dataTimeoutMs` when that is null. */
  pickedDataTimeoutMs: number;
  prefetchData: boolean;
  prefetchGraceMs: number;
  endpoints: ResolvedEndpoint[];
  clock: () => number;
}

const defaultClock = (): number => performance.now();

/** Fills in defaults and checks every option once; throws QueueOptionTypeError / QueueOptionRangeError. */
export function resolveQueueOptions(options: QueueOptions): ResolvedQueueOptions {
  if (!isRecord(options)) throw new QueueOptionTypeError('options', 'an object', options);
  const { endpoints, clock = defaultClock } = options;
  if (!Array.isArray(endpoints)) throw new QueueOptionTypeError('endpoints', 'an array', endpoints);
  if (typeof clock !== 'function') throw new QueueOptionTypeError('clock', 'a function', clock);
  const statusUpdateRate = options.statusUpdateRate ?? DEFAULT_QUEUE_OPTIONS.statusUpdateRate;
  if (statusUpdateRate !== 'auto') positive('statusUpdateRate', statusUpdateRate, "'auto' or a number of seconds > 0");
  const prefetchData = options.prefetchData ?? DEFAULT_QUEUE_OPTIONS.prefetchData;
  if (typeof prefetchData !== 'boolean') throw new QueueOptionTypeError('prefetchData', 'a boolean', prefetchData);
  const dataTimeoutMs = positive('dataTimeoutMs', options.dataTimeoutMs ?? DEFAULT_QUEUE_OPTIONS.dataTimeoutMs);
  const pickedDataTimeoutMs = nullable(options.pickedDataTimeoutMs, DEFAULT_QUEUE_OPTIONS.pickedDataTimeoutMs, (v) =>
    positive('pickedDataTimeoutMs', v, 'a finite number > 0 or null'),
  );
  const prefetchGraceMs = positive('prefetchGraceMs', options.prefetchGraceMs ?? DEFAULT_QUEUE_OPTIONS.prefetchGraceMs);
  return {
    concurrencyCount: integer(
      'concurrencyCount',
      options.concurrencyCount ?? DEFAULT_QUEUE_OPTIONS.concurrencyCount,
      1,
    ),
    maxSize: nullable(options.maxSize, DEFAULT_QUEUE_OPTIONS.maxSize, (v) => integer('maxSize', v, 0)),
    statusUpdateRate,
    dataTimeoutMs,
    pickedDataTimeoutMs: pickedDataTimeoutMs ?? dataTimeoutMs,
    prefetchData,
    prefetchGraceMs,
    endpoints: endpoints.map((endpoint: unknown, i) => resolveEndpoint(endpoint, `endpoints[${i}]`)),
    clock,
  };
}

/** The argument of `QueueEngine.peers`: the other processes' slots, all together. */
export function resolvePeerSlots(slots: unknown): number {
  return integer('peers', slots, 0);
}

const LINE_METHODS = [
  'sizeOf',
  'has',
  'oldest',
  'rank',
  'internalSizes',
  'enqueue',
  'insert',
  'remove',
  'take',
] as const;

/**
 * `QueueOptions.waitingLine`: a fresh memory line by default; a given one must look like a WaitingLine
 * and be empty. Apart from resolveQueueOptions, whose result stays plain data.
 */
export function resolveWaitingLine(line: unknown): WaitingLine {
  if (line === undefined) return new MemoryWaitingLine();
  const expected = 'a WaitingLine (size, iteration, ' + LINE_METHODS.join(', ') + ')';
  if (typeof line !== 'object' || line === null) throw new QueueOptionTypeError('waitingLine', expected, line);
  const candidate = line as Record<PropertyKey, unknown>;
  const methods = [...LINE_METHODS, Symbol.iterator] as const;
  if (typeof candidate['size'] !== 'number' || methods.some((m) => typeof candidate[m] !== 'function')) {
    throw new QueueOptionTypeError('waitingLine', expected, line);
  }
  const size = candidate['size'] as number;
  if (size !== 0) throw new QueueOptionRangeError('waitingLine', 'an empty line (size 0)', size);
  return line as WaitingLine;
}

function resolveEndpoint(endpoint: unknown, at: string): ResolvedEndpoint {
  if (!isRecord(endpoint)) throw new QueueOptionTypeError(at, 'an object', endpoint);
  const options = endpoint as EndpointOptions;
  const d = DEFAULT_ENDPOINT_OPTIONS;
  const batch = options.batch ?? d.batch;
  if (typeof batch !== 'boolean') throw new QueueOptionTypeError(`${at}.batch`, 'a boolean', batch);
  const maxBatchSize = integer(`${at}.maxBatchSize`, options.maxBatchSize ?? d.maxBatchSize, 1);
  const maxBatchDelayMs = nonNegative(`${at}.maxBatchDelayMs`, options.maxBatchDelayMs ?? d.maxBatchDelayMs);
  return {
    batch,
    maxBatchSize: batch ? maxBatchSize : 1,
    maxBatchDelayMs: batch ? maxBatchDelayMs : 0,
    concurrencyLimit:
      nullable(options.concurrencyLimit, d.concurrencyLimit, (v) => integer(`${at}.concurrencyLimit`, v, 1)) ??
      Infinity,
    expectedDurationMs: nullable(options.expectedDurationMs, d.expectedDurationMs, (v) =>
      nonNegative(`${at}.expectedDurationMs`, v),
    ),
    timeoutMs: nullable(options.timeoutMs, d.timeoutMs, (v) => positive(`${at}.timeoutMs`, v)),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `undefined` takes the default; `null` stays null; anything else is checked. */
function nullable<T>(value: T | null | undefined, fallback: T | null, check: (value: T) => T): T | null {
  if (value === undefined) return fallback;
  return value === null ? null : check(value);
}

function number(option: string, value: unknown, expected: string): number {
  if (typeof value !== 'number') throw new QueueOptionTypeError(option, expected, value);
  if (!Number.isFinite(value)) throw new QueueOptionRangeError(option, expected, value);
  return value;
}

function integer(option: string, value: unknown, min: number): number {
  const expected = `an integer ≥ ${min}`;
  const n = number(option, value, expected);
  if (!Number.isInteger(n) || n < min) throw new QueueOptionRangeError(option, expected, n);
  return n;
}

function positive(option: string, value: unknown, expected = 'a finite number > 0'): number {
  const n = number(option, value, expected);
  if (n <= 0) throw new QueueOptionRangeError(option, expected, n);
  return n;
}

function nonNegative(option: string, value: unknown): number {
  const expected = 'a finite number ≥ 0';
  const n = number(option, value, expected);
  if (n < 0) throw new QueueOptionRangeError(option, expected, n);
  return n;
}
