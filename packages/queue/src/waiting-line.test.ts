import { describe, expect, it } from 'vitest';
import { MemoryWaitingLine } from './waiting-line.js';

function lineOf(...jobs: [string, number][]): MemoryWaitingLine {
  const line = new MemoryWaitingLine();
  jobs.forEach(([jobId, fnIndex], i) => line.enqueue({ jobId, fnIndex, joinedAt: i }));
  return line;
}

const ids = (line: Iterable<{ jobId: string }>): string[] => [...line].map((e) => e.jobId);

describe('MemoryWaitingLine', () => {
  it('keeps join order, sizes and ranks', () => {
    const line = lineOf(['a', 0], ['b', 1], ['c', 0]);
    expect(ids(line)).toEqual(['a', 'b', 'c']);
    expect(line.size).toBe(3);
    expect(line.sizeOf(0)).toBe(2);
    expect(line.sizeOf(1)).toBe(1);
    expect(line.sizeOf(7)).toBe(0);
    expect([line.rank('a'), line.rank('b'), line.rank('c'), line.rank('x')]).toEqual([0, 1, 2, undefined]);
    expect(line.has('b')).toBe(true);
  });

  it('refuses an id that is already waiting', () => {
    const line = lineOf(['a', 0]);
    expect(() => line.enqueue({ jobId: 'a', fnIndex: 1, joinedAt: 5 })).toThrow(/already waiting/);
  });

  it('removes from anywhere, and everyone behind moves up', () => {
    const line = lineOf(['a', 0], ['b', 1], ['c', 0], ['d', 1]);
    expect(line.remove('b')?.jobId).toBe('b');
    expect(line.remove('b')).toBeUndefined();
    expect(ids(line)).toEqual(['a', 'c', 'd']);
    expect(line.rank('d')).toBe(2);
    expect(line.remove('a')?.jobId).toBe('a');
    expect(line.remove('d')?.jobId).toBe('d');
    expect(ids(line)).toEqual(['c']);
    expect(line.sizeOf(1)).toBe(0);
    line.enqueue({ jobId: 'e', fnIndex: 1, joinedAt: 9 });
    expect(ids(line)).toEqual(['c', 'e']);
    expect(ids(line.take(1, 5))).toEqual(['e']);
  });

  it('takes an endpoint batch from anywhere in the line, oldest first', () => {
    const line = lineOf(['a1', 0], ['b1', 1], ['a2', 0], ['b2', 1], ['a3', 0], ['a4', 0]);
    expect(ids(line.take(0, 3))).toEqual(['a1', 'a2', 'a3']);
    expect(ids(line)).toEqual(['b1', 'b2', 'a4']);
    expect(line.sizeOf(0)).toBe(1);
    expect(ids(line.take(0, 3))).toEqual(['a4']);
    expect(line.take(0, 3)).toEqual([]);
    expect(ids(line)).toEqual(['b1', 'b2']);
  });

  it('finds the oldest job among eligible endpoints', () => {
    const line = lineOf(['a1', 0], ['b1', 1], ['c1', 2], ['a2', 0]);
    expect(line.oldest(() => true)?.jobId).toBe('a1');
    expect(line.oldest((e) => e !== 0)?.jobId).toBe('b1');
    expect(line.oldest((e) => e === 2)?.jobId).toBe('c1');
    expect(line.oldest(() => false)).toBeUndefined();
  });

  it('holds nothing once empty', () => {
    const line = lineOf(['a', 0], ['b', 1], ['c', 0]);
    line.remove('b');
    line.take(0, 10);
    expect(line.size).toBe(0);
    expect(ids(line)).toEqual([]);
    expect(Object.values(line.internalSizes()).every((n) => n === 0)).toBe(true);
  });
});
