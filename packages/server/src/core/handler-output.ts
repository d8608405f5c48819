import { describeValue, type ProgressUnit } from '@crowdserve/protocol';
import type { ProgressUpdate } from '../endpoint.js';

/** The message a client sees for a thrown value: the error's message, never its stack. */
export function errorMessage(error: unknown): string {
  // Whatever was thrown, reading it must not throw in turn (a getter, a Proxy): the slot would never free.
  try {
    if (error instanceof Error) return String(error.message || error.name);
    if (typeof error === 'string') return error;
    return `handler failed: ${JSON.stringify(error)}`;
  } catch {
    return 'handler failed';
  }
}

/** Thrown when a handler returns something that is not an output `data` array. */
export class HandlerOutputError extends Error {
  override readonly name = 'HandlerOutputError';
  readonly code = 'BAD_HANDLER_OUTPUT';
}

/**
 * Outputs go out as JSON: one that cannot (a BigInt, a cycle, data nested deeper than the stack, e.g.
 * a hostile input echoed back) fails its job here, instead of throwing later where no one answers it.
 */
function checkJson(value: unknown[], apiName: string): unknown[] {
  try {
    JSON.stringify(value);
  } catch (cause) {
    throw new HandlerOutputError(`${apiName} returned an output that cannot be sent as JSON (${errorMessage(cause)})`, {
      cause,
    });
  }
  return value;
}

/** A handler's output must be the output `data` array. */
export function checkOutput(value: unknown, apiName: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new HandlerOutputError(`${apiName} returned ${describeValue(value)}; expected an array of outputs`);
  }
  return checkJson(value, apiName);
}

/** A batched handler's output must hold one output `data` array per request. */
export function checkBatchOutput(value: unknown, size: number, apiName: string): unknown[][] {
  if (!Array.isArray(value) || value.length !== size) {
    throw new HandlerOutputError(
      `${apiName} returned ${describeValue(value)} for a batch of ${size}; expected one output array per request`,
    );
  }
  return value.map((item, i) => {
    if (!Array.isArray(item)) {
      throw new HandlerOutputError(
        `${apiName} returned ${describeValue(item)} for request ${i} of its batch; expected an array of outputs`,
      );
    }
    return checkJson(item, apiName);
  });
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, 4096) : null);

/** Turns whatever a handler passed to `progress()` into the wire's `progress_data`. */
export function toProgressData(update: ProgressUpdate): ProgressUnit[] {
  if (typeof update === 'number') return [{ index: null, length: null, unit: null, progress: num(update), desc: null }];
  const units = Array.isArray(update) ? update : [update];
  return units.map((u) => ({
    index: num(u.index),
    length: num(u.length),
    unit: str(u.unit),
    progress: num(u.progress),
    desc: str(u.desc),
  }));
}
