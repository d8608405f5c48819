import { describe, expect, it } from 'vitest';
import { QueueOptionRangeError, QueueOptionTypeError } from './errors.js';
import { fakeClockEngine, only } from './test-utils.js';
import type { Effect, Estimation, QueueOptions } from './types.js';

// Peer slots (issue 23): several processes share one line; each engine dispatches to its own slots,
// but its ETAs count every process's slots and the batches running there.

type Engine = ReturnType<typeof fakeClockEngine>;

/** What each job last heard, by engine. */
function listener() {
  const heard = new Map<string, Estimation>();
  return {
    heard,
    take(effects: Effect[]): Effect[] {
      for (const e of only(effects, 'estimate')) heard.set(e.jobId, e.estimation);
      return effects;
    },
  };
}

/** A local batch of one that starts now: join, data in. */
function startLocal(q: Engine, take: (e: Effect[]) => Effect[], id: string): void {
  take(q.engine.join(id, 0));
  take(q.engine.dataReceived(id));
}

describe('QueueEngine: peers', () => {
  it('validates the peers’ slot count', () => {
    const q = fakeClockEngine();
    expect(() => q.engine.peers(-1)).toThrow(QueueOptionRangeError);
    expect(() => q.engine.peers(1.5)).toThrow('peers: expected an integer ≥ 0, got 1.5');
    expect(() => q.engine.peers('2' as unknown as number)).toThrow(QueueOptionTypeError);
    expect(() => q.engine.peers(2)).not.toThrow();
  });

  it('gives the same ETAs on 1 slot + 2 peer slots as one engine with 3 slots running the same batches', () => {
    const options: Omit<Partial<QueueOptions>, 'clock'> = {
      endpoints: [{ batch: true, maxBatchSize: 2, expectedDurationMs: 1_000 }],
    };
    const shared = fakeClockEngine({ ...options, concurrencyCount: 1 });
    const alone = fakeClockEngine({ ...options, concurrencyCount: 3 });
    const a = listener();
    const b = listener();
    a.take(shared.engine.peers(2));
    const advance = (ms: number): void => {
      shared.advance(ms);
      alone.advance(ms);
    };

    // One round at a time: three batches of one start, one here and two elsewhere (the shared engine
    // sees those jobs join its mirror of the line, then leave it, taken by their process).
    const round = (k: string): void => {
      startLocal(shared, a.take, `${k}1`);
      for (const id of [`${k}1`, `${k}2`, `${k}3`]) startLocal(alone, b.take, id);
      for (const id of [`${k}2`, `${k}3`]) {
        a.take(shared.engine.join(id, 0));
        a.take(shared.engine.release(id));
        a.take(shared.engine.peerBatchStarted(`peer-${id}`, 0, 1));
      }
    };
    round('j');
    // Service times learned from every process: batches end after 0.8, 1.0 and 1.2 s.
    advance(800);
    a.take(shared.engine.peerBatchFinished('peer-j3', 0.8, true));
    b.take(alone.engine.batchFinished(3, { ok: true, results: [0] }));
    advance(200);
    a.take(shared.engine.batchFinished(1, { ok: true, results: [0] }));
    b.take(alone.engine.batchFinished(1, { ok: true, results: [0] }));
    advance(200);
    a.take(shared.engine.peerBatchFinished('peer-j2', 1.2, true));
    b.take(alone.engine.batchFinished(2, { ok: true, results: [0] }));

    round('k');
    advance(100);
    for (let i = 0; i < 7; i++) {
      a.take(shared.engine.join(`w${i}`, 0));
      b.take(alone.engine.join(`w${i}`, 0));
      advance(10);
    }
    const waiting = Array.from({ length: 7 }, (_, i) => `w${i}`);
    expect(waiting.map((id) => a.heard.get(id))).toEqual(waiting.map((id) => b.heard.get(id)));
    expect(a.heard.get('w6')?.rankEta).toBeGreaterThan(0);
    expect(shared.engine.queueEstimation()).toEqual(alone.engine.queueEstimation());

    // The running batches overrun their expected end: everyone behind slips, alike in both.
    advance(2_000);
    a.take(shared.engine.tick());
    b.take(alone.engine.tick());
    expect(waiting.map((id) => a.heard.get(id))).toEqual(waiting.map((id) => b.heard.get(id)));
    expect(shared.engine.queueEstimation()).toEqual(alone.engine.queueEstimation());
  });

  it('dispatches to its own slots only', () => {
    const q = fakeClockEngine({ concurrencyCount: 1 });
    q.engine.peers(5);
    q.engine.join('a', 0);
    q.engine.join('b', 0);
    expect(q.engine.stats()).toMatchObject({ busySlots: 1, waiting: 1 });
  });

  it('re-tells the line when a peer batch starts or ends, and ignores unknown keys', () => {
    const q = fakeClockEngine({ statusUpdateRate: 'auto', endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.peers(1);
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    q.engine.join('w', 0);
    q.advance(1_000);
    // The only other slot is taken: w now waits for the local one (free at 1 s) rather than for that one.
    const before = only(q.engine.peerBatchStarted('p', 0, 1), 'estimate');
    expect(before.map((e) => e.jobId)).toEqual(['w']);
    expect(q.engine.peerBatchStarted('p', 0, 1)).toEqual([]);
    expect(q.engine.peerBatchFinished('unknown', 1, true)).toEqual([]);
    q.advance(1_000);
    expect(q.engine.peerBatchFinished('p', 1, true).length).toBeGreaterThan(0);
    expect(q.engine.internalSizes()).toMatchObject({ peerBatches: 0 });
  });

  it('learns service times from peers’ batches that ended ok, not from failed ones', () => {
    const q = fakeClockEngine({ endpoints: [{}] });
    q.engine.peers(1);
    q.engine.peerBatchStarted('failed', 0, 1);
    q.engine.peerBatchFinished('failed', 9, false);
    expect(q.engine.queueEstimation().avgEventProcessTime).toBeNull();
    q.engine.peerBatchStarted('ok', 0, 1);
    q.engine.peerBatchFinished('ok', 2, true);
    expect(q.engine.queueEstimation()).toMatchObject({ avgEventProcessTime: 2, avgEventConcurrentProcessTime: 1 });
    // A waiting job is told the time learned from the peer's batch: both slots busy for 2 s, then its own 2 s.
    q.engine.peerBatchStarted('busy', 0, 1);
    q.engine.join('run', 0);
    q.engine.dataReceived('run');
    const [told] = only(q.engine.join('w', 0), 'estimate');
    expect(told?.estimation.rankEta).toBe(4);
  });

  it('drops the oldest peer batches past the peers’ slots: their process went away before it said they ended', () => {
    const q = fakeClockEngine({ endpoints: [{ expectedDurationMs: 1_000 }] });
    q.engine.peers(2);
    for (const key of ['p1', 'p2', 'p3']) q.engine.peerBatchStarted(key, 0, 1);
    expect(q.engine.internalSizes()).toMatchObject({ peerBatches: 2 });
    expect(q.engine.peerBatchFinished('p1', 1, true)).toEqual([]);
    q.engine.peers(0);
    expect(q.engine.internalSizes()).toMatchObject({ peerBatches: 0 });
  });
});
