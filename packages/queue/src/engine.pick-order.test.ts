import { describe, expect, it } from 'vitest';
import { brief, fakeClockEngine, only } from './test-utils.js';
import type { Effect } from './types.js';

// Issue 21.4: a freed slot goes to the oldest waiting job whose data is in hand, so prefetched jobs
// that never answer cannot take the slots ahead of a client that is ready; `pickedDataTimeoutMs`
// bounds how long a job that did take a slot may keep it without data.

const asked = (effects: Effect[]): string[] => only(effects, 'requestData').map((e) => e.jobId);
const started = (effects: Effect[]): string[][] => only(effects, 'startBatch').map((e) => e.jobIds);

/** Two slots busy with `run1`, `run2`; then `silent` and `ready` wait, both asked for their data. */
function twoSlotsBusy(options: Parameters<typeof fakeClockEngine>[0] = {}) {
  const q = fakeClockEngine({ concurrencyCount: 2, statusUpdateRate: 1, ...options });
  for (const id of ['run1', 'run2']) {
    q.engine.join(id, 0);
    q.engine.dataReceived(id);
  }
  expect(asked(q.engine.join('silent', 0))).toEqual(['silent']);
  expect(asked(q.engine.join('ready', 0))).toEqual(['ready']);
  q.engine.dataReceived('ready');
  return q;
}

describe('QueueEngine: who gets a freed slot', () => {
  it('gives it to a job whose data is in hand before an older one that has not answered', () => {
    const q = twoSlotsBusy();
    const effects = q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(started(effects)).toEqual([['ready']]);
    // The silent job kept its place: still waiting at rank 0, asked once, holding no slot.
    expect(q.engine.rank('silent')).toBe(0);
    expect(asked(effects)).toEqual([]);
    expect(q.engine.stats()).toMatchObject({ waiting: 1, running: 2, busySlots: 2 });
  });

  it('still gives it to a silent job when nothing ready waits; then its picked deadline runs', () => {
    const q = twoSlotsBusy({ pickedDataTimeoutMs: 500, prefetchGraceMs: 500 });
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.advance(100);
    // Nothing ready is left: the silent job takes the next slot and has 500 ms from now.
    expect(started(q.engine.batchFinished(2, { ok: true, results: [0] }))).toEqual([]);
    expect(q.engine.stats()).toMatchObject({ waiting: 0, busySlots: 2 });
    q.advance(499);
    expect(brief(q.engine.tick())).toEqual(['scheduleTick 600']);
    q.advance(1);
    const effects = q.engine.tick();
    expect(only(effects, 'end')).toEqual([
      { type: 'end', jobId: 'silent', outcome: { status: 'timeout', phase: 'data', limitMs: 500 } },
    ]);
    expect(q.engine.stats()).toMatchObject({ busySlots: 1 });
  });

  it('keeps Gradio’s FIFO when prefetch is off: nobody is ready while waiting', () => {
    const q = fakeClockEngine({ prefetchData: false });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    expect(asked(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['a']);
  });

  it('picks ready jobs oldest first, across endpoints', () => {
    const q = fakeClockEngine({ concurrencyCount: 3, statusUpdateRate: 1, endpoints: [{}, {}] });
    for (const id of ['run1', 'run2', 'run3']) {
      q.engine.join(id, 0);
      q.engine.dataReceived(id);
    }
    for (const [id, fn] of [
      ['s', 0],
      ['r1', 1],
      ['r0', 0],
    ] as const)
      q.engine.join(id, fn);
    q.engine.dataReceived('r0');
    q.engine.dataReceived('r1');
    expect(started(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual([['r1']]);
    expect(started(q.engine.batchFinished(2, { ok: true, results: [0] }))).toEqual([['r0']]);
    expect(q.engine.rank('s')).toBe(0);
  });

  it('fills a batch with its endpoint’s ready jobs first, then the rest in line order, members in join order', () => {
    const q = fakeClockEngine({ statusUpdateRate: 1, endpoints: [{ batch: true, maxBatchSize: 2 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    for (const id of ['a', 'b']) q.engine.join(id, 0);
    q.engine.dataReceived('b');
    // b is ready, a silent: the batch takes b, then a (room left), in join order; it waits for a.
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end run success']);
    expect(brief(q.engine.dataReceived('a'))).toEqual(['startBatch 2 [a,b]', 'cancelTick']);
  });
});

describe('QueueEngine: pickedDataTimeoutMs', () => {
  it('times a job asked at its pick from the pick', () => {
    const q = fakeClockEngine({ pickedDataTimeoutMs: 200, prefetchData: false });
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'requestData a', 'scheduleTick 200']);
    q.advance(200);
    expect(only(q.engine.tick(), 'end')[0]?.outcome).toEqual({ status: 'timeout', phase: 'data', limitMs: 200 });
    expect(Object.values(q.engine.internalSizes()).every((n) => n === 0)).toBe(true);
  });

  it('keeps a prefetched job’s earlier deadline when that comes first, and bounds a later one', () => {
    // A grace longer than the test: a stays a job that may be picked before it answers (silence.ts).
    const q = fakeClockEngine({ dataTimeoutMs: 1_000, pickedDataTimeoutMs: 300, prefetchGraceMs: 5_000 });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(asked(q.engine.join('a', 0))).toEqual(['a']);
    q.advance(800);
    // Picked at 800 ms: its own deadline (1 s from the ask) comes before 800 + 300.
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.advance(200);
    expect(only(q.engine.tick(), 'end')[0]?.outcome).toEqual({ status: 'timeout', phase: 'data', limitMs: 1_000 });

    // b takes the free slot at once (batch 3), c is asked while it waits.
    expect(asked(q.engine.join('b', 0))).toEqual(['b']);
    q.engine.dataReceived('b');
    expect(asked(q.engine.join('c', 0))).toEqual(['c']);
    q.advance(100);
    // c is picked 100 ms after it was asked: 300 ms from the pick, not 1 s from the ask.
    q.engine.batchFinished(3, { ok: true, results: [0] });
    q.advance(299);
    expect(only(q.engine.tick(), 'end')).toEqual([]);
    q.advance(1);
    expect(only(q.engine.tick(), 'end')[0]?.outcome).toEqual({ status: 'timeout', phase: 'data', limitMs: 300 });
  });
});
