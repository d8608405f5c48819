import { describe, expect, it } from 'vitest';
import { brief, fakeClockEngine, only } from './test-utils.js';
import type { Effect, EndpointOptions } from './types.js';

const batched = (options: EndpointOptions = {}): EndpointOptions => ({ batch: true, ...options });

/** The jobs an event asked for their data. */
const asked = (effects: Effect[]): string[] => only(effects, 'requestData').map((e) => e.jobId);

describe('QueueEngine: data prefetch', () => {
  it('asks the next batch for its data while a batch runs, and starts it at once when the slot frees', () => {
    const q = fakeClockEngine({ prefetchGraceMs: 500, endpoints: [batched({ maxBatchSize: 4 })] });
    q.engine.join('a', 0);
    q.engine.dataReceived('a');
    // b..e would make up the next batch: asked while they wait, each after its first estimate.
    // a's data deadline went when its data came (cancelTick): b's grace (prefetchGraceMs) is the next to time.
    expect(brief(q.engine.join('b', 0))).toEqual(['estimate b 0', 'requestData b', 'scheduleTick 500']);
    expect(['c', 'd', 'e'].flatMap((id) => asked(q.engine.join(id, 0)))).toEqual(['c', 'd', 'e']);
    // One full batch per slot is the bound: f waits unasked.
    expect(asked(q.engine.join('f', 0))).toEqual([]);
    expect(q.engine.stats()).toMatchObject({ waiting: 5, running: 1 });
    for (const id of ['b', 'c', 'd', 'e']) q.engine.dataReceived(id);
    q.advance(1_000);
    const finished = q.engine.batchFinished(1, { ok: true, results: ['A'] });
    // No round trip between a's end and the next start. f moves into the next batch and hears its new
    // place; it is asked in the next event, once that estimate is out (a tick asked for at once).
    expect(brief(finished)).toEqual(['end a success', 'startBatch 2 [b,c,d,e]', 'estimate f 0', 'scheduleTick 1000']);
    expect(asked(q.engine.tick())).toEqual(['f']);
    expect(q.engine.internalSizes().prefetched).toBe(1);
  });

  it('keeps a prefetched job waiting: its rank, estimates and place under maxSize', () => {
    const q = fakeClockEngine({ maxSize: 2, endpoints: [batched({ maxBatchSize: 2, expectedDurationMs: 1_000 })] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(asked(q.engine.join('x', 0))).toEqual(['x']);
    expect(asked(q.engine.join('a', 0))).toEqual(['a']);
    q.engine.dataReceived('a');
    expect(q.engine.rank('x')).toBe(0);
    expect(q.engine.rank('a')).toBe(1);
    expect(brief(q.engine.join('c', 0))).toEqual(['reject c queue_full']);
    // The line moves (x leaves): a, asked and answered, still hears where it stands.
    q.advance(1_000);
    const effects = q.engine.cancel('x');
    expect(only(effects, 'estimate').map((e) => [e.jobId, e.estimation.rank, e.estimation.queueSize])).toEqual([
      ['a', 0, 1],
    ]);
  });

  it('is bounded by one full batch per slot, whatever the line', () => {
    const q = fakeClockEngine({ concurrencyCount: 2, endpoints: [batched({ maxBatchSize: 3 })] });
    const all: string[] = [];
    for (let i = 0; i < 50; i++) all.push(...asked(q.engine.join(`j${i}`, 0)));
    // j0 and j1 took the two free slots at once; the next two batches (j2..j7) wait with data asked.
    expect(all).toEqual(Array.from({ length: 8 }, (_, i) => `j${i}`));
    expect(q.engine.internalSizes().prefetched).toBe(6);
  });

  it('asks only the jobs of the next batches: an endpoint whose turn has not come waits unasked', () => {
    const q = fakeClockEngine({ endpoints: [batched({ maxBatchSize: 2 }), {}] });
    q.engine.join('run', 1);
    q.engine.dataReceived('run');
    // The next batch is a1's endpoint's (a1 is oldest) and takes a2 from behind b1; b1 is not in it.
    expect(['a1', 'b1', 'a2', 'a3'].flatMap((id) => asked(q.engine.join(id, id.startsWith('a') ? 0 : 1)))).toEqual([
      'a1',
      'a2',
    ]);
  });

  it('does not ask twice: a prefetched job that is picked before it answers keeps its deadline', () => {
    const q = fakeClockEngine({ dataTimeoutMs: 1_000, prefetchGraceMs: 500 });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(asked(q.engine.join('a', 0))).toEqual(['a']);
    q.advance(400);
    // a is picked without a second send_data; its slot waits for the rest of its 1 s, not 1 s more.
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end run success']);
    expect(q.engine.stats()).toMatchObject({ waiting: 0, running: 1, busySlots: 1 });
    q.advance(600);
    expect(brief(q.engine.tick())).toEqual(['end a timeout']);
    expect(q.engine.stats().busySlots).toBe(0);
  });

  it('a prefetched job whose data never comes holds no slot, and times out while it waits', () => {
    const q = fakeClockEngine({ dataTimeoutMs: 1_000, prefetchGraceMs: 500, endpoints: [{}] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    expect(asked(q.engine.join('silent', 0))).toEqual(['silent']);
    q.engine.join('next', 0);
    q.advance(1_000);
    // Its deadline passes while the slot is still busy: it leaves the line, and next moves up and is asked.
    const effects = q.engine.tick();
    expect(brief(effects)).toEqual(['end silent timeout', 'estimate next 0', 'scheduleTick 1000']);
    expect(only(effects, 'end')[0]?.outcome).toEqual({ status: 'timeout', phase: 'data', limitMs: 1_000 });
    // Its grace is the next deadline (prefetchGraceMs), then its data deadline.
    expect(brief(q.engine.tick())).toEqual(['requestData next', 'scheduleTick 1500']);
    q.engine.dataReceived('next');
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual([
      'end run success',
      'startBatch 2 [next]',
    ]);
  });

  it('a batch with room takes a job ahead that has not answered along with a ready one; it waits for it', () => {
    const q = fakeClockEngine({ endpoints: [batched({ maxBatchSize: 2 })] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.dataReceived('b');
    expect(brief(q.engine.batchFinished(1, { ok: true, results: [0] }))).toEqual(['end run success']);
    expect(q.engine.rank('b')).toBeUndefined();
    expect(brief(q.engine.dataReceived('a'))).toEqual(['startBatch 2 [a,b]', 'cancelTick']);
  });

  it('cancelling a prefetched job removes it and its data; the next in line takes its place', () => {
    const q = fakeClockEngine({ endpoints: [batched({ maxBatchSize: 2 })] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    for (const id of ['a', 'b', 'c']) q.engine.join(id, 0);
    q.engine.dataReceived('a');
    q.engine.dataReceived('b');
    expect(brief(q.engine.cancel('a')).filter((e) => !e.startsWith('scheduleTick'))).toEqual(['end a cancelled']);
    // Data for a job that has gone is ignored.
    expect(q.engine.dataReceived('a')).toEqual([]);
    // c moved up into the next batch: asked once it has heard its new place (the next look), in the event after.
    q.advance(100);
    expect(brief(q.engine.tick())).toEqual(['estimate b 0', 'estimate c 1', 'scheduleTick 100']);
    expect(asked(q.engine.tick())).toEqual(['c']);
    q.engine.dataReceived('c');
    expect(only(q.engine.batchFinished(1, { ok: true, results: [0] }), 'startBatch')[0]?.jobIds).toEqual(['b', 'c']);
  });

  it("asks a job that moved up into the next batches once it has heard its new place ('auto')", () => {
    // Clients that stop showing the queue at send_data (Gradio 3 meant "picked") keep a current place.
    const q = fakeClockEngine({ endpoints: [{}] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.dataReceived('a');
    // a is picked and starts at once; b, now first, has not heard so within 100 ms of its estimate.
    expect(
      brief(q.engine.batchFinished(1, { ok: true, results: [0] })).filter((e) => !e.startsWith('scheduleTick')),
    ).toEqual(['end run success', 'startBatch 2 [a]']);
    q.advance(100);
    expect(brief(q.engine.tick())).toEqual(['estimate b 0', 'scheduleTick 100']);
    expect(asked(q.engine.tick())).toEqual(['b']);
  });

  it('ends prefetched jobs at shutdown like any waiting job, and leaves nothing behind', () => {
    const q = fakeClockEngine({ endpoints: [batched({ maxBatchSize: 2 })] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    q.engine.dataReceived('a');
    expect(brief(q.engine.shutdown())).toEqual(['end a shutdown', 'end b shutdown', 'cancelTick']);
    q.engine.batchFinished(1, { ok: true, results: [0] });
    expect(Object.values(q.engine.internalSizes()).every((n) => n === 0)).toBe(true);
  });

  it('asks nobody early with prefetchData false', () => {
    const q = fakeClockEngine({ prefetchData: false, endpoints: [batched()] });
    q.engine.join('run', 0);
    expect(['a', 'b', 'c'].flatMap((id) => asked(q.engine.join(id, 0)))).toEqual([]);
  });

  it('counts an endpoint’s next batch within its concurrencyLimit', () => {
    const q = fakeClockEngine({ concurrencyCount: 3, endpoints: [{ concurrencyLimit: 1 }, {}] });
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    // Two slots are free but endpoint 0 may hold one: a waits, and is asked as its next batch; b is not.
    expect(asked(q.engine.join('a', 0))).toEqual(['a']);
    expect(asked(q.engine.join('b', 0))).toEqual([]);
  });
});
