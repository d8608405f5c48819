import { describe, expect, it } from 'vitest';
import { brief, fakeClockEngine, only } from './test-utils.js';
import type { Effect, EndpointOptions, QueueOptions } from './types.js';

/**
 * An engine on a fake clock. These tests pin the conversation of Gradio 3 itself, where a job is asked
 * for its data when it is picked; data prefetch (on by default) is tested in engine.prefetch.test.ts.
 */
function setup(options: Omit<Partial<QueueOptions>, 'clock'> = {}) {
  return fakeClockEngine({ prefetchData: false, ...options });
}

function allZero(sizes: Record<string, number>): boolean {
  return Object.values(sizes).every((n) => n === 0);
}

const batched = (options: EndpointOptions = {}): EndpointOptions => ({ batch: true, ...options });

describe('QueueEngine: one job', () => {
  it('runs the whole lifecycle and forgets the job', () => {
    const q = setup();
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'requestData a', 'scheduleTick 60000']);
    q.advance(10);
    const [start] = only(q.engine.dataReceived('a'), 'startBatch');
    expect(start).toEqual({ type: 'startBatch', batchId: 1, fnIndex: 0, jobIds: ['a'], expectedDuration: null });
    q.advance(2_000);
    expect(q.engine.batchFinished(1, { ok: true, results: [['A']] })).toEqual([
      {
        type: 'end',
        jobId: 'a',
        outcome: { status: 'success', result: ['A'], duration: 2, averageDuration: 2 },
      },
    ]);
    expect(q.engine.stats()).toMatchObject({
      waiting: 0,
      running: 0,
      busySlots: 0,
      completed: 1,
      batchSizes: { 1: 1 },
    });
    expect(allZero(q.engine.internalSizes())).toBe(true);
    expect(q.engine.batchFinished(1, { ok: true, results: [['A']] })).toEqual([]);
  });

  it('sends its expected run time with startBatch once it has learned one', () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_500 }] });
    q.engine.join('a', 0);
    expect(only(q.engine.dataReceived('a'), 'startBatch')[0]?.expectedDuration).toBe(1.5);
    q.advance(500);
    q.engine.batchFinished(1, { ok: true, results: [1] });
    q.engine.join('b', 0);
    expect(only(q.engine.dataReceived('b'), 'startBatch')[0]?.expectedDuration).toBe(0.5);
  });

  it('ends every member with the error of a failed batch', () => {
    const q = setup();
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    expect(q.engine.batchFinished(1, { ok: false, error: 'boom' })).toEqual([
      { type: 'end', jobId: 'a', outcome: { status: 'error', error: 'boom' } },
    ]);
    expect(q.engine.stats().failed).toBe(1);
  });

  it('fails a batch whose handler returned the wrong number of results', () => {
    const q = setup({ endpoints: [batched()] });
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    expect(q.engine.batchFinished(1, { ok: true, results: [1, 2] })).toEqual([
      { type: 'end', jobId: 'a', outcome: { status: 'error', error: 'expected 1 results, got 2 results' } },
    ]);
  });

  it('ignores data nobody asked for and unknown ids', () => {
    const q = setup({ concurrencyCount: 1 });
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    expect(q.engine.dataReceived('b')).toEqual([]);
    expect(q.engine.dataReceived('zzz')).toEqual([]);
    expect(q.engine.cancel('zzz')).toEqual([]);
    expect(q.engine.batchFinished(99, { ok: true, results: [] })).toEqual([]);
    // Not started yet: a finish for it is a host bug, and ignored.
    expect(q.engine.batchFinished(1, { ok: true, results: [1] })).toEqual([]);
    q.engine.dataReceived('a');
    expect(q.engine.dataReceived('a')).toEqual([]);
  });
});

