import { describe, expect, it } from 'vitest';
import { ArrayWaitingLine, describeWaitingLine } from './waiting-line.contract.test-utils.js';
import { MemoryWaitingLine } from './waiting-line.js';

// Every implementation runs the same contract.
describeWaitingLine('MemoryWaitingLine', () => new MemoryWaitingLine());
describeWaitingLine('ArrayWaitingLine (the reference)', () => new ArrayWaitingLine());

describe('MemoryWaitingLine', () => {
  it('names the id it refuses', () => {
    const line = new MemoryWaitingLine();
    line.enqueue({ jobId: 'a', fnIndex: 0, joinedAt: 0 });
    expect(() => line.enqueue({ jobId: 'a', fnIndex: 1, joinedAt: 5 })).toThrow(/job a is already waiting/);
  });

  it('keeps ages apart across endpoints however often jobs are put back before the same neighbour', () => {
    const line = new MemoryWaitingLine();
    // Tickets run into the 100,000s (a busy day): a double keeps ~36 halvings of 1 there.
    for (let i = 0; i < 100_000; i++) {
      line.enqueue({ jobId: 'old', fnIndex: 2, joinedAt: 0 });
      line.remove('old');
    }
    // The endpoint-1 job's line exists first, so a tie in tickets would make `oldest` pick it.
    line.enqueue({ jobId: 'x', fnIndex: 0, joinedAt: 0 });
    line.enqueue({ jobId: 'y', fnIndex: 1, joinedAt: 0 });
    line.remove('x');
    const put = 200;
    for (let i = 0; i < put; i++) line.insert({ jobId: `e${i}`, fnIndex: 0, joinedAt: 0 }, 'y');
    for (let i = 0; i < put - 1; i++) line.remove(`e${i}`);
    expect([...line].map((e) => e.jobId)).toEqual([`e${put - 1}`, 'y']);
    expect(line.oldest(() => true)?.jobId).toBe(`e${put - 1}`);
    line.enqueue({ jobId: 'z', fnIndex: 0, joinedAt: 1 });
    line.remove(`e${put - 1}`);
    expect(line.oldest(() => true)?.jobId).toBe('y');
  });
});
