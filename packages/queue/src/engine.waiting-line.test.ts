import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueEngine } from './engine.js';
import { INVALID_OPTION } from './errors.js';
import { FakeHost } from './test-utils.js';
import { ArrayWaitingLine } from './waiting-line.contract.test-utils.js';
import { MemoryWaitingLine } from './waiting-line.js';
import type { WaitingLine } from './waiting-line.js';

const endpoints = [{ batch: true, maxBatchSize: 3, maxBatchDelayMs: 50 }, {}];

describe('QueueEngine waitingLine option', () => {
  it('keeps its waiting jobs in the line it is given', () => {
    const line = new ArrayWaitingLine();
    const engine = new QueueEngine({ endpoints: [{}], waitingLine: line, clock: () => 0 });
    engine.join('a', 0);
    engine.join('b', 0);
    engine.join('c', 0);
    // a went straight into the slot; b and c wait, in the given line.
    expect([...line].map((e) => e.jobId)).toEqual(['b', 'c']);
    engine.cancel('b');
    expect([...line].map((e) => e.jobId)).toEqual(['c']);
  });

  it('refuses what is not a WaitingLine, and a line that is not empty', () => {
    const full = new MemoryWaitingLine();
    full.enqueue({ jobId: 'x', fnIndex: 0, joinedAt: 0 });
    const make = (waitingLine: unknown) => () =>
      new QueueEngine({ endpoints: [{}], waitingLine: waitingLine as WaitingLine });
    expect(make({ size: 0 })).toThrow(
      /^waitingLine: expected a WaitingLine \(size, iteration, sizeOf, .*\), got an object$/,
    );
    expect(make('memory')).toThrow(expect.objectContaining({ name: 'QueueOptionTypeError', code: INVALID_OPTION }));
    expect(make(full)).toThrow(expect.objectContaining({ name: 'QueueOptionRangeError', option: 'waitingLine' }));
    expect(make(full)).toThrow('waitingLine: expected an empty line (size 0), got 1');
  });

  it('gives each engine a line of its own by default', () => {
    const a = new QueueEngine({ endpoints: [{}], clock: () => 0 });
    const b = new QueueEngine({ endpoints: [{}], clock: () => 0 });
    a.join('x', 0);
    a.join('y', 0);
    expect([a.stats().waiting, b.stats().waiting]).toEqual([1, 0]);
  });

  it('behaves the same, effect for effect, on any line that keeps the contract', () => {
    const joins = fc.array(fc.record({ at: fc.nat(400), fn: fc.nat(1) }), { minLength: 1, maxLength: 25 });
    fc.assert(
      fc.property(joins, fc.integer({ min: 1, max: 2 }), (plan, concurrencyCount) => {
        const run = (waitingLine: WaitingLine): FakeHost => {
          const host = new FakeHost({ endpoints, concurrencyCount, waitingLine }, (size) => 30 + 10 * size);
          plan.forEach(({ at, fn }, i) => host.joinAt(at, `j${i}`, fn));
          host.run();
          return host;
        };
        const memory = run(new MemoryWaitingLine());
        const array = run(new ArrayWaitingLine());
        expect(array.rounds).toEqual(memory.rounds);
        expect([...array.endedAt]).toEqual([...memory.endedAt]);
        expect(array.endedAt.size).toBe(plan.length);
      }),
      { numRuns: 100 },
    );
  });
});
