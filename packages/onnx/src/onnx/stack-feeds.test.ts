import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupByShape, splitOutputs, stackFeeds } from './stack-feeds.js';
import { tensor } from './tensors.js';
import type { Feeds } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);

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
