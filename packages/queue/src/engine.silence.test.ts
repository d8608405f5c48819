import { describe, expect, it } from 'vitest';
import { brief, fakeClockEngine, only } from './test-utils.js';
import type { Effect } from './types.js';

/** The jobs an event asked for their data. */
const asked = (effects: Effect[]): string[] => only(effects, 'requestData').map((e) => e.jobId);
const started = (effects: Effect[]): string[][] => only(effects, 'startBatch').map((e) => e.jobIds);

/** Issue 21.4: a job asked for its data that stays silent loses its turn, not its place (silence.ts). */
describe('QueueEngine: silent jobs', () => {
  it('stops counting against the prefetch bound once silent past its grace: the job behind is asked', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500 });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    // One slot, one job per batch: the bound is 1. a is asked; b waits unasked.
    expect(asked(q.engine.join('a', 0))).toEqual(['a']);
    expect(asked(q.engine.join('b', 0))).toEqual([]);
    q.advance(499);
    expect(asked(q.engine.tick())).toEqual([]);
    q.advance(1);
    expect(asked(q.engine.tick())).toEqual(['b']);
    // a keeps its place.
    expect([q.engine.rank('a'), q.engine.rank('b')]).toEqual([0, 1]);
  });

  it('is not picked while a job behind it is ready, and is picked in its turn once its data comes', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500 });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.join('c', 0);
    q.advance(500);
    expect(asked(q.engine.tick())).toEqual(['b']);
    q.engine.dataReceived('b');
    // The slot frees: b, ready, goes; a stays first in line and holds no slot.
    const freed = q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(started(freed)).toEqual([['b']]);
    expect([q.engine.rank('a'), q.engine.rank('c')]).toEqual([0, 1]);
    // a answers late: it is ready, and older than c, so it goes next.
    q.engine.dataReceived('a');
    expect(started(q.engine.batchFinished(2, { ok: true, results: [0] }))).toEqual([['a']]);
    expect(q.engine.rank('c')).toBe(0);
  });

  it('passes the oldest silent job for a job not asked yet when nothing is ready', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500 });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.advance(500);
    // b is asked at the grace; the slot frees before it answers: b, in its grace, is picked, a is not.
    q.engine.tick();
    const freed = q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(brief(freed)).toContain('end run success');
    expect(q.engine.rank('a')).toBe(0);
    expect(q.engine.rank('b')).toBeUndefined();
    expect(q.engine.stats()).toMatchObject({ waiting: 1, busySlots: 1 });
  });

  it('gives back a slot it holds before its batch starts to a ready job, and returns to its place', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500, pickedDataTimeoutMs: 10_000 });
    // x takes the free slot and never answers; y and z wait; y is asked and answers at once.
    expect(asked(q.engine.join('x', 0))).toEqual(['x']);
    expect(asked(q.engine.join('y', 0))).toEqual(['y']);
    q.engine.join('z', 0);
    q.engine.dataReceived('y');
    q.advance(499);
    expect(started(q.engine.tick())).toEqual([]);
    q.advance(1);
    // x is silent: y starts in its slot; x waits again, first in line, ahead of z, and hears so.
    const back = q.engine.tick();
    expect(started(back)).toEqual([['y']]);
    expect(only(back, 'estimate').map((e) => [e.jobId, e.estimation.rank])).toContainEqual(['x', 0]);
    expect([q.engine.rank('x'), q.engine.rank('z')]).toEqual([0, 1]);
    expect(q.engine.stats()).toMatchObject({ waiting: 2, busySlots: 1 });
    // Its data deadline still runs from its ask: pickedDataTimeoutMs from its pick.
    q.advance(9_500);
    expect(only(q.engine.tick(), 'end').map((e) => [e.jobId, e.outcome])).toEqual([
      ['x', { status: 'timeout', phase: 'data', limitMs: 10_000 }],
    ]);
    expect(q.engine.rank('z')).toBe(0);
  });

  it('a silent job that gave its slot back and answers is picked at its place', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500 });
    q.engine.join('x', 0);
    q.engine.join('y', 0);
    q.engine.join('z', 0);
    q.engine.dataReceived('y');
    q.advance(500);
    expect(started(q.engine.tick())).toEqual([['y']]);
    q.engine.dataReceived('x');
    // Batch 1 was x's, given back; y runs in batch 2.
    expect(started(q.engine.batchFinished(2, { ok: true, results: [0] }))).toEqual([['x']]);
    expect(q.engine.rank('z')).toBe(0);
    // z, now next, is asked in its turn.
    expect(q.engine.internalSizes()).toMatchObject({ prefetched: 1, batches: 1 });
  });

  it('with prefetch off nobody passes anyone: a silent job in a slot holds it, Gradio 3 FIFO', () => {
    const q = fakeClockEngine({ prefetchData: false, prefetchGraceMs: 500, dataTimeoutMs: 2_000 });
    expect(asked(q.engine.join('x', 0))).toEqual(['x']);
    expect(asked(q.engine.join('y', 0))).toEqual([]);
    q.advance(1_000);
    expect(brief(q.engine.tick()).filter((e) => !e.startsWith('scheduleTick'))).toEqual([]);
    expect(q.engine.rank('y')).toBe(0);
    q.advance(1_000);
    expect(brief(q.engine.tick()).filter((e) => !e.startsWith('scheduleTick'))).toEqual([
      'end x timeout',
      'requestData y',
    ]);
  });
});
