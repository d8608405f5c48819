import { describe, expect, it } from 'vitest';
import { brief, fakeClockEngine, only } from './test-utils.js';
import type { QueueOptions } from './types.js';

// `release`: another process that shares the line took the job; it leaves this engine without an `end`.

function setup(options: Omit<Partial<QueueOptions>, 'clock'> = {}) {
  return fakeClockEngine({ prefetchData: false, ...options });
}

const allZero = (sizes: Record<string, number>): boolean => Object.values(sizes).every((n) => n === 0);

describe('QueueEngine: release', () => {
  it('takes a waiting job out of the line with no end; the jobs behind move up', () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.advance(1_000);
    const effects = q.engine.release('a');
    expect(only(effects, 'end')).toEqual([]);
    expect(only(effects, 'estimate').map((e) => [e.jobId, e.estimation.rank, e.estimation.queueSize])).toEqual([
      ['b', 0, 1],
    ]);
    expect(q.engine.rank('a')).toBeUndefined();
    expect(q.engine.stats()).toMatchObject({ waiting: 1, released: 1, cancelled: 0, failed: 0, completed: 0 });
    // Gone: a second release, a cancel or data for it do nothing.
    expect(q.engine.release('a')).toEqual([]);
    expect(q.engine.cancel('a')).toEqual([]);
    expect(q.engine.dataReceived('a')).toEqual([]);
  });

  it('takes a job asked for its data while waiting (prefetch) out like a waiting one', () => {
    const q = fakeClockEngine({ endpoints: [{}] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(brief(q.engine.join('a', 0))).toContain('requestData a');
    expect(only(q.engine.release('a'), 'end')).toEqual([]);
    expect(q.engine.internalSizes()).toMatchObject({ prefetched: 0 });
    q.engine.join('b', 0);
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end run success']);
    expect(q.engine.stats()).toMatchObject({ released: 1, busySlots: 1 });
  });

  it('takes a picked member out of its batch: the batch starts with the rest once their data is in', () => {
    const q = setup({ endpoints: [{ batch: true, maxBatchSize: 3 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    for (const id of ['a', 'b', 'c']) q.engine.join(id, 0);
    expect(only(q.engine.batchFinished(1, { ok: true, results: [0] }), 'requestData').map((e) => e.jobId)).toEqual([
      'a',
      'b',
      'c',
    ]);
    q.engine.dataReceived('b');
    expect(brief(q.engine.release('a'))).toEqual([]);
    const effects = q.engine.release('c');
    expect(only(effects, 'end')).toEqual([]);
    expect(only(effects, 'startBatch').map((e) => e.jobIds)).toEqual([['b']]);
    expect(q.engine.stats()).toMatchObject({ released: 2, running: 1 });
  });

  it('frees the slot of a batch whose only member is taken, and the next pick happens, as after a cancel', () => {
    const q = setup();
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    expect(brief(q.engine.release('a'))).toEqual(['requestData b']);
    expect(q.engine.stats()).toMatchObject({ busySlots: 1, waiting: 0, released: 1 });
    q.engine.dataReceived('b');
    q.engine.batchFinished(2, { ok: true, results: [0] });
    expect(allZero(q.engine.internalSizes())).toBe(true);
  });

  it('ignores a job in a started batch (it belongs to this process and ends here) and unknown ids', () => {
    const q = setup();
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    expect(q.engine.release('a')).toEqual([]);
    expect(q.engine.release('nobody')).toEqual([]);
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end a success']);
    expect(q.engine.stats()).toMatchObject({ completed: 1, released: 0 });
  });

  it('leaves nothing behind', () => {
    const q = fakeClockEngine({ concurrencyCount: 2, endpoints: [{ batch: true, maxBatchSize: 2 }, {}] });
    for (let i = 0; i < 12; i++) q.engine.join(`j${i}`, i % 2);
    for (let i = 0; i < 12; i++) q.engine.release(`j${i}`);
    expect(q.engine.stats()).toMatchObject({ released: 12, waiting: 0, busySlots: 0 });
    q.engine.tick();
    expect(allZero(q.engine.internalSizes())).toBe(true);
  });
});
