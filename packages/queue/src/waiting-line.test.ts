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
});
