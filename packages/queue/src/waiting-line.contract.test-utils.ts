import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobId } from './types.js';
import type { WaitingEntry, WaitingLine } from './waiting-line.js';

/**
 * The behaviour every WaitingLine must show, as a suite any implementation runs:
 * `describeWaitingLine('RedisWaitingLine', () => makeOne())`. `make` returns a new, empty line each time.
 */
export function describeWaitingLine(name: string, make: () => WaitingLine | Promise<WaitingLine>): void {
  const lineOf = async (...jobs: [string, number][]): Promise<WaitingLine> => {
    const line = await make();
    jobs.forEach(([jobId, fnIndex], i) => line.enqueue({ jobId, fnIndex, joinedAt: i }));
    return line;
  };

  describe(`WaitingLine contract: ${name}`, () => {
    it('starts empty', async () => {
      const line = await make();
      expect([line.size, line.sizeOf(0), [...line], line.oldest(() => true), line.rank('a')]).toEqual([
        0,
        0,
        [],
        undefined,
        undefined,
      ]);
    });

    it('keeps join order, sizes and ranks', async () => {
      const line = await lineOf(['a', 0], ['b', 1], ['c', 0]);
      expect(ids(line)).toEqual(['a', 'b', 'c']);
      expect([line.size, line.sizeOf(0), line.sizeOf(1), line.sizeOf(7)]).toEqual([3, 2, 1, 0]);
      expect([line.rank('a'), line.rank('b'), line.rank('c'), line.rank('x')]).toEqual([0, 1, 2, undefined]);
      expect([line.has('b'), line.has('x')]).toEqual([true, false]);
      // Iterable again and again.
      expect(ids(line)).toEqual(['a', 'b', 'c']);
    });

    it('refuses an id that is already waiting, and keeps the line as it was', async () => {
      const line = await lineOf(['a', 0]);
      expect(() => line.enqueue({ jobId: 'a', fnIndex: 1, joinedAt: 5 })).toThrow();
      expect([line.size, line.sizeOf(1), ids(line)]).toEqual([1, 0, ['a']]);
    });

    it('removes from anywhere, and everyone behind moves up', async () => {
      const line = await lineOf(['a', 0], ['b', 1], ['c', 0], ['d', 1]);
      expect(line.remove('b')).toEqual({ jobId: 'b', fnIndex: 1, joinedAt: 1 });
      expect(line.remove('b')).toBeUndefined();
      expect(ids(line)).toEqual(['a', 'c', 'd']);
      expect(line.rank('d')).toBe(2);
      line.remove('a');
      line.remove('d');
      expect([ids(line), line.sizeOf(1)]).toEqual([['c'], 0]);
      line.enqueue({ jobId: 'e', fnIndex: 1, joinedAt: 9 });
      expect(ids(line)).toEqual(['c', 'e']);
      expect(ids(line.take(1, 5))).toEqual(['e']);
    });

    it('takes an endpoint batch from anywhere in the line, oldest first', async () => {
      const line = await lineOf(['a1', 0], ['b1', 1], ['a2', 0], ['b2', 1], ['a3', 0], ['a4', 0]);
      expect(ids(line.take(0, 3))).toEqual(['a1', 'a2', 'a3']);
      expect([ids(line), line.sizeOf(0)]).toEqual([['b1', 'b2', 'a4'], 1]);
      expect(line.take(0, 0)).toEqual([]);
      expect(ids(line.take(0, 3))).toEqual(['a4']);
      expect(line.take(0, 3)).toEqual([]);
      expect(ids(line)).toEqual(['b1', 'b2']);
    });

    it("puts a job back in front of another, in its endpoint's order too", async () => {
      const line = await lineOf(['a1', 0], ['b1', 1], ['a2', 0], ['b2', 1]);
      const [a1] = line.take(0, 1);
      line.insert(a1 as WaitingEntry, 'b1');
      expect([ids(line), line.rank('a2'), line.sizeOf(0)]).toEqual([['a1', 'b1', 'a2', 'b2'], 2, 2]);
      expect(line.oldest(() => true)?.jobId).toBe('a1');
      line.remove('b2');
      line.insert({ jobId: 'b2', fnIndex: 1, joinedAt: 3 }, 'a2');
      expect(ids(line)).toEqual(['a1', 'b1', 'b2', 'a2']);
      expect(line.oldest((e) => e === 1)?.jobId).toBe('b1');
      expect(ids(line.take(1, 5))).toEqual(['b1', 'b2']);
      line.insert({ jobId: 'z', fnIndex: 2, joinedAt: 9 }, undefined);
      expect(() => line.insert({ jobId: 'z', fnIndex: 2, joinedAt: 9 }, 'a1')).toThrow();
      expect([ids(line), ids(line.take(0, 5))]).toEqual([
        ['a1', 'a2', 'z'],
        ['a1', 'a2'],
      ]);
      line.insert({ jobId: 'y', fnIndex: 2, joinedAt: 8 }, 'z');
      expect([ids(line), line.oldest(() => true)?.jobId]).toEqual([['y', 'z'], 'y']);
    });

    it('finds the oldest job among eligible endpoints, and leaves it in place', async () => {
      const line = await lineOf(['a1', 0], ['b1', 1], ['c1', 2], ['a2', 0]);
      expect(line.oldest(() => true)?.jobId).toBe('a1');
      expect(line.oldest((e) => e !== 0)?.jobId).toBe('b1');
      expect(line.oldest((e) => e === 2)?.jobId).toBe('c1');
      expect(line.oldest(() => false)).toBeUndefined();
      expect(line.size).toBe(4);
    });

    it('holds nothing once empty', async () => {
      const line = await lineOf(['a', 0], ['b', 1], ['c', 0]);
      line.remove('b');
      line.take(0, 10);
      expect([line.size, ids(line)]).toEqual([0, []]);
      expect(Object.values(line.internalSizes()).every((n) => n === 0)).toBe(true);
    });

    it('answers every question as a plain array would, under random changes', async () => {
      const lines: WaitingLine[] = [];
      for (let i = 0; i < RANDOM_RUNS; i++) lines.push(await make());
      let run = 0;
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
          checkAgainstArray(lines[run++] as WaitingLine, ops);
        }),
        { numRuns: RANDOM_RUNS },
      );
    });
  });
}

