import { describe, expect, it } from 'vitest';
import { TensorError } from './errors.js';
import { tensor } from './tensors.js';

describe('tensor', () => {
  it('checks the array type and the element count', () => {
    expect(tensor('int64', BigInt64Array.of(16000n), []).dims).toEqual([]);
    expect(() => tensor('float32', new Int32Array(3), [3])).toThrow(
      /float32 tensor needs a Float32Array, got a Int32Array/,
    );
    expect(() => tensor('float32', new Float32Array(5), [2, 3])).toThrow(/needs 6 elements, got 5/);
    expect(() => tensor('float32', new Float32Array(0), [-1])).toThrow(TensorError);
  });
});
