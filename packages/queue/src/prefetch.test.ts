import { describe, expect, it } from 'vitest';
import { nextPrefetchDeadline, nextPrefetchDue, planPrefetch, prefetchBound } from './prefetch.js';
import type { PlaceHeard } from './prefetch.js';
import { resolveQueueOptions } from './options.js';
import { QueueState } from './queue-state.js';
import { Timings } from './timings.js';
import type { EndpointOptions } from './types.js';
import { MemoryWaitingLine } from './waiting-line.js';

function setup(endpoints: EndpointOptions[], concurrencyCount = 1) {
  const options = resolveQueueOptions({ endpoints, concurrencyCount, dataTimeoutMs: 1_000 });
  const state = new QueueState(options, new MemoryWaitingLine(), new Timings(options.endpoints, concurrencyCount));
  state.now = 0;
  for (const [i, fnIndex] of [0, 1, 0, 0, 1].entries()) state.join({ jobId: `j${i}`, fnIndex, joinedAt: 0 });
  return { state, bound: prefetchBound(options) };
}

const heard: PlaceHeard = () => 'heard';

describe('prefetch rules', () => {
  it('ask the jobs that would form the next batches, in line order, up to one full batch per slot', () => {
    const q = setup([{ batch: true, maxBatchSize: 2 }, {}], 2);
    expect(q.bound).toBe(4);
    // Two slots: j0 picks endpoint 0 and takes j2; j1 picks endpoint 1 (batches of 1). j3 and j4 wait behind.
    expect(planPrefetch(q.state, q.bound, heard)).toEqual({
      asks: ['j0', 'j1', 'j2'].map((jobId) => ({ type: 'ask', jobId })),
      stalled: false,
    });
  });

  it('stop at a job that has not heard its current place; stalled when it is told it in this event', () => {
    const q = setup([{ batch: true, maxBatchSize: 4 }, {}]);
    const place =
      (told: 'telling' | 'untold'): PlaceHeard =>
      (jobId) =>
        jobId === 'j2' ? told : 'heard';
    const asks = [{ type: 'ask', jobId: 'j0' }];
    expect(planPrefetch(q.state, q.bound, place('untold'))).toEqual({ asks, stalled: false });
    expect(planPrefetch(q.state, q.bound, place('telling'))).toEqual({ asks, stalled: true });
  });

  it('ask nobody when prefetch is off', () => {
    const options = resolveQueueOptions({ endpoints: [{}], prefetchData: false });
    expect(prefetchBound(options)).toBe(0);
  });

  it('expire a waiting job whose asked-for data did not come by its deadline', () => {
    const q = setup([{ batch: true, maxBatchSize: 4 }, {}]);
    for (const ask of planPrefetch(q.state, q.bound, heard).asks) q.state.apply(ask);
    expect([...q.state.prefetched]).toEqual(['j0', 'j2', 'j3']);
    q.state.received(q.state.jobs.get('j0') ?? expect.unreachable());
    expect([nextPrefetchDeadline(q.state), nextPrefetchDue(q.state)]).toEqual([1_000, null]);
    q.state.now = 1_000;
    // j0 sent its data: it holds it until picked and never times out while waiting.
    expect(nextPrefetchDue(q.state)).toEqual({ type: 'expire', jobId: 'j2' });
  });
});
