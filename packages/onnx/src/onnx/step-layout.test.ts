import { describe, expect, it } from 'vitest';
import { LayoutScratch, SCRATCH_MAX_BYTES, SCRATCH_MIN_BYTES, stepMajor } from './step-layout.js';
import { tensor } from './tensors.js';

describe('LayoutScratch', () => {
  it('gives one batch regions that do not overlap, and the next batch the same memory again', () => {
    const scratch = new LayoutScratch();
    const a = scratch.take('float32', 3) as Float32Array;
    const b = scratch.take('int64', 2);
    const c = scratch.take('uint8', 5) as Uint8Array;
    a.fill(1);
    (b as BigInt64Array).fill(7n);
    c.fill(9);
    expect([...a]).toEqual([1, 1, 1]);
    expect([...b]).toEqual([7n, 7n]);
    expect(b.byteOffset % 8).toBe(0);
    scratch.reset();
    const again = scratch.take('float32', 3);
    expect(again.buffer).toBe(a.buffer);
    expect(again.byteOffset).toBe(a.byteOffset);
  });

  it('grows when outgrown, leaving what the batch took where it is', () => {
    const scratch = new LayoutScratch();
    const small = (scratch.take('float32', 4) as Float32Array).fill(5);
    const large = scratch.take('float32', SCRATCH_MIN_BYTES / 4);
    expect(large.buffer).not.toBe(small.buffer);
    expect([...small]).toEqual([5, 5, 5, 5]);
    expect(scratch.take('float32', SCRATCH_MAX_BYTES).buffer).not.toBe(large.buffer);
  });
});

describe('stepMajor', () => {
  it('lays the steps out the same in scratch memory as in fresh memory', () => {
    const seq = (base: number, steps: number) =>
      tensor(
        'float32',
        Float32Array.from({ length: steps * 2 }, (_, i) => base + i),
        [steps, 1, 2],
      );
    const tensors = [seq(0, 3), seq(100, 2), seq(200, 1)];
    const scratch = new LayoutScratch();
    (scratch.take('float32', 1) as Float32Array).fill(-1);
    const fresh = stepMajor('x', tensors, [3, 2, 1], [0, 1, 2, 3], 0);
    const reused = stepMajor('x', tensors, [3, 2, 1], [0, 1, 2, 3], 0, scratch);
    for (let t = 0; t < 3; t++) expect(reused.at(t)).toEqual(fresh.at(t));
    expect([...reused.at(2).data]).toEqual([4, 5]);
  });
});
