import { describe, expect, it } from 'vitest';
import { ARRAY_TYPES } from '@crowdserve/onnx/node';
import { TensorInputError, tensorFromJson, tensorToJson } from './json-tensor.js';

describe('tensorFromJson / tensorToJson', () => {
  it('takes dims from the nesting and round-trips', () => {
    const t = tensorFromJson(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      'float32',
      'x',
      ARRAY_TYPES,
    );
    expect(t.dims).toEqual([2, 3]);
    expect([...(t.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensorToJson(t)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('fills int64 from integers and gives numbers back; bool from booleans', () => {
    const t = tensorFromJson([7, -2], 'int64', 'ids', ARRAY_TYPES);
    expect(t.data).toEqual(new BigInt64Array([7n, -2n]));
    expect(tensorToJson(t)).toEqual([7, -2]);
    expect(tensorToJson(tensorFromJson([true, false], 'bool', 'mask', ARRAY_TYPES))).toEqual([true, false]);
  });

  it('refuses ragged arrays, non-numbers and fractional integers, naming the input', () => {
    expect(() => tensorFromJson([[1], [2, 3]], 'float32', 'x', ARRAY_TYPES)).toThrow(TensorInputError);
    expect(() => tensorFromJson([[1], [2, 3]], 'float32', 'x', ARRAY_TYPES)).toThrow(/^x: expected a rectangular/);
    expect(() => tensorFromJson(['a'], 'float32', 'x', ARRAY_TYPES)).toThrow(/^x: expected numbers, got "a"/);
    expect(() => tensorFromJson([1.5], 'int64', 'ids', ARRAY_TYPES)).toThrow(/^ids: expected integers, got 1.5/);
  });
});
