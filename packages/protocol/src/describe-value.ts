/**
 * Names a value for "expected X, got Y" messages, the one such helper of every package but the
 * dependency-free queue: short strings quoted, numbers and booleans as they print, arrays and typed
 * arrays with their size, else a kind.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** Unexpected value at the end of an exhaustive `switch`: a value from outside the types. */
export class UnexpectedValueError extends TypeError {
  override readonly name = 'UnexpectedValueError';
  readonly code = 'UNEXPECTED_VALUE';
}

/** Ends an exhaustive `switch`: the compiler proves it unreachable, and a value from outside the types throws. */
export function assertNever(value: never): never {
  throw new UnexpectedValueError(`expected no value here, got ${JSON.stringify(value)}`);
}

/** The entries that are not `undefined`, so that `{ ...defaults, ...dropUndefined(given) }` keeps the defaults. */
export function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