describe('QueueEngine: admission', () => {
  it('rejects joins beyond maxSize waiting jobs; they never run', () => {
    const q = setup({ maxSize: 2, endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('a', 0); // takes the slot: not waiting
    q.engine.dataReceived('a');
    q.engine.join('b', 0);
    q.engine.join('c', 0);
    q.advance(200);
    const effects = q.engine.join('d', 0);
    // The slot is expected to free at 1 s, 0.8 s from now: then a waiting place frees.
    expect(effects).toEqual([
      { type: 'reject', jobId: 'd', reason: 'queue_full', queueSize: 2, maxSize: 2, retryAfter: 0.8 },
    ]);
    const later = [
      ...q.engine.batchFinished(1, { ok: true, results: [1] }),
      ...q.engine.dataReceived('b'),
      ...q.engine.batchFinished(2, { ok: true, results: [1] }),
      ...q.engine.dataReceived('c'),
      ...q.engine.batchFinished(3, { ok: true, results: [1] }),
    ];
    expect(later.some((e) => 'jobId' in e && e.jobId === 'd')).toBe(false);
    expect(q.engine.stats()).toMatchObject({ completed: 3, rejected: 1 });
  });

  it('never asks a rejected client to retry sooner than 0.1 s', () => {
    const q = setup({ maxSize: 0 });
    q.engine.join('a', 0);
    const [reject] = only(q.engine.join('b', 0), 'reject');
    expect(reject).toMatchObject({ reason: 'queue_full', queueSize: 0, maxSize: 0 });
    expect(reject?.retryAfter).toBeGreaterThanOrEqual(0.1);
  });

  it('accepts a job that goes straight into a free slot even at maxSize', () => {
    const q = setup({ maxSize: 0, concurrencyCount: 2 });
    expect(brief(q.engine.join('a', 0))).toContain('requestData a');
    expect(brief(q.engine.join('b', 0))).toContain('requestData b');
    expect(brief(q.engine.join('c', 0))).toEqual(['reject c queue_full']);
  });

  it('rejects duplicate ids and unknown endpoints', () => {
    const q = setup({ endpoints: [{}, {}] });
    q.engine.join('a', 0);
    expect(brief(q.engine.join('a', 1))).toEqual(['reject a duplicate_id']);
    expect(brief(q.engine.join('x', 2))).toEqual(['reject x unknown_endpoint']);
    expect(brief(q.engine.join('y', -1))).toEqual(['reject y unknown_endpoint']);
    expect(brief(q.engine.join('z', 0.5))).toEqual(['reject z unknown_endpoint']);
    expect(q.engine.stats().rejected).toBe(4);
  });
});

describe('QueueEngine: batching', () => {
  /** Endpoint 0 blocks the only slot while others join; its batch is 1. */
  function blocked(endpoints: EndpointOptions[]) {
    const q = setup({ concurrencyCount: 1, endpoints: [{}, ...endpoints] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    return q;
  }

  it('serves six jobs as batches of 4 and 2', () => {
    const q = blocked([batched({ maxBatchSize: 4 })]);
    for (const id of ['j1', 'j2', 'j3', 'j4', 'j5', 'j6']) q.engine.join(id, 1);
    const picked = brief(q.engine.batchFinished(1, { ok: true, results: [0] })).filter((s) =>
      s.startsWith('requestData'),
    );
    expect(picked).toEqual(['requestData j1', 'requestData j2', 'requestData j3', 'requestData j4']);
    for (const id of ['j1', 'j2', 'j3']) expect(q.engine.dataReceived(id)).toEqual([]);
    expect(only(q.engine.dataReceived('j4'), 'startBatch')[0]).toMatchObject({
      batchId: 2,
      fnIndex: 1,
      jobIds: ['j1', 'j2', 'j3', 'j4'],
    });
    q.advance(100);
    const done = q.engine.batchFinished(2, { ok: true, results: ['r1', 'r2', 'r3', 'r4'] });
    expect(only(done, 'end').map((e) => [e.jobId, e.outcome])).toEqual(
      ['j1', 'j2', 'j3', 'j4'].map((id, i) => [
        id,
        { status: 'success', result: `r${i + 1}`, duration: 0.1, averageDuration: 0.1 },
      ]),
    );
    expect(brief(done)).toContain('requestData j6');
    q.engine.dataReceived('j5');
    expect(only(q.engine.dataReceived('j6'), 'startBatch')[0]?.jobIds).toEqual(['j5', 'j6']);
    expect(q.engine.stats().batchSizes).toEqual({ 1: 1, 2: 1, 4: 1 });
  });

  it('takes jobs of the batch’s endpoint from anywhere in the line', () => {
    const q = blocked([batched({ maxBatchSize: 3, expectedDurationMs: 1_000 }), { expectedDurationMs: 1_000 }]);
    for (const [id, fn] of [
      ['a1', 1],
      ['b1', 2],
      ['a2', 1],
      ['b2', 2],
      ['a3', 1],
      ['a4', 1],
    ] as const) {
      q.engine.join(id, fn);
    }
    q.advance(100);
    const effects = q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(brief(effects).filter((s) => !s.startsWith('scheduleTick'))).toEqual([
      'end blocker success',
      'requestData a1',
      'requestData a2',
      'requestData a3',
      // Everyone left behind moved up.
      'estimate b1 0',
      'estimate b2 1',
      'estimate a4 2',
    ]);
  });
});

describe('QueueEngine: cancel', () => {
  it('removes a waiting job at once; everyone behind moves up and hears about it', () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    for (const id of ['a', 'b', 'c']) q.engine.join(id, 0);
    // b and c were told 3 s and 4 s: they may hear again 300 and 400 ms later.
    q.advance(400);
    const effects = q.engine.cancel('a');
    expect(effects).toContainEqual({ type: 'end', jobId: 'a', outcome: { status: 'cancelled' } });
    const estimates = only(effects, 'estimate');
    expect(estimates.map((e) => [e.jobId, e.estimation.rank, e.estimation.queueSize])).toEqual([
      ['b', 0, 2],
      ['c', 1, 2],
    ]);
    // The slot frees at 1 s; b then runs 1 s: 1.6 s from now.
    expect(estimates[0]?.estimation.rankEta).toBeCloseTo(1.6);
    expect(q.engine.cancel('a')).toEqual([]);
    expect(q.engine.stats()).toMatchObject({ waiting: 2, cancelled: 1 });
  });

  it('drops a job that awaits its data; the rest of the batch starts without it', () => {
    const q = setup({ endpoints: [batched()] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('b');
    const effects = q.engine.cancel('a');
    expect(brief(effects)).toEqual(['end a cancelled', 'startBatch 2 [b]', 'cancelTick']);
  });

  it('frees the slot when the last member awaiting data leaves', () => {
    const q = setup();
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled', 'requestData b']);
  });

  it('ends running members at once, aborts when all are gone, frees the slot on finish', () => {
    const q = setup({ endpoints: [batched()] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('a');
    q.engine.dataReceived('b');
    q.engine.join('c', 0);
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled']);
    // c's estimate is looked at again at most 100 ms after the last look (at 0).
    expect(brief(q.engine.cancel('b'))).toEqual(['end b cancelled', 'abort 2 cancelled', 'scheduleTick 100']);
    expect(q.engine.stats()).toMatchObject({ busySlots: 1, running: 0, waiting: 1 });
    expect(brief(q.engine.batchFinished(2, { ok: true, results: [1, 2] }))).toEqual(['requestData c']);
  });

  it('delivers a partly cancelled batch to the members still there', () => {
    const q = setup({ endpoints: [batched()] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('a');
    q.engine.dataReceived('b');
    q.engine.cancel('a');
    expect(only(q.engine.batchFinished(2, { ok: true, results: ['A', 'B'] }), 'end')).toEqual([
      { type: 'end', jobId: 'b', outcome: { status: 'success', result: 'B', duration: 0, averageDuration: 0 } },
    ]);
  });
});

describe('QueueEngine: timeouts', () => {
  it('ends a member that sends no data in time; the rest proceed', () => {
    const q = setup({ dataTimeoutMs: 1_000, endpoints: [batched()] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.advance(500);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('a');
    q.advance(500);
    // The tick asked for at the blocker's data deadline (1 s) finds nothing due and asks for b's.
    expect(brief(q.engine.tick())).toEqual(['scheduleTick 1500']);
    q.advance(500);
    expect(q.engine.tick()).toEqual([
      { type: 'end', jobId: 'b', outcome: { status: 'timeout', phase: 'data', limitMs: 1_000 } },
      { type: 'startBatch', batchId: 2, fnIndex: 0, jobIds: ['a'], expectedDuration: 0.5 },
    ]);
  });

  it('frees the slot of a batch whose every member timed out', () => {
    const q = setup({ dataTimeoutMs: 1_000 });
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.advance(1_000);
    expect(brief(q.engine.tick())).toEqual(['end a timeout', 'requestData b', 'scheduleTick 2000']);
    expect(q.engine.stats().failed).toBe(1);
  });

  it('aborts a batch past timeoutMs, frees its slot at once and ignores its late finish', () => {
    const q = setup({ endpoints: [batched({ timeoutMs: 500 })] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('a');
    // The blocker's run deadline (500) is already asked for.
    expect(brief(q.engine.dataReceived('b'))).toEqual(['startBatch 2 [a,b]']);
    q.engine.join('c', 0);
    q.advance(500);
    expect(q.engine.tick()).toEqual([
      { type: 'abort', batchId: 2, reason: 'timeout' },
      { type: 'end', jobId: 'a', outcome: { status: 'timeout', phase: 'run' } },
      { type: 'end', jobId: 'b', outcome: { status: 'timeout', phase: 'run' } },
      { type: 'requestData', jobId: 'c' },
      { type: 'scheduleTick', at: 60_500 },
    ]);
    expect(q.engine.batchFinished(2, { ok: true, results: [1, 2] })).toEqual([]);
  });

  it('frees the slot of an aborted batch whose handler hangs past timeoutMs', () => {
    const q = setup({ endpoints: [{ timeoutMs: 500 }] });
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled', 'abort 1 cancelled']);
    q.engine.join('b', 0);
    q.advance(500);
    expect(brief(q.engine.tick())).toEqual(['abort 1 timeout', 'requestData b', 'scheduleTick 60500']);
  });
});

describe('QueueEngine: ticks', () => {
  it('says when no tick is needed any more, so an idle host holds no timer', () => {
    const q = setup({ endpoints: [{ timeoutMs: 1_000 }] });
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'requestData a', 'scheduleTick 60000']);
    expect(brief(q.engine.dataReceived('a'))).toEqual(['startBatch 1 [a]', 'scheduleTick 1000']);
    q.advance(10);
    // The run deadline it asked a tick for went with the batch.
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end a success', 'cancelTick']);
    expect(allZero(q.engine.internalSizes())).toBe(true);
    // Asked again for the next deadline, and only once told it is not needed.
    expect(brief(q.engine.join('b', 0))).toEqual(['estimate b 0', 'requestData b', 'scheduleTick 60010']);
    expect(brief(q.engine.cancel('b'))).toEqual(['end b cancelled', 'cancelTick']);
    expect(q.engine.tick()).toEqual([]);
  });
});

describe('QueueEngine: concurrency', () => {
  it('shares concurrencyCount slots among endpoints and honours concurrencyLimit', () => {
    const q = setup({ concurrencyCount: 2, endpoints: [{ concurrencyLimit: 1 }, {}] });
    expect(brief(q.engine.join('a1', 0))).toContain('requestData a1');
    expect(brief(q.engine.join('a2', 0))).not.toContain('requestData a2');
    // a2 cannot use the free slot: its endpoint is at its limit. b1 may.
    expect(brief(q.engine.join('b1', 1))).toContain('requestData b1');
    expect(brief(q.engine.join('b2', 1))).not.toContain('requestData b2');
    q.engine.dataReceived('a1');
    expect(q.engine.stats()).toMatchObject({ busySlots: 2, running: 2, waiting: 2 });
    // The oldest waiting job, a2, gets the slot a1 leaves.
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toContain('requestData a2');
  });

  it('gives a slot freed by another endpoint to the oldest job under its limit', () => {
    const q = setup({ concurrencyCount: 2, endpoints: [{ concurrencyLimit: 1 }, {}] });
    q.engine.join('a1', 0);
    q.engine.join('b1', 1);
    q.engine.join('a2', 0);
    q.engine.join('b2', 1);
    q.engine.dataReceived('b1');
    // a2 is older, but endpoint 0 is still at its limit: b2 takes b1's slot.
    expect(brief(q.engine.batchFinished(2, { ok: true, results: [0] }))).toContain('requestData b2');
  });
});

describe('QueueEngine: maxBatchDelayMs', () => {
  it('holds a short batch open until its oldest member has waited the delay', () => {
    const q = setup({ endpoints: [batched({ maxBatchSize: 4, maxBatchDelayMs: 100 })] });
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'requestData a', 'scheduleTick 100']);
    q.engine.dataReceived('a');
    q.advance(50);
    // Joins the open batch at once: it never waits in the line.
    expect(brief(q.engine.join('b', 0))).toEqual(['estimate b 0', 'requestData b']);
    q.engine.dataReceived('b');
    q.advance(50);
    expect(brief(q.engine.tick())).toEqual(['startBatch 1 [a,b]']);
  });

  it('starts as soon as the batch is full', () => {
    const q = setup({ endpoints: [batched({ maxBatchSize: 2, maxBatchDelayMs: 100 })] });
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    q.engine.join('b', 0);
    expect(brief(q.engine.dataReceived('b'))).toEqual(['startBatch 1 [a,b]', 'cancelTick']);
  });

  it('does not wait for a job that has already waited the delay in the line', () => {
    const q = setup({ endpoints: [{}, batched({ maxBatchSize: 4, maxBatchDelayMs: 100 })] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.engine.join('a', 1);
    q.advance(150);
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual([
      'end blocker success',
      'requestData a',
      'scheduleTick 60150',
    ]);
    expect(brief(q.engine.dataReceived('a'))).toEqual(['startBatch 2 [a]', 'cancelTick']);
  });

  it('holds its one slot while gathering: the head of the line blocks that slot only', () => {
    const q = setup({ concurrencyCount: 2, endpoints: [batched({ maxBatchDelayMs: 100 }), {}] });
    q.engine.join('a', 0);
    expect(brief(q.engine.join('x', 1))).toContain('requestData x');
    expect(brief(q.engine.join('y', 1))).toEqual(['estimate y 0']);
    q.engine.dataReceived('a');
    q.advance(100);
    expect(brief(q.engine.tick())).toEqual(['startBatch 1 [a]', 'scheduleTick 60000']);
  });

  it('frees the slot when every gathering member leaves', () => {
    const q = setup({ endpoints: [batched({ maxBatchDelayMs: 100 }), {}] });
    q.engine.join('a', 0);
    q.engine.join('x', 1);
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled', 'requestData x']);
  });
});

describe('QueueEngine: status updates', () => {
  it("'auto' coalesces news: a job hears again a tenth of its wait later, at least 100 ms", () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    // Told at 0 to complete in 2, 3, 4 and 5 s: each may hear again 200, 300, 400, 500 ms later.
    for (const id of ['a', 'b', 'c', 'd']) q.engine.join(id, 0);
    q.advance(30);
    // The line is looked at now; b, c and d moved up, but their news waits: b's may go at 300 ms.
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled', 'scheduleTick 300']);
    q.advance(30);
    // The line moved again; it is looked at 100 ms after the last look.
    expect(brief(q.engine.cancel('b'))).toEqual(['end b cancelled', 'scheduleTick 130']);
    q.advance(70);
    expect(brief(q.engine.tick())).toEqual(['scheduleTick 400']);
    q.advance(270);
    expect(brief(q.engine.tick())).toEqual(['estimate c 0', 'scheduleTick 500']);
    q.advance(100);
    expect(brief(q.engine.tick())).toEqual(['estimate d 1', 'scheduleTick 1000']);
    q.advance(100);
    expect(only(q.engine.tick(), 'estimate')).toEqual([]);
  });

  it("'auto' looks again while a batch runs past its expected time", () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    // a is told 2 s; the engine wants to look again when `run` should end.
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'scheduleTick 1000']);
    q.advance(1_000);
    expect(brief(q.engine.tick())).toEqual(['scheduleTick 2000']);
    q.advance(1_000);
    // Still running: a now completes at 3 s at the earliest, 1 s later than it was told.
    const [estimate] = only(q.engine.tick(), 'estimate');
    expect(estimate?.estimation).toMatchObject({ rank: 0, rankEta: 1 });
  });

  it("'auto' tells news at once when the line was not looked at for 100 ms", () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    for (const id of ['a', 'b']) q.engine.join(id, 0);
    q.advance(500);
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled', 'estimate b 0']);
  });

  it("'auto' stays quiet when only time passed, and speaks when an ETA moves", () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.advance(400);
    // A join behind `a` changes neither its rank nor its ETA.
    expect(brief(q.engine.join('b', 0))).toEqual(['estimate b 1']);
    q.advance(600);
    // The run took 1 s as expected: a's ETA holds, b's too.
    const finished = q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(brief(finished)).toEqual(['end run success', 'requestData a', 'estimate b 0']);
  });

  it('a number N sends every waiting job an estimate every N seconds', () => {
    const q = setup({ statusUpdateRate: 2, endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(brief(q.engine.join('a', 0))).toEqual(['estimate a 0', 'scheduleTick 2000']);
    q.advance(500);
    expect(brief(q.engine.join('b', 0))).toEqual(['estimate b 1']);
    expect(brief(q.engine.cancel('a'))).toEqual(['end a cancelled']);
    q.advance(1_500);
    expect(brief(q.engine.tick())).toEqual(['estimate b 0', 'scheduleTick 4000']);
    q.engine.cancel('b');
    q.advance(2_000);
    expect(q.engine.tick()).toEqual([]);
  });

  it('answers GET /queue/status with rank null', () => {
    const q = setup({ concurrencyCount: 2, endpoints: [{ expectedDurationMs: 2_000 }] });
    for (const id of ['a', 'b', 'c']) q.engine.join(id, 0);
    q.engine.dataReceived('a');
    q.engine.dataReceived('b');
    expect(q.engine.queueEstimation()).toEqual({
      rank: null,
      queueSize: 1,
      rankEta: null,
      queueEta: 4,
      avgEventProcessTime: null,
      avgEventConcurrentProcessTime: null,
    });
    q.advance(1_000);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(q.engine.queueEstimation()).toMatchObject({ avgEventProcessTime: 1, avgEventConcurrentProcessTime: 0.5 });
  });
});

describe('QueueEngine: ETA', () => {
  it('tells each rank when it completes, from learned batch times', () => {
    const q = setup({ concurrencyCount: 2 });
    // Learn S(1) = 10 s.
    q.engine.join('x', 0);
    q.engine.dataReceived('x');
    q.advance(10_000);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    // Two running since t=10 s and t=12 s.
    q.engine.join('r1', 0);
    q.engine.dataReceived('r1');
    q.advance(2_000);
    q.engine.join('r2', 0);
    q.engine.dataReceived('r2');
    q.advance(2_000);
    const etas = ['w0', 'w1', 'w2'].map((id) => only(q.engine.join(id, 0), 'estimate').find((e) => e.jobId === id));
    // now = 14 s; slots free at 20 s and 22 s.
    expect(etas.map((e) => e?.estimation.rankEta)).toEqual([16, 18, 26]);
    expect(etas[2]?.estimation.queueEta).toBe(26);
  });

  it('learns S(b) from batches of two sizes and groups the line into batches', () => {
    const q = setup({ endpoints: [batched({ maxBatchSize: 4 })] });
    /** Last expected completion (clock ms) each job was told. */
    const completes = new Map<string, number>();
    const run = (effects: Effect[]): void => {
      for (const e of only(effects, 'estimate')) {
        completes.set(e.jobId, q.now + (e.estimation.rankEta as number) * 1_000);
      }
    };
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    q.engine.join('b', 0);
    q.engine.join('c', 0);
    q.advance(1_250); // S(1) = 1.25 s
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('b');
    q.engine.dataReceived('c');
    const later = ['r1', 'r2', 'r3', 'r4', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    for (const id of later) q.engine.join(id, 0);
    q.advance(1_500); // S(2) = 1.5 s, so S(b) = 1 s + 0.25 s·b
    run(q.engine.batchFinished(2, { ok: true, results: [0, 0] }));
    for (const id of ['r1', 'r2', 'r3', 'r4']) run(q.engine.dataReceived(id));
    // Everyone hears within a tenth of the wait it was told last (< 1 s here).
    for (let i = 0; i < 10; i++) {
      q.advance(100);
      run(q.engine.tick());
    }
    // r1–r4 started at 2.75 s and take S(4) = 2 s; then w1–w4 take 2 s. w5–w6's batch forms at
    // 6.75 s: at the rate jobs joined so far (12 in 2.85 s), two more are expected by then, so S(4).
    expect(['w1', 'w4', 'w5', 'w6'].map((id) => Math.round(completes.get(id) as number))).toEqual([
      6_750, 6_750, 8_750, 8_750,
    ]);
  });

  it('tells a job that joins just after the line moved where it stands, not in a batch already running', () => {
    const q = setup({ endpoints: [batched({ maxBatchSize: 4 })] });
    // Learn S(b) = 100 ms + 25 ms·b from a batch of 1 (125 ms) and one of 2 (150 ms).
    q.engine.join('x', 0);
    q.engine.dataReceived('x');
    q.engine.join('y1', 0);
    q.engine.join('y2', 0);
    q.advance(125);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    q.engine.dataReceived('y1');
    q.engine.dataReceived('y2');
    q.advance(150);
    q.engine.batchFinished(2, { ok: true, results: [0, 0] });
    // r runs; a and b wait behind it and are told where they stand.
    q.engine.join('r', 0);
    q.engine.dataReceived('r');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.advance(125);
    // r ends; a and b start as a batch of 2 (150 ms). c joins 10 ms later.
    q.engine.batchFinished(3, { ok: true, results: [0] });
    q.engine.dataReceived('a');
    q.engine.dataReceived('b');
    q.advance(10);
    const [estimate] = only(q.engine.join('c', 0), 'estimate');
    // c waits for a and b (140 ms left), then runs in a batch of its own: at least S(1) = 125 ms.
    expect(estimate?.estimation.rankEta).toBeGreaterThanOrEqual(0.14 + 0.125);
  });

  it('never tells a job it completes before its own run, behind a batch that overran', () => {
    const q = setup({ endpoints: [{ expectedDurationMs: 50 }] });
    q.engine.join('blocker', 0);
    q.engine.dataReceived('blocker');
    q.advance(200); // expected to end at 50 ms; still running
    const [estimate] = only(q.engine.join('a', 0), 'estimate');
    expect(estimate?.estimation.rankEta).toBeCloseTo(0.05);
  });

  it('is null before any timing is known', () => {
    const q = setup();
    q.engine.join('a', 0);
    const [estimate] = only(q.engine.join('b', 0), 'estimate');
    expect(estimate?.estimation).toMatchObject({ rank: 0, rankEta: null, avgEventProcessTime: null });
  });
});

describe('QueueEngine: shutdown', () => {
  it('refuses new joins, ends waiting jobs, lets running ones finish', () => {
    const q = setup({ endpoints: [batched({ maxBatchDelayMs: 100 }), {}] });
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    q.engine.join('b', 0);
    q.engine.dataReceived('b');
    q.engine.join('c', 1);
    // The gathering batch closes now: nobody else can join it.
    expect(brief(q.engine.shutdown())).toEqual(['end c shutdown', 'startBatch 1 [a,b]', 'cancelTick']);
  });

  it('ends every waiting job with shutdown and rejects later joins', () => {
    const q = setup();
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    q.engine.join('b', 0);
    q.engine.join('c', 0);
    expect(brief(q.engine.shutdown())).toEqual(['end b shutdown', 'end c shutdown']);
    expect(q.engine.shutdown()).toEqual([]);
    expect(only(q.engine.join('d', 0), 'reject')[0]).toMatchObject({ reason: 'shutting_down' });
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end a success']);
    expect(allZero(q.engine.internalSizes())).toBe(true);
  });
});