const RANDOM_RUNS = 200;

type Op =
  | { op: 'enqueue'; id: number; fnIndex: number }
  | { op: 'insert'; id: number; fnIndex: number; before: number }
  | { op: 'remove'; id: number }
  | { op: 'take'; fnIndex: number; max: number }
  | { op: 'oldest'; eligible: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('enqueue' as const), id: fc.nat(15), fnIndex: fc.nat(2) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      id: fc.nat(15),
      fnIndex: fc.nat(2),
      before: fc.nat(15),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), id: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('take' as const), fnIndex: fc.nat(2), max: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('oldest' as const), eligible: fc.subarray([0, 1, 2]) }) },
);

function checkAgainstArray(line: WaitingLine, ops: Op[]): void {
  const model: WaitingEntry[] = [];
  ops.forEach((op, t) => {
    if (op.op === 'enqueue') {
      const entry = { jobId: `j${op.id}`, fnIndex: op.fnIndex, joinedAt: t };
      if (model.some((e) => e.jobId === entry.jobId)) expect(() => line.enqueue(entry)).toThrow();
      else {
        line.enqueue(entry);
        model.push(entry);
      }
    } else if (op.op === 'insert') {
      const entry = { jobId: `j${op.id}`, fnIndex: op.fnIndex, joinedAt: t };
      const before = model.findIndex((e) => e.jobId === `j${op.before}`);
      if (model.some((e) => e.jobId === entry.jobId)) expect(() => line.insert(entry, `j${op.before}`)).toThrow();
      else {
        line.insert(entry, before < 0 ? undefined : `j${op.before}`);
        model.splice(before < 0 ? model.length : before, 0, entry);
      }
    } else if (op.op === 'remove') {
      const i = model.findIndex((e) => e.jobId === `j${op.id}`);
      expect(line.remove(`j${op.id}`)).toEqual(i < 0 ? undefined : model.splice(i, 1)[0]);
    } else if (op.op === 'take') {
      const taken = model.filter((e) => e.fnIndex === op.fnIndex).slice(0, op.max);
      for (const e of taken) model.splice(model.indexOf(e), 1);
      expect(line.take(op.fnIndex, op.max)).toEqual(taken);
    } else {
      expect(line.oldest((fn) => op.eligible.includes(fn))).toEqual(model.find((e) => op.eligible.includes(e.fnIndex)));
    }
    expect([...line]).toEqual(model);
    expect(line.size).toBe(model.length);
    for (const fn of [0, 1, 2, 3]) expect(line.sizeOf(fn)).toBe(model.filter((e) => e.fnIndex === fn).length);
    for (let id = 0; id < 16; id++) {
      const i = model.findIndex((e) => e.jobId === `j${id}`);
      expect([line.has(`j${id}`), line.rank(`j${id}`)]).toEqual([i >= 0, i < 0 ? undefined : i]);
    }
  });
  if (model.length === 0) expect(Object.values(line.internalSizes()).every((n) => n === 0)).toBe(true);
}

const ids = (line: Iterable<{ jobId: JobId }>): JobId[] => [...line].map((e) => e.jobId);

/**
 * The plainest WaitingLine: an array, O(n) everywhere. The contract's second implementation, so the
 * suite is seen to test the interface rather than one implementation, and the engine is seen to run
 * on a line it was given.
 */
export class ArrayWaitingLine implements WaitingLine {
  private entries: WaitingEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  sizeOf(fnIndex: number): number {
    return this.entries.filter((e) => e.fnIndex === fnIndex).length;
  }

  has(jobId: JobId): boolean {
    return this.entries.some((e) => e.jobId === jobId);
  }

  enqueue(entry: WaitingEntry): void {
    if (this.has(entry.jobId)) throw new Error(`job ${entry.jobId} is already waiting`);
    this.entries.push(entry);
  }

  insert(entry: WaitingEntry, before: JobId | undefined): void {
    if (this.has(entry.jobId)) throw new Error(`job ${entry.jobId} is already waiting`);
    const i = before === undefined ? -1 : this.entries.findIndex((e) => e.jobId === before);
    this.entries.splice(i < 0 ? this.entries.length : i, 0, entry);
  }

  remove(jobId: JobId): WaitingEntry | undefined {
    const i = this.entries.findIndex((e) => e.jobId === jobId);
    return i < 0 ? undefined : this.entries.splice(i, 1)[0];
  }

  oldest(eligible: (fnIndex: number) => boolean): WaitingEntry | undefined {
    return this.entries.find((e) => eligible(e.fnIndex));
  }

  take(fnIndex: number, max: number): WaitingEntry[] {
    const taken = this.entries.filter((e) => e.fnIndex === fnIndex).slice(0, max);
    this.entries = this.entries.filter((e) => !taken.includes(e));
    return taken;
  }

  rank(jobId: JobId): number | undefined {
    const i = this.entries.findIndex((e) => e.jobId === jobId);
    return i < 0 ? undefined : i;
  }

  [Symbol.iterator](): Iterator<WaitingEntry> {
    return [...this.entries][Symbol.iterator]();
  }

  internalSizes(): Record<string, number> {
    return { arrayEntries: this.entries.length };
  }
}
