import { describe, expect, it } from 'vitest';
import type { Batch } from './batch.js';
import { Forecast, PASS_MAX_AGE_MS } from './forecast.js';
import type { QueueView } from './forecast.js';
import { resolveQueueOptions } from './options.js';
import { Timings } from './timings.js';
import { MemoryWaitingLine } from './waiting-line.js';

/** One unbatched endpoint of 1 s per job, on `slots` slots. */
function setup(slots = 1) {
  const { endpoints } = resolveQueueOptions({ endpoints: [{ expectedDurationMs: 1_000 }] });
  const timings = new Timings(endpoints, slots);
  const forecast = new Forecast(endpoints, slots, timings);
  const line = new MemoryWaitingLine();
  const batches: Batch[] = [];
  const view = (now: number, version: number, moves = 0): QueueView => ({
    now,
    version,
    moves,
    line,
    batches,
    peerSlots: 0,
    peerBatches: [],
  });
  return { forecast, line, batches, view };
}

describe('Forecast', () => {
  it('counts running batches from their start, and batches awaiting data from now', () => {
    const f = setup(2);
    const members = new Set(['r']);
    const running: Batch = {
      state: 'running',
      id: 1,
      fnIndex: 0,
      members,
      startedAt: 200,
      jobIds: ['r'],
      runDeadline: null,
    };
    const picked: Batch = { state: 'loading', id: 2, fnIndex: 0, members: new Set(['p']), gatherFrom: 0 };
    f.batches.push(running, picked);
    f.line.enqueue({ jobId: 'w', fnIndex: 0, joinedAt: 300 });
    const pass = f.forecast.pass(f.view(500, 1), true);
    // Slots free at 1.2 s (running) and 1.5 s (picked at 0.5 s): w runs 1.2 s → 2.2 s.
    expect(pass.completions).toEqual([2_200]);
    expect(f.forecast.estimation(f.view(500, 1), 0, 2_200, pass)).toEqual({
      rank: 0,
      queueSize: 1,
      rankEta: 1.7,
      queueEta: 1.7,
      avgEventProcessTime: null,
      avgEventConcurrentProcessTime: null,
    });
  });

  it('counts the data round trip it learned, for picked batches and for those to come', () => {
    const { endpoints } = resolveQueueOptions({ endpoints: [{ expectedDurationMs: 1_000 }] });
    const timings = new Timings(endpoints, 1);
    timings.recordGather(0, 1, 20);
    const forecast = new Forecast(endpoints, 1, timings);
    const line = new MemoryWaitingLine();
    const picked: Batch = { state: 'loading', id: 1, fnIndex: 0, members: new Set(['p']), gatherFrom: 400 };
    line.enqueue({ jobId: 'w', fnIndex: 0, joinedAt: 300 });
    const pass = forecast.pass(
      { now: 410, version: 1, moves: 0, line, batches: [picked], peerSlots: 0, peerBatches: [] },
      true,
    );
    // p starts at 420 (picked at 400 + 20 ms) and frees the slot at 1.42 s; w then waits 20 ms for its data.
    expect(pass.completions).toEqual([2_440]);
  });

  it('reuses a pass while the queue stands still, and not past its age', () => {
    const f = setup();
    const first = f.forecast.pass(f.view(0, 1), true);
    expect(f.forecast.pass(f.view(PASS_MAX_AGE_MS, 1), true)).toBe(first);
    expect(f.forecast.pass(f.view(10, 2), false)).toBe(first);
    expect(f.forecast.pass(f.view(10, 2), true)).not.toBe(first);
    const second = f.forecast.pass(f.view(10, 2), true);
    expect(f.forecast.pass(f.view(10 + PASS_MAX_AGE_MS + 1, 2), false)).not.toBe(second);
  });

  it('extends a fresh pass for a job that joined at the back, and keeps it exact', () => {
    const f = setup();
    f.line.enqueue({ jobId: 'a', fnIndex: 0, joinedAt: 0 });
    const pass = f.forecast.pass(f.view(0, 1), true);
    const b = { jobId: 'b', fnIndex: 0, joinedAt: 50 };
    f.line.enqueue(b);
    const { completion, pass: extended } = f.forecast.newcomer(f.view(50, 2), b, 1);
    expect(extended).toBe(pass);
    expect(completion).toBe(2_000);
    expect(f.forecast.pass(f.view(60, 2), true)).toBe(pass);
  });

  it('makes a full pass for a newcomer when none is recent', () => {
    const f = setup();
    const a = { jobId: 'a', fnIndex: 0, joinedAt: 0 };
    f.line.enqueue(a);
    expect(f.forecast.newcomer(f.view(0, 1), a, 0).completion).toBe(1_000);
  });
});
