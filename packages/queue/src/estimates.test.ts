import { describe, expect, it } from 'vitest';
import { AUTO_MAX_INTERVAL_MS, AUTO_MIN_INTERVAL_MS, EstimatePublisher, autoInterval } from './estimates.js';
import type { EstimateSource } from './estimates.js';
import type { Effect, Estimation } from './types.js';

/** A line whose job at each rank completes at `completions[rank]` (clock ms). */
function source(completions: number[], now: number): EstimateSource {
  const completion = (rank: number): number => completions[rank] ?? Infinity;
  return {
    completion,
    estimation: (rank): Estimation => ({
      rank,
      queueSize: completions.length,
      rankEta: completion(rank) === Infinity ? null : (completion(rank) - now) / 1000,
      queueEta: 0,
      avgEventProcessTime: null,
      avgEventConcurrentProcessTime: null,
    }),
  };
}

const line = (...ids: string[]) => ids.map((jobId) => ({ jobId }));
const told = (effects: Effect[]) =>
  effects.map((e) => (e.type === 'estimate' ? `${e.jobId}@${e.estimation.rank}` : e.type));

/** Tells each job its first estimate at `now`, as the engine does at join. */
function joined(publisher: EstimatePublisher, now: number, completions: number[], ...ids: string[]): void {
  const s = source(completions, now);
  ids.forEach((id, rank) => publisher.tell(now, id, s.estimation(rank), s.completion(rank)));
}

describe("EstimatePublisher ('auto')", () => {
  it('looks at the line only when it moved', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [1_000, 2_000], 'a', 'b');
    expect(p.due(500)).toBe(false);
    expect(p.nextDue()).toBeNull();
    p.moved();
    expect(p.due(500)).toBe(true);
  });

  it('tells a job whose rank moved, and nobody else', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [1_000, 2_000, 3_000], 'a', 'b', 'c');
    p.moved();
    // b left: c moved up, a did not; c's completion is unchanged.
    expect(told(p.publish(500, line('a', 'c'), source([1_000, 3_000], 500), new Set()))).toEqual(['c@1']);
  });

  it('tells an ETA that moved by more than 0.5 s or 5 %, and ignores time passing', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [10_000, 60_000], 'a', 'b');
    p.moved();
    // Same completion times, 6 s later: no news.
    expect(p.publish(6_000, line('a', 'b'), source([10_000, 60_000], 6_000), new Set())).toEqual([]);
    p.moved();
    // a: 0.4 s later (< 0.5 s) is no news; b: 2 s later, 54 s ahead (5 % = 2.7 s) is no news either.
    expect(p.publish(6_200, line('a', 'b'), source([10_400, 62_000], 6_200), new Set())).toEqual([]);
    p.moved();
    expect(told(p.publish(6_400, line('a', 'b'), source([10_600, 66_000], 6_400), new Set()))).toEqual(['a@0', 'b@1']);
  });

  it('tells an ETA that became known or unknown', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [Infinity], 'a');
    p.moved();
    expect(told(p.publish(200, line('a'), source([5_000], 200), new Set()))).toEqual(['a@0']);
  });

  it('holds news back for a tenth of the wait last told (at least 100 ms), and the line’s last look too', () => {
    expect([autoInterval(0, 500), autoInterval(0, 3_000), autoInterval(0, 600_000), autoInterval(0, Infinity)]).toEqual(
      [AUTO_MIN_INTERVAL_MS, 300, AUTO_MAX_INTERVAL_MS, AUTO_MIN_INTERVAL_MS],
    );
    const p = new EstimatePublisher('auto');
    // Told at 0 to complete in 1, 2 and 3 s: they may hear again at 100, 200 and 300 ms.
    joined(p, 0, [1_000, 2_000, 3_000], 'a', 'b', 'c');
    p.moved();
    // a left at 40 ms: b and c moved up; their news waits.
    expect(p.publish(40, line('b', 'c'), source([2_000, 3_000], 40), new Set())).toEqual([]);
    expect(p.nextDue()).toBe(200);
    expect(p.due(199)).toBe(false);
    expect(told(p.publish(200, line('b', 'c'), source([2_000, 3_000], 200), new Set()))).toEqual(['b@0']);
    expect(p.nextDue()).toBe(300);
    expect(told(p.publish(300, line('b', 'c'), source([2_000, 3_000], 300), new Set()))).toEqual(['c@1']);
    expect(p.nextDue()).toBeNull();
  });

  it('drops held-back news that went stale', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [1_000, 2_000], 'a', 'b');
    p.moved();
    p.publish(40, line('b'), source([2_000], 40), new Set());
    expect(p.internalSizes().estimatesPending).toBe(1);
    p.moved();
    // a came back (a host would not do that, but news can go stale): b is at rank 1 again.
    p.publish(150, line('a', 'b'), source([1_000, 2_000], 150), new Set());
    expect(p.internalSizes().estimatesPending).toBe(0);
  });

  it('always tells forced (new) jobs', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [1_000], 'a');
    p.moved();
    expect(told(p.publish(10, line('a', 'b'), source([1_000, 2_000], 10), new Set(['b'])))).toEqual(['b@1']);
  });

  it('forgets a job that left the line', () => {
    const p = new EstimatePublisher('auto');
    joined(p, 0, [1_000, 2_000], 'a', 'b');
    p.forget('a');
    p.forget('b');
    expect(Object.values(p.internalSizes())).toEqual([0, 0]);
  });
});

describe('EstimatePublisher (every N seconds)', () => {
  it('tells every waiting job every N seconds, from the first join', () => {
    const p = new EstimatePublisher(2);
    expect(p.nextDue()).toBeNull();
    joined(p, 100, [1_000, 2_000], 'a', 'b');
    expect(p.nextDue()).toBe(2_100);
    p.moved();
    expect(p.due(2_000)).toBe(false);
    expect(told(p.publish(2_100, line('a', 'b'), source([1_000, 2_000], 2_100), new Set()))).toEqual(['a@0', 'b@1']);
    expect(p.nextDue()).toBe(4_100);
    p.idle();
    expect(p.nextDue()).toBeNull();
  });
});
