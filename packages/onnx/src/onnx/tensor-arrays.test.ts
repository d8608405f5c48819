import { describe, expect, it } from 'vitest';
import { arrayOf, copyElements, newArray, transferablesOf } from './tensor-arrays.js';
import { tensor } from './tensors.js';

describe('newArray and arrayOf', () => {
  it('make zeroed arrays of the class and length asked for, each over an ArrayBuffer that holds exactly it', () => {
    for (const [made, Kind, bytes] of [
      [newArray(Float32Array, 3), Float32Array, 12],
      [newArray(BigInt64Array, 8), BigInt64Array, 64],
      [arrayOf('float16', 5), Uint16Array, 10],
      [arrayOf('bool', 0), Uint8Array, 0],
    ] as const) {
      expect(made).toBeInstanceOf(Kind);
      expect(made.byteOffset).toBe(0);
      expect(made.buffer.byteLength).toBe(bytes);
      expect(Array.from(made as ArrayLike<number | bigint>, Number).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('copyElements', () => {
  it('copies a run of elements between arrays of any class, short or long, leaving the rest alone', () => {
    for (const Kind of [Float32Array, Float64Array, Int32Array, Uint8Array]) {
      for (const length of [1, 3, 64, 65, 200]) {
        const source = new Kind(length + 10);
        for (let i = 0; i < source.length; i++) source[i] = i + 1;
        const target = new Kind(length + 20);
        copyElements(source, 5, length, target, 7);
        expect(Array.from(target.subarray(7, 7 + length))).toEqual(Array.from(source.subarray(5, 5 + length)));
        expect(target.subarray(0, 7).every((v) => v === 0)).toBe(true);
        expect(target.subarray(7 + length).every((v) => v === 0)).toBe(true);
      }
    }
    const big = BigInt64Array.of(1n, 2n, 3n, 4n);
    const into = new BigInt64Array(4);
    copyElements(big, 1, 2, into, 0);
    expect(Array.from(into)).toEqual([2n, 3n, 0n, 0n]);
    // Float32 into another class takes the general loop.
    const wide = new Float64Array(2);
    copyElements(Float32Array.of(0.5, 1.5), 0, 2, wide, 0);
    expect(Array.from(wide)).toEqual([0.5, 1.5]);
  });
});

describe('transferablesOf', () => {
  it('lists each whole, unshared buffer once', () => {
    const whole = new Float32Array(4);
    const view = new Float32Array(new ArrayBuffer(32), 8, 2);
    const shared = new Float32Array(new SharedArrayBuffer(8));
    const buffers = transferablesOf([
      { a: tensor('float32', whole, [4]), b: tensor('float32', view, [2]) },
      { a: tensor('float32', whole, [4]), c: tensor('float32', shared, [2]) },
    ]);
    expect(buffers).toEqual([whole.buffer]);
  });
});
