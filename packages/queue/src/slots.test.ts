import { describe, expect, it } from 'vitest';
import type { Batch, Job, SlotJob } from './batch.js';
import type { Decision } from './decision.js';
import { resolveQueueOptions } from './options.js';
import { QueueState } from './queue-state.js';
import { canTakeSlot, nextDue, nextFill, nextSlotDeadline, settle } from './slots.js';
import { Timings } from './timings.js';
import type { EndpointOptions } from './types.js';
import { MemoryWaitingLine } from './waiting-line.js';

// The slot rules are plain functions of the state: build one with QueueState, ask, apply, ask again.
function setup(endpoints: EndpointOptions[], concurrencyCount = 1) {
  const options = resolveQueueOptions({ endpoints, concurrencyCount, dataTimeoutMs: 1_000 });
  const state = new QueueState(options, new MemoryWaitingLine(), new Timings(options.endpoints, concurrencyCount));
  state.now = 0;
  const join = (jobId: string, fnIndex = 0): void => state.join({ jobId, fnIndex, joinedAt: state.now });
  /** Applies decisions the way the engine does: each one, then what its batch needs, until nothing. */
  const decide = (first: Decision | null): void => {
    for (let d = first; d !== null;) {
      const changed = state.apply(d);
      const batch = changed === undefined ? undefined : state.batches.get(changed);
      d = batch === undefined ? null : settle(state, batch);
    }
  };
  const fill = (): void => {
    for (let d = nextFill(state); d !== null; d = nextFill(state)) decide(d);
  };
  const job = (id: string): Job => {
    const found = state.jobs.get(id);
    if (!found) throw new Error(`no job ${id}`);
    return found;
  };
  const inSlot = (id: string): SlotJob => {
    const found = job(id);
    if (found.state !== 'loading' && found.state !== 'ready') throw new Error(`${id} is ${found.state}`);
    return found;
  };
  const batch = (id: number): Batch => {
    const found = state.batches.get(id);
    if (!found) throw new Error(`no batch ${id}`);
    return found;
  };
  return { state, join, decide, fill, job, inSlot, batch };
}

describe('slot rules', () => {
  it('give a free slot to the oldest job, closed at once when the line can fill its batch', () => {
    const q = setup([{ batch: true, maxBatchSize: 2, maxBatchDelayMs: 50 }]);
    q.join('a');
    q.join('b');
    expect(nextFill(q.state)).toEqual({ type: 'pick', fnIndex: 0, closeAt: null });
  });

  it('hold a short batch open until its oldest member has waited maxBatchDelayMs', () => {
    const q = setup([{ batch: true, maxBatchSize: 4, maxBatchDelayMs: 50 }]);
    q.join('a');
    expect(nextFill(q.state)).toEqual({ type: 'pick', fnIndex: 0, closeAt: 50 });
    q.fill();
    q.join('b');
    // A gathering batch takes new jobs of its endpoint before any free slot is looked at.
    expect(nextFill(q.state)).toEqual({ type: 'admit', batchId: 1 });
    q.fill();
    expect([q.batch(1).state, [...q.batch(1).members]]).toEqual(['gathering', ['a', 'b']]);
    expect([nextDue(q.state), nextSlotDeadline(q.state)]).toEqual([null, 50]);
    q.state.now = 50;
    expect(nextDue(q.state)).toEqual({ type: 'close', batchId: 1 });
  });

  it('pass over an endpoint at its concurrencyLimit to the oldest job under its limit', () => {
    const q = setup([{ concurrencyLimit: 1 }, {}], 2);
    q.join('a0');
    q.join('a1');
    q.join('b0', 1);
    q.fill();
    expect([...q.state.jobs.values()].map((j) => `${j.id} ${j.state}`)).toEqual([
      'a0 loading',
      'a1 waiting',
      'b0 loading',
    ]);
    expect([canTakeSlot(q.state, 0), canTakeSlot(q.state, 1)]).toEqual([false, false]);
  });

  it('start a batch once every member’s data is in, free one whose members all left, abort a running one', () => {
    const q = setup([{ batch: true, maxBatchSize: 2 }]);
    q.join('a');
    q.join('b');
    q.fill();
    q.state.received(q.job('a'));
    expect(settle(q.state, q.batch(1))).toBeNull();
    q.state.received(q.job('b'));
    expect(settle(q.state, q.batch(1))).toEqual({ type: 'start', batchId: 1 });
    q.decide({ type: 'start', batchId: 1 });
    expect(q.batch(1).state).toBe('running');
    q.state.leave(q.inSlot('a'), { status: 'cancelled' });
    expect(settle(q.state, q.batch(1))).toBeNull();
    q.state.leave(q.inSlot('b'), { status: 'cancelled' });
    expect(settle(q.state, q.batch(1))).toEqual({ type: 'abort', batchId: 1 });
    q.decide({ type: 'abort', batchId: 1 });
    expect([q.batch(1).state, settle(q.state, q.batch(1))]).toEqual(['aborted', null]);
  });

  it('time out a member’s data first, then the batch it leaves settles', () => {
    const q = setup([{ batch: true, maxBatchSize: 2 }]);
    q.join('a');
    q.fill();
    expect(nextSlotDeadline(q.state)).toBe(1_000);
    q.state.now = 1_000;
    expect(nextDue(q.state)).toEqual({ type: 'expire', jobId: 'a' });
    q.decide(nextDue(q.state));
    expect([q.state.batches.size, q.state.held, nextDue(q.state)]).toEqual([0, [0], null]);
  });
});
