import { describe, expect, it } from 'vitest';
import { assertNever, describeValue, dropUndefined, UnexpectedValueError } from './describe-value.js';

describe('describeValue', () => {
  it.each([
    [null, 'null'],
    [[1, 2], 'an array of 2'],
    [new Float32Array(3), 'a Float32Array of 12 bytes'],
    ['yes', '"yes"'],
    ['x'.repeat(41), 'a long string'],
    [1.5, '1.5'],
    [false, 'false'],
    [Number.NaN, 'NaN'],
    [undefined, 'undefined'],
    [{}, 'an object'],
    [() => 1, 'a function'],
  ])('%j reads as %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('names the remaining kinds by their type', () => {
    expect(describeValue(10n)).toBe('bigint');
    expect(describeValue(Symbol('s'))).toBe('symbol');
  });
});

describe('assertNever', () => {
  it('throws a coded error for a value outside the types', () => {
    expect(() => assertNever('surprise' as never)).toThrow(
      expect.objectContaining({ name: 'UnexpectedValueError', code: 'UNEXPECTED_VALUE' }),
    );
    expect(() => assertNever(1 as never)).toThrow(UnexpectedValueError);
  });
});

describe('dropUndefined', () => {
  it('keeps every entry but the undefined ones', () => {
    expect(dropUndefined({ a: 1, b: undefined, c: null })).toEqual({ a: 1, c: null });
  });
});
