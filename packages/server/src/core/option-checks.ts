import { ServerOptionRangeError } from '../errors.js';

/** Checks an integer option from `min` to `max`, both included. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ServerOptionRangeError(name, `an integer from ${min} to ${max}`, value);
  }
}

/** The queue options `serve()` and `createLocalServer()` share, checked the same way by both. */
export interface QueueOptionValues {
  concurrencyCount: unknown;
  maxSize: unknown;
  statusUpdateRate: unknown;
  dataTimeoutMs: unknown;
  handshakeTimeoutMs: unknown;
  closeGraceMs: unknown;
}

/** The queue options' defaults, one table for `DEFAULT_SERVE_OPTIONS` and `DEFAULT_LOCAL_SERVER_OPTIONS`. */
export const DEFAULT_QUEUE_OPTIONS = {
  concurrencyCount: 1,
  maxSize: null,
  statusUpdateRate: 'auto',
  dataTimeoutMs: 60_000,
  handshakeTimeoutMs: 5_000,
  closeGraceMs: 10_000,
} as const;

export function checkQueueOptions(o: QueueOptionValues): void {
  checkInt('concurrencyCount', o.concurrencyCount, 1, 1024);
  if (o.maxSize !== null) checkInt('maxSize', o.maxSize, 0);
  if (o.statusUpdateRate !== 'auto' && !(typeof o.statusUpdateRate === 'number' && o.statusUpdateRate > 0)) {
    throw new ServerOptionRangeError('statusUpdateRate', "'auto' or a number of seconds > 0", o.statusUpdateRate);
  }
  checkInt('handshakeTimeoutMs', o.handshakeTimeoutMs, 1);
  checkInt('dataTimeoutMs', o.dataTimeoutMs, 1);
  checkInt('closeGraceMs', o.closeGraceMs, 0);
}
