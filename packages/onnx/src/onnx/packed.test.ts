import { describe, expect, it } from 'vitest';
import { SEND_WHOLE_BYTES, columnNumbers, decodeBatch, encodeBatch, feedsRunner } from './packed.js';
import type { WireBatch } from './packed.js';
import { tensor } from './tensors.js';
import type { Feeds } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);
const sr = () => tensor('int64', BigInt64Array.of(16000n), []);

/** Encoded, posted (structured clone, buffers transferred) and decoded, as a batch crosses threads. */
function crossed(batch: readonly Feeds[]): Feeds[] {
  const { wire, buffers } = encodeBatch(batch);
  return decodeBatch(structuredClone(wire, { transfer: buffers }));
}

describe('encodeBatch', () => {
  it('puts each input of every request in one column: one buffer, the dims in one array', () => {
    const batch: Feeds[] = [
      { input: f32([1, 2, 3, 4], [2, 1, 2]), sr: sr() },
      { input: f32([], [0, 1, 2]), sr: sr() },
      { input: f32([5, 6], [1, 1, 2]), sr: sr() },
    ];
    const { wire, buffers } = encodeBatch(batch);
    expect(wire.size).toBe(3);
    expect(wire.columns.map(({ name, type, shapes }) => ({ name, type, shapes }))).toEqual([
      { name: 'input', type: 'float32', shapes: [3, 2, 1, 2, 3, 0, 1, 2, 3, 1, 1, 2] },
      { name: 'sr', type: 'int64', shapes: [0, 0, 0] },
    ]);
    expect(buffers).toEqual(wire.columns.map((c) => (c.data as Float32Array).buffer));
    expect([...(wire.columns[0]?.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...(wire.columns[1]?.data as BigInt64Array)]).toEqual([16000n, 16000n, 16000n]);
    expect(crossed(batch)).toEqual(batch);
  });

  it('keeps requests with other inputs, or another type under one name, apart', () => {
    const batch = (): Feeds[] => [
      { x: f32([1], [1]) },
      { y: f32([2, 3], [2]) },
      { x: tensor('int32', Int32Array.of(4), [1]), y: f32([5], [1]) },
      {},
    ];
    const { wire } = encodeBatch(batch());
    expect(wire.columns.map(({ name, type, shapes }) => [name, type, shapes])).toEqual([
      ['x', 'float32', [1, 1, -1, -1, -1]],
      ['y', 'float32', [-1, 1, 2, 1, 1, -1]],
      ['x', 'int32', [-1, -1, 1, 1, -1]],
    ]);
    // A lone tensor fills its buffer: it is transferred as it is, so compare with a fresh batch.
    expect(crossed(batch())).toEqual(batch());
    expect(crossed([])).toEqual([]);
  });

  it('copies views into a larger buffer, and leaves the originals alone', () => {
    const pool = Float32Array.of(1, 2, 3, 4);
    const batch: Feeds[] = [
      { x: tensor('float32', pool.subarray(0, 2), [2]) },
      { x: tensor('float32', pool.subarray(3), [1]) },
    ];
    const { wire, buffers } = encodeBatch(batch);
    expect(buffers).toHaveLength(1);
    expect(buffers[0]).not.toBe(pool.buffer);
    (wire.columns[0]?.data as Float32Array)[0] = 9;
    expect([...pool]).toEqual([1, 2, 3, 4]);
  });

  it('copies nothing when the tensors already fill one buffer exactly, in request order', () => {
    const whole = Float32Array.of(1, 2, 3, 4, 5);
    const batch: Feeds[] = [
      { x: tensor('float32', whole.subarray(0, 3), [3]) },
      { x: tensor('float32', whole.subarray(3), [2]) },
    ];
    const { wire, buffers } = encodeBatch(batch);
    expect(buffers).toEqual([whole.buffer]);
    expect((wire.columns[0]?.data as Float32Array).buffer).toBe(whole.buffer);
    // Out of order, overlapping, or one tensor twice: copied (transferring the buffer would lose data).
    expect(encodeBatch([...batch].reverse()).buffers[0]).not.toBe(whole.buffer);
    const twice = tensor('float32', Float32Array.of(7), [1]);
    const repeated = encodeBatch([{ x: twice }, { x: twice }]);
    expect(repeated.buffers[0]).not.toBe(twice.data.buffer);
    expect(decodeBatch(repeated.wire)).toEqual([{ x: twice }, { x: twice }]);
  });

  it('leaves tensors on shared memory where they are, in a column of arrays', () => {
    const shared = new Int32Array(new SharedArrayBuffer(4));
    const { wire, buffers } = encodeBatch([
      { barrier: tensor('int32', shared, [1]), x: f32([1], [1]) },
      { barrier: tensor('int32', shared, [1]) },
    ]);
    expect(wire.columns.map((c) => [c.name, c.shapes])).toEqual([
      ['barrier', [1, 1, 1, 1]],
      ['x', [1, 1, -1]],
    ]);
    const [first, second] = wire.columns[0]?.data as Int32Array[];
    expect(first).toBe(shared);
    expect(second).toBe(shared);
    expect(buffers).toHaveLength(1);
    expect(decodeBatch(wire).map((feeds) => feeds.barrier?.data)).toEqual([shared, shared]);
  });

  it('sends a large tensor that fills its buffer as it is, in a column of its own', () => {
    const large = () => new Float32Array(SEND_WHOLE_BYTES / 4);
    const [a, b] = [large(), large()];
    const view = large().subarray(1);
    const batch = [
      { x: tensor('float32', a, [a.length]) },
      { x: tensor('float32', b, [b.length]) },
      { x: tensor('float32', view, [view.length]) },
    ];
    const { wire, buffers } = encodeBatch(batch);
    expect(wire.columns.map((c) => c.shapes)).toEqual([
      [1, a.length, 1, b.length, -1],
      [-1, -1, 1, view.length],
    ]);
    expect(wire.columns[0]?.data).toEqual([a, b]);
    expect((wire.columns[0]?.data as Float32Array[])[0]).toBe(a);
    const copied = wire.columns[1]?.data as Float32Array;
    expect(buffers).toEqual([a.buffer, b.buffer, copied.buffer]);
    expect(copied.buffer).not.toBe(view.buffer);
    // Each whole-sent tensor comes back as its own array, not a view of it.
    const decoded = decodeBatch(wire);
    expect(decoded[0]?.x?.data).toBe(a);
    expect(decoded[1]?.x?.data).toBe(b);
  });

  it('refuses a tensor whose data does not fill its dims', () => {
    expect(() => encodeBatch([{ x: { type: 'float32', data: new Float32Array(5), dims: [2, 3] } }])).toThrow(
      'x: a tensor of dims [2, 3] needs 6 elements, got 5',
    );
  });
});

describe('decodeBatch', () => {
  const column = (shapes: number[], length: number): WireBatch => ({
    size: 2,
    columns: [{ name: 'x', type: 'float32', shapes, data: new Float32Array(length) }],
  });

  it('gives each tensor as a view into its column', () => {
    const [a, b] = decodeBatch(column([1, 2, 2, 1, 3], 5));
    expect(a?.x?.dims).toEqual([2]);
    expect(b?.x?.dims).toEqual([1, 3]);
    expect(a?.x?.data.buffer).toBe(b?.x?.data.buffer);
  });

  it('refuses shapes that do not match the data', () => {
    const message = "x: the batch's shapes do not match its";
    expect(() => decodeBatch(column([1, 2, 1, 2], 5))).toThrow(message);
    expect(() => decodeBatch(column([1, 2, 1, 4], 5))).toThrow(message);
    expect(() => decodeBatch(column([1, 2, 1], 2))).toThrow(message);
    expect(() => decodeBatch(column([1, 2, -1, 7], 2))).toThrow(message);
  });

  it('refuses a column of arrays whose arrays do not match its shapes, one for one', () => {
    const parts = (shapes: number[], ...lengths: number[]): WireBatch => ({
      size: 2,
      columns: [{ name: 'x', type: 'float32', shapes, data: lengths.map((n) => new Float32Array(n)) }],
    });
    expect(decodeBatch(parts([1, 2, 1, 3], 2, 3)).map((f) => f.x?.dims)).toEqual([[2], [3]]);
    const message = "x: the batch's shapes do not match its";
    // An array too long or too short, one array too many or too few.
    expect(() => decodeBatch(parts([1, 2, 1, 3], 2, 4))).toThrow(`${message} 2 arrays`);
    expect(() => decodeBatch(parts([1, 2, 1, 3], 1, 3))).toThrow(message);
    expect(() => decodeBatch(parts([1, 2, -1], 2, 3))).toThrow(message);
    expect(() => decodeBatch(parts([1, 2, 1, 3], 2))).toThrow(message);
  });
});

describe('columnNumbers', () => {
  it('reads one output per request as plain numbers, whatever columns carry it', () => {
    const large = Float32Array.from({ length: SEND_WHOLE_BYTES / 4 }, (_, i) => i / 4);
    const largeNumbers = Array.from(large); // the transfer below empties `large`
    const results: Feeds[] = [
      { p: f32([0.25, 0.5], [2, 1]), other: f32([9], [1]) },
      { other: f32([9], [1]) },
      { p: tensor('float32', large, [large.length]) },
      { p: tensor('int64', BigInt64Array.of(3n, 4n), [2]) },
    ];
    const { wire, buffers } = encodeBatch(results);
    const crossedWire = structuredClone(wire, { transfer: buffers });
    expect(crossedWire.columns.filter((c) => c.name === 'p')).toHaveLength(3);
    const rows = columnNumbers(crossedWire, 'p');
    expect(rows).toEqual([[0.25, 0.5], [], largeNumbers, [3, 4]]);
    // What decoding each request's tensor and reading its data gives.
    expect(rows).toEqual(decodeBatch(crossedWire).map((feeds) => (feeds.p ? Array.from(feeds.p.data, Number) : [])));
  });

  it('refuses shapes that do not match the data, as decodeBatch does', () => {
    const wire = (shapes: number[], length: number): WireBatch => ({
      size: 2,
      columns: [{ name: 'x', type: 'float32', shapes, data: new Float32Array(length) }],
    });
    const message = "x: the batch's shapes do not match its";
    expect(columnNumbers(wire([1, 2, 2, 1, 3], 5), 'x')).toEqual([
      [0, 0],
      [0, 0, 0],
    ]);
    for (const [shapes, length] of [
      [[1, 2, 1, 2], 5],
      [[1, 2, 1, 4], 5],
      [[1, 2, 1], 2],
      [[1, 2, -1, 7], 2],
    ] as const) {
      expect(() => columnNumbers(wire([...shapes], length), 'x')).toThrow(message);
    }
  });
});

describe('feedsRunner', () => {
  it('sends batches encoded and hands back the results decoded', async () => {
    const seen: WireBatch[] = [];
    const echo = async (batch: WireBatch) => (seen.push(batch), batch);
    const runner = feedsRunner({ run: echo, runSteps: echo });
    const batch = [{ x: f32([1, 2], [2]) }, { x: f32([3], [1]) }];
    expect(await runner.run(batch)).toEqual(batch);
    expect(await runner.runSteps(batch, { stepInputs: ['x'], carry: {} })).toEqual(batch);
    expect(seen.map((wire) => wire.columns.length)).toEqual([1, 1]);
    // Encoded by the caller: sent as it is, and handed back as it came.
    const { wire, buffers } = encodeBatch(batch);
    expect(await runner.runStepsEncoded(wire, { stepInputs: ['x'], carry: {} }, buffers)).toBe(wire);
  });
});
