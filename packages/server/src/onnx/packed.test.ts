import { describe, expect, it } from 'vitest';
import { packBatch } from './packed.js';
import { tensor } from './tensors.js';
import type { Feeds } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);
const sr = () => tensor('int64', BigInt64Array.of(16000n), []);

describe('packBatch', () => {
  it('copies each input of every request into one buffer, each tensor a view into it', () => {
    const batch: Feeds[] = [
      { input: f32([1, 2, 3, 4], [2, 1, 2]), sr: sr() },
      { input: f32([], [0, 1, 2]), sr: sr() },
      { input: f32([5, 6], [1, 1, 2]), sr: sr() },
    ];
    const { batch: packed, buffers } = packBatch(batch);
    expect(packed).toEqual(batch);
    expect(buffers).toHaveLength(2);
    expect(new Set(packed.map((feeds) => feeds.input?.data.buffer))).toEqual(new Set([buffers[0]]));
    expect([...new Float32Array(buffers[0] as ArrayBuffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...new BigInt64Array(buffers[1] as ArrayBuffer)]).toEqual([16000n, 16000n, 16000n]);
    // Posted with its buffers transferred, the batch arrives whole.
    expect(structuredClone(packed, { transfer: buffers })).toEqual(batch);
  });

  it('keeps requests with other inputs, or another type under one name, apart', () => {
    const batch: Feeds[] = [
      { x: f32([1], [1]) },
      { y: f32([2, 3], [2]) },
      { x: tensor('int32', Int32Array.of(4), [1]), y: f32([5], [1]) },
      {},
    ];
    const { batch: packed, buffers } = packBatch(batch);
    expect(packed).toEqual(batch);
    expect(buffers.map((b) => b.byteLength)).toEqual([4, 12, 4]);
    expect(packBatch([])).toEqual({ batch: [], buffers: [] });
  });

  it('copies views into a larger buffer, and leaves the originals alone', () => {
    const pool = Float32Array.of(1, 2, 3, 4);
    const batch: Feeds[] = [
      { x: tensor('float32', pool.subarray(0, 2), [2]) },
      { x: tensor('float32', pool.subarray(3), [1]) },
    ];
    const { batch: packed, buffers } = packBatch(batch);
    expect(buffers).toHaveLength(1);
    expect(buffers[0]).not.toBe(pool.buffer);
    (packed[0]?.x?.data as Float32Array)[0] = 9;
    expect([...pool]).toEqual([1, 2, 3, 4]);
  });

  it('copies nothing when the tensors already fill one buffer exactly, in any order', () => {
    const whole = Float32Array.of(1, 2, 3, 4, 5);
    const batch: Feeds[] = [
      { x: tensor('float32', whole.subarray(3), [2]) },
      { x: tensor('float32', whole.subarray(0, 3), [3]) },
    ];
    const { batch: packed, buffers } = packBatch(batch);
    expect(buffers).toEqual([whole.buffer]);
    expect(packed[0]?.x?.data).toBe(batch[0]?.x?.data);
    // Overlapping views, or one tensor twice, are copied: transferring their buffer would lose data.
    const twice = tensor('float32', Float32Array.of(7), [1]);
    const repeated = packBatch([{ x: twice }, { x: twice }]);
    expect(repeated.buffers[0]).not.toBe(twice.data.buffer);
    expect(repeated.batch).toEqual([{ x: twice }, { x: twice }]);
  });

  it('leaves tensors on shared memory where they are', () => {
    const shared = new Int32Array(new SharedArrayBuffer(4));
    const { batch, buffers } = packBatch([{ barrier: tensor('int32', shared, [1]), x: f32([1], [1]) }]);
    expect(batch[0]?.barrier?.data).toBe(shared);
    expect(buffers).toHaveLength(1);
  });

  it('refuses a tensor whose data does not fill its dims', () => {
    expect(() => packBatch([{ x: { type: 'float32', data: new Float32Array(5), dims: [2, 3] } }])).toThrow(
      'x: a tensor of dims [2, 3] needs 6 elements, got 5',
    );
  });
});
