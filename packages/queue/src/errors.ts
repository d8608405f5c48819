/** Stable code of every invalid-option error; code that reacts to one tests this, never the text. */
export const INVALID_OPTION = 'INVALID_OPTION';

/** An option of the wrong type (`concurrencyCount: '2'`). `option` names it (`endpoints[1].batch`). */
export class QueueOptionTypeError extends TypeError {
  override readonly name = 'QueueOptionTypeError';
  readonly code = INVALID_OPTION;
  readonly option: string;

  constructor(option: string, expected: string, got: unknown) {
    super(`${option}: expected ${expected}, got ${describe(got)}`);
    this.option = option;
  }
}

/** An option of the right type but out of range (`concurrencyCount: 0`). */
export class QueueOptionRangeError extends RangeError {
  override readonly name = 'QueueOptionRangeError';
  readonly code = INVALID_OPTION;
  readonly option: string;

  constructor(option: string, expected: string, got: unknown) {
    super(`${option}: expected ${expected}, got ${describe(got)}`);
    this.option = option;
  }
}

/** Names a value for "expected X, got Y" messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 20 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
