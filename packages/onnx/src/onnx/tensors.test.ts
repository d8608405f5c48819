import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TensorError } from './errors.js';
import {
  arrayOf,
  copyElements,
  groupByShape,
  newArray,
  splitOutputs,
  stackFeeds,
  tensor,
  transferablesOf,
} from './tensors.js';
import type { Feeds } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);

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

describe('stackFeeds', () => {
  it('concatenates along axis 0 and counts each request', () => {
    const { feeds, counts } = stackFeeds([{ x: f32([1, 2], [1, 2]) }, { x: f32([3, 4, 5, 6], [2, 2]) }]);
    expect(counts).toEqual([1, 2]);
    expect(feeds.x?.dims).toEqual([3, 2]);
    expect([...(feeds.x?.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('concatenates along another axis (a [2, B, 2] state) and passes shared inputs once', () => {
    const sr = () => tensor('int64', BigInt64Array.of(16000n), []);
    const { feeds, counts } = stackFeeds(
      [
        { state: f32([1, 2, 3, 4], [2, 1, 2]), sr: sr() },
        { state: f32([5, 6, 7, 8], [2, 1, 2]), sr: sr() },
      ],
      { state: 1, sr: null },
    );
    expect(counts).toEqual([1, 1]);
    expect(feeds.state?.dims).toEqual([2, 2, 2]);
    expect([...(feeds.state?.data as Float32Array)]).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
    expect(feeds.sr?.data).toEqual(BigInt64Array.of(16000n));
  });

  it('refuses what cannot stack, saying why', () => {
    expect(() => stackFeeds([])).toThrow(/empty batch/);
    expect(() => stackFeeds([{ x: f32([1], [1, 1]) }, { y: f32([1], [1, 1]) }])).toThrow(/request 1 has inputs \[y\]/);
    expect(() => stackFeeds([{ x: f32([1, 2], [1, 2]) }, { x: f32([1, 2, 3], [1, 3]) }])).toThrow(
      /float32\[1, 3\] cannot stack with float32\[1, 2\] along axis 0/,
    );
    expect(() =>
      stackFeeds(
        [
          { s: f32([1], [1]), x: f32([0], [1]) },
          { s: f32([2], [1]), x: f32([0], [1]) },
        ],
        { s: null },
      ),
    ).toThrow(/shared input s differs/);
    expect(() => stackFeeds([{ s: f32([1], [1]) }], { s: null })).toThrow(/every input is shared/);
    expect(() => stackFeeds([{ a: f32([1], [1, 1]), b: f32([1, 2], [2, 1]) }])).toThrow(/input b disagrees/);
  });
});

describe('splitOutputs', () => {
  it('splits along each output axis and copies shared outputs, each piece in its own buffer', () => {
    const outputs: Feeds = {
      y: f32([1, 2, 3, 4, 5, 6], [3, 2]),
      h: f32([1, 2, 3, 10, 20, 30], [2, 3]),
      t: f32([7], [1]),
    };
    const [a, b] = splitOutputs(outputs, [1, 2], { h: 1, t: null });
    expect([...(a?.y?.data as Float32Array)]).toEqual([1, 2]);
    expect(b?.y?.dims).toEqual([2, 2]);
    expect([...(a?.h?.data as Float32Array)]).toEqual([1, 10]);
    expect([...(b?.h?.data as Float32Array)]).toEqual([2, 3, 20, 30]);
    expect(b?.h?.dims).toEqual([2, 2]);
    expect(a?.t?.data).not.toBe(b?.t?.data);
    expect(a?.y?.data.buffer).not.toBe(outputs.y?.data.buffer);
  });

  it('refuses an output whose batch axis does not add up', () => {
    expect(() => splitOutputs({ y: f32([1, 2], [2, 1]) }, [1, 2])).toThrow(/expected 3 along axis 0/);
  });

  it('undoes stackFeeds for any batch axis and any request sizes', () => {
    const request = fc
      .record({ count: fc.integer({ min: 0, max: 3 }), seed: fc.integer({ min: 0, max: 1000 }) })
      .map(({ count, seed }) => ({ count, seed }));
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 2 }),
        (requests, axis) => {
          const shape = [2, 3, 2];
          const batch: Feeds[] = requests.map(({ count, seed }) => {
            const dims = [...shape];
            dims[axis] = count;
            const size = dims.reduce((a, b) => a * b, 1);
            return {
              x: f32(
                Array.from({ length: size }, (_, i) => seed * 100 + i),
                dims,
              ),
            };
          });
          const { feeds, counts } = stackFeeds(batch, { x: axis });
          const back = splitOutputs(feeds, counts, { x: axis });
          back.forEach((feedsBack, i) => {
            expect(feedsBack.x?.dims).toEqual(batch[i]?.x?.dims);
            expect([...(feedsBack.x?.data as Float32Array)]).toEqual([...(batch[i]?.x?.data as Float32Array)]);
          });
        },
      ),
    );
  });
});

describe('groupByShape', () => {
  it('groups requests whose shapes match except on the batch axis', () => {
    const batch: Feeds[] = [
      { x: f32(new Array(6).fill(0), [1, 6]) },
      { x: f32(new Array(4).fill(0), [1, 4]) },
      { x: f32(new Array(12).fill(0), [2, 6]) },
      { x: tensor('int32', new Int32Array(6), [1, 6]) },
    ];
    expect(groupByShape(batch)).toEqual([[0, 2], [1], [3]]);
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
