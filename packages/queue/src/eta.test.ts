import { describe, expect, it } from 'vitest';
import { DispatchSimulation, simulateDispatch } from './eta.js';
import type { EtaEndpoint, EtaInput } from './eta.js';
import type { WaitingEntry } from './waiting-line.js';

function endpoint(serviceTime: (size: number) => number | null, options: Partial<EtaEndpoint> = {}): EtaEndpoint {
  return { maxBatchSize: 1, maxBatchDelayMs: 0, concurrencyLimit: Infinity, serviceTime, ...options };
}

/** Waiting jobs from endpoint indexes, oldest first, all joined at `joinedAt`. */
function waiting(fnIndexes: number[], joinedAt = 0): WaitingEntry[] {
  return fnIndexes.map((fnIndex, i) => ({ jobId: `j${i}`, fnIndex, joinedAt }));
}

function simulate(input: Partial<EtaInput> & Pick<EtaInput, 'endpoints' | 'waiting'>) {
  return simulateDispatch({ now: 0, concurrencyCount: 1, busy: [], ...input });
}

describe('simulateDispatch', () => {
  it('serves an unbatched line on two slots in turn', () => {
    // Two running jobs free at 10 s and 12 s; each job takes 10 s.
    const result = simulate({
      now: 4_000,
      concurrencyCount: 2,
      endpoints: [endpoint(() => 10_000)],
      busy: [
        { fnIndex: 0, freeAt: 10_000 },
        { fnIndex: 0, freeAt: 12_000 },
      ],
      waiting: waiting([0, 0, 0, 0, 0]),
    });
    expect(result.completions).toEqual([20_000, 22_000, 30_000, 32_000, 40_000]);
    expect(result.firstStart).toBe(10_000);
    expect(result.drained).toBe(40_000);
  });

  it('groups a batched endpoint into batches of maxBatchSize', () => {
    const result = simulate({
      endpoints: [endpoint((b) => 1_000 + 500 * b, { maxBatchSize: 4 })],
      waiting: waiting([0, 0, 0, 0, 0, 0]),
    });
    expect(result.completions).toEqual([3_000, 3_000, 3_000, 3_000, 5_000, 5_000]);
    expect(result.firstStart).toBe(0);
    expect(result.drained).toBe(5_000);
  });

  it('lets a batch take its endpoint’s jobs from behind other endpoints', () => {
    // A1 B1 A2 B2 A3 A4: A (batches of 3, 2 s) picks A1 A2 A3; then B1, B2 (1 s each); then A4.
    const result = simulate({
      endpoints: [endpoint(() => 2_000, { maxBatchSize: 3 }), endpoint(() => 1_000)],
      waiting: waiting([0, 1, 0, 1, 0, 0]),
    });
    expect(result.completions).toEqual([2_000, 3_000, 2_000, 4_000, 2_000, 6_000]);
  });

  it('respects concurrencyLimit: a free slot goes to the next endpoint with room, or idles', () => {
    const result = simulate({
      concurrencyCount: 2,
      endpoints: [endpoint(() => 1_000, { concurrencyLimit: 1 }), endpoint(() => 500)],
      busy: [{ fnIndex: 0, freeAt: 1_000 }],
      waiting: waiting([0, 1]),
    });
    expect(result.completions).toEqual([2_000, 500]);
    expect(result.firstStart).toBe(0);
  });

  it('marks a completion unknown (Infinity) only where a time is unknown', () => {
    const result = simulate({
      concurrencyCount: 2,
      endpoints: [endpoint(() => null), endpoint(() => 1_000)],
      waiting: waiting([0, 1, 1]),
    });
    expect(result.completions).toEqual([Infinity, 1_000, 2_000]);
    expect(result.drained).toBe(2_000);
  });

  it('leaves every job unknown when every slot frees at an unknown time', () => {
    const result = simulate({
      endpoints: [endpoint(() => 1_000)],
      busy: [{ fnIndex: 0, freeAt: Infinity }],
      waiting: waiting([0, 0]),
    });
    expect(result.completions).toEqual([Infinity, Infinity]);
    expect(result.firstStart).toBe(Infinity);
  });

  it('holds a short batch until its oldest member has waited maxBatchDelayMs', () => {
    const short = simulate({
      now: 200,
      endpoints: [endpoint(() => 1_000, { maxBatchSize: 4, maxBatchDelayMs: 300 })],
      waiting: waiting([0, 0], 100),
    });
    expect(short.completions).toEqual([1_400, 1_400]);
    const full = simulate({
      now: 200,
      endpoints: [endpoint(() => 1_000, { maxBatchSize: 2, maxBatchDelayMs: 300 })],
      waiting: waiting([0, 0], 100),
    });
    expect(full.completions).toEqual([1_200, 1_200]);
  });

  it('expects a batch that forms later to take the jobs that join meanwhile, up to maxBatchSize', () => {
    const at = (arrivalsPerMs: number) =>
      simulate({
        endpoints: [endpoint((b) => 1_000 + 500 * b, { maxBatchSize: 4, arrivalsPerMs })],
        busy: [{ fnIndex: 0, freeAt: 2_000 }],
        waiting: waiting([0]),
      }).completions;
    expect(at(0)).toEqual([3_500]);
    // One join per second expected: by 2 s its batch holds 1 + 2 jobs, S(3) = 2.5 s.
    expect(at(0.001)).toEqual([4_500]);
    expect(at(1)).toEqual([5_000]);
  });

  it('expects a short batch held for maxBatchDelayMs to start once the jobs joining fill it', () => {
    const result = simulate({
      endpoints: [endpoint((b) => 500 * b, { maxBatchSize: 4, maxBatchDelayMs: 1_000, arrivalsPerMs: 0.006 })],
      waiting: waiting([0]),
    });
    // 3 more jobs at 6 per second: full at 500 ms, before its delay ends.
    expect(result.completions).toEqual([500 + 2_000]);
  });

  it('never tells a job it completes before the jobs ahead of it on its endpoint', () => {
    // A full batch of 4 (400 ms) on the free slot; the fifth job alone on the other slot at 10 ms
    // would be done at 110 ms, but is told 400 ms.
    const result = simulate({
      concurrencyCount: 2,
      endpoints: [endpoint((b) => 100 * b, { maxBatchSize: 4 })],
      busy: [{ fnIndex: 0, freeAt: 10 }],
      waiting: waiting([0, 0, 0, 0, 0]),
    });
    expect(result.completions).toEqual([400, 400, 400, 400, 400]);
  });

  it('never expects a slot to free before now', () => {
    const result = simulate({
      now: 5_000,
      endpoints: [endpoint(() => 1_000)],
      busy: [{ fnIndex: 0, freeAt: 3_000 }],
      waiting: waiting([0]),
    });
    expect(result.completions).toEqual([6_000]);
  });

  it('answers for an empty line: a place frees when the earliest slot does', () => {
    const idle = simulate({ now: 7, endpoints: [endpoint(() => 1)], waiting: [] });
    expect([idle.completions, idle.firstStart, idle.drained]).toEqual([[], 7, 7]);
    const busy = simulate({ now: 7, endpoints: [endpoint(() => 1)], busy: [{ fnIndex: 0, freeAt: 50 }], waiting: [] });
    expect(busy.firstStart).toBe(50);
  });

  describe('jobs added at the back after a run', () => {
    /** A pass over `first` at `input.now`, then extended by each of `later`, run at `at`. */
    function extended(
      input: Omit<EtaInput, 'waiting'>,
      first: WaitingEntry[],
      later: WaitingEntry[],
      at = input.now,
    ): number[] {
      const simulation = new DispatchSimulation(input.now, input.concurrencyCount, input.endpoints, input.busy);
      for (const entry of first) simulation.add(entry);
      simulation.run();
      for (const entry of later) {
        simulation.add(entry);
        simulation.run(at);
      }
      return [...simulation.completions];
    }

    it('get what a full pass would give them, unbatched', () => {
      const input = { now: 0, concurrencyCount: 2, endpoints: [endpoint(() => 1_000), endpoint(() => 300)], busy: [] };
      const jobs = waiting([0, 1, 0, 0, 1]);
      expect(extended(input, jobs.slice(0, 2), jobs.slice(2))).toEqual(
        simulate({ ...input, waiting: jobs }).completions,
      );
    });

    it('join their endpoint’s last batch while it has room, then start a new one', () => {
      const input = {
        now: 0,
        concurrencyCount: 1,
        endpoints: [endpoint((b) => 1_000 + 500 * b, { maxBatchSize: 3 })],
        busy: [],
      };
      const jobs = waiting([0, 0, 0, 0]);
      expect(extended(input, jobs.slice(0, 2), jobs.slice(2))).toEqual([2_500, 2_500, 2_500, 4_000]);
      expect(simulate({ ...input, waiting: jobs }).completions).toEqual([2_500, 2_500, 2_500, 4_000]);
    });

    it('never start before the time they are run at', () => {
      const simulation = new DispatchSimulation(0, 1, [endpoint(() => 1_000)], [{ fnIndex: 0, freeAt: 1_000 }]);
      simulation.add(waiting([0])[0] as WaitingEntry);
      simulation.run();
      expect(simulation.completions).toEqual([2_000]);
      // 3 s later the running batch has overrun: the next job starts now at the earliest.
      simulation.add({ jobId: 'late', fnIndex: 0, joinedAt: 3_000 });
      simulation.run(3_000);
      expect(simulation.completions).toEqual([2_000, 4_000]);
    });

    /** One slot, busy until 2 s; S(b) = b seconds. */
    const slotBusyUntil2s = (maxBatchSize: number, arrivalsPerMs: number) => ({
      now: 0,
      concurrencyCount: 1,
      endpoints: [endpoint((b) => 1_000 * b, { maxBatchSize, arrivalsPerMs })],
      busy: [{ fnIndex: 0, freeAt: 2_000 }],
    });

    it('expect joins only from the time they are run at: the ones since the first run are in the line', () => {
      const input = slotBusyUntil2s(2, 0.0002);
      const jobs = [...waiting([0, 0]), { jobId: 'late', fnIndex: 0, joinedAt: 1_500 }];
      // Its batch forms at 4 s, 2.5 s after it joined: 1 + 0.5 jobs expected, S(1.5) = 1.5 s. Counted
      // from the first run (0 ms) it would expect 1 + 0.8 jobs: 5.8 s.
      expect(extended(input, jobs.slice(0, 2), jobs.slice(2), 1_500)).toEqual([4_000, 4_000, 5_500]);
      expect(simulate({ ...input, now: 1_500, waiting: jobs }).completions).toEqual([4_000, 4_000, 5_500]);
    });

    it('joining the last batch, leave it expecting the joins still to come, as a fresh pass does', () => {
      const input = slotBusyUntil2s(4, 0.0005);
      const jobs = [
        { jobId: 'a', fnIndex: 0, joinedAt: 0 },
        { jobId: 'b', fnIndex: 0, joinedAt: 1_000 },
      ];
      // At 0 s: it starts at 2 s with 1 + 1 expected, S(2).
      expect(simulate({ ...input, waiting: jobs.slice(0, 1) }).completions).toEqual([4_000]);
      // One of the two expected joined at 1 s; half a join is still expected in the second before it starts.
      expect(extended(input, jobs.slice(0, 1), jobs.slice(1), 1_000)).toEqual([4_500, 4_500]);
      expect(simulate({ ...input, now: 1_000, waiting: jobs }).completions).toEqual([4_500, 4_500]);
    });

    it('stay unknown while every slot is', () => {
      const input = { now: 0, concurrencyCount: 1, endpoints: [endpoint(() => null)], busy: [] };
      expect(extended(input, waiting([0]), waiting([0]))).toEqual([Infinity, Infinity]);
    });
  });
});
