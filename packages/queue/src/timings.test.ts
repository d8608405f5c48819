import { describe, expect, it } from 'vitest';
import { resolveQueueOptions } from './options.js';
import { Timings } from './timings.js';

describe('Timings', () => {
  const endpoints = resolveQueueOptions({ endpoints: [{ expectedDurationMs: 300 }, {}] }).endpoints;

  it('knows nothing at first but the hints', () => {
    const t = new Timings(endpoints, 2);
    expect([t.serviceTime(0, 2), t.serviceTime(1, 1), t.serviceTime(9, 1)]).toEqual([600, null, null]);
    expect([t.averageDuration(0), t.avgEventProcessTime(), t.avgEventConcurrentProcessTime()]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('keeps per-endpoint batch means and the global job mean apart', () => {
    const t = new Timings(endpoints, 2);
    t.recordBatch(0, 4, 1_000);
    t.recordBatch(0, 1, 3_000);
    for (let i = 0; i < 4; i++) t.recordJob(1);
    t.recordJob(3);
    expect(t.averageDuration(0)).toBe(2);
    expect(t.averageDuration(1)).toBeNull();
    expect(t.avgEventProcessTime()).toBeCloseTo(7 / 5);
    expect(t.avgEventConcurrentProcessTime()).toBeCloseTo(7 / 10);
    expect(t.serviceTime(0, 1)).not.toBeNull();
  });
});
