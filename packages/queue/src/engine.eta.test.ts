import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUTO_MAX_INTERVAL_MS, AUTO_MIN_INTERVAL_MS } from './estimates.js';
import { FakeHost, type Heard } from './test-utils.js';
import type { EndpointOptions } from './types.js';

/** Completion times (clock ms) told in one round, by endpoint, in rank order. */
function byEndpoint(host: FakeHost, fnOf: Map<string, number>, round: FakeHost['rounds'][number]): number[][] {
  const out: number[][] = [];
  for (const { jobId, estimation } of [...round].sort((a, b) => a.estimation.rank - b.estimation.rank)) {
    if (estimation.rankEta === null) continue;
    const fn = fnOf.get(jobId) as number;
    (out[fn] ??= []).push(estimation.rankEta);
  }
  return out.filter(Boolean);
}

const endpointArb: fc.Arbitrary<EndpointOptions & { base: number; perItem: number }> = fc.record({
  batch: fc.boolean(),
  maxBatchSize: fc.integer({ min: 1, max: 8 }),
  maxBatchDelayMs: fc.constantFrom(0, 0, 50),
  concurrencyLimit: fc.constantFrom(null, 1),
  expectedDurationMs: fc.constantFrom(null, 200),
  base: fc.integer({ min: 20, max: 400 }),
  perItem: fc.integer({ min: 0, max: 100 }),
});

describe('ETAs as clients hear them', () => {
  it('are monotone in rank within an endpoint, in every round', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(endpointArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom<'auto' | number>('auto', 0.5),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 400 }), fc.nat(2), fc.double({ min: 0.8, max: 1.2, noNaN: true })),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        (concurrencyCount, endpoints, statusUpdateRate, arrivals) => {
          const fnOf = new Map<string, number>();
          const noise = arrivals.map(([, , n]) => n);
          let draw = 0;
          const host = new FakeHost({ concurrencyCount, statusUpdateRate, endpoints }, (size, fn) => {
            const e = endpoints[fn] as { base: number; perItem: number };
            return (e.base + e.perItem * size) * (noise[draw++ % noise.length] as number);
          });
          let t = 0;
          arrivals.forEach(([gap, fn], i) => {
            t += gap;
            const fnIndex = fn % endpoints.length;
            fnOf.set(`j${i}`, fnIndex);
            host.joinAt(t, `j${i}`, fnIndex);
          });
          host.run();
          for (const round of host.rounds) {
            for (const etas of byEndpoint(host, fnOf, round)) {
              for (let k = 1; k < etas.length; k++) expect(etas[k]).toBeGreaterThanOrEqual(etas[k - 1] as number);
            }
          }
          expect(host.endedAt.size).toBe(arrivals.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fall as a job moves up the line, and hold to when it really completes', () => {
    for (const endpoint of [{}, { batch: true, maxBatchSize: 4 }] as EndpointOptions[]) {
      // Batches run 200 ms + 100 ms per job. Five jobs first, so the queue learns that (batched, from
      // batches of 1 and 3); then 26: the first two take the free slots alone, the other 24 wait (six
      // full batches, so no batch is expected to take jobs that have not joined yet).
      const host = new FakeHost({ concurrencyCount: 2, endpoints: [endpoint] }, (size) => 200 + 100 * size);
      for (let i = 0; i < 5; i++) host.joinAt(0, `w${i}`);
      for (let i = 0; i < 26; i++) host.joinAt(2_000, `j${i}`);
      host.run();
      const heard = host.heard.get('j25') ?? [];
      const done = host.endedAt.get('j25') as number;
      expect(heard.length).toBeGreaterThan(2);
      for (let k = 1; k < heard.length; k++) {
        const before = heard[k - 1] as Heard;
        const now = heard[k] as Heard;
        expect(now.estimation.rank).toBeLessThan(before.estimation.rank);
        expect(now.estimation.rankEta as number).toBeLessThan(before.estimation.rankEta as number);
      }
      // Service times here are exact: every estimate it heard points at when it really completed.
      for (const { at, estimation } of heard) expect(at + (estimation.rankEta as number) * 1_000).toBeCloseTo(done, 0);
    }
  });

  it('make no update storm: under steady load each job hears a bounded number of estimates', () => {
    // 2 slots of 90 ms each; a job every 50 ms (90 % busy) behind a standing line of 300.
    const host = new FakeHost({ concurrencyCount: 2, endpoints: [{}] }, () => 90);
    const jobs = 300 + 400;
    for (let i = 0; i < 300; i++) host.joinAt(0, `b${i}`);
    for (let i = 0; i < 400; i++) host.joinAt(i * 50, `s${i}`);
    host.run();
    expect(host.endedAt.size).toBe(jobs);
    let total = 0;
    for (const [id, heard] of host.heard) {
      const wait = (host.endedAt.get(id) as number) - (heard[0]?.at ?? 0);
      total += heard.length;
      // Estimates to one job are at least 100 ms apart, and further apart the longer it still waits:
      // a tenth of its wait, so a job waiting W hears O(log W) + 10 per second at the front, not one per move.
      for (let k = 1; k < heard.length; k++) {
        const gap = (heard[k]?.at as number) - (heard[k - 1]?.at as number);
        const told = ((heard[k - 1]?.estimation.rankEta as number) ?? 0) * 1_000;
        expect(gap).toBeGreaterThanOrEqual(
          Math.min(AUTO_MAX_INTERVAL_MS, Math.max(AUTO_MIN_INTERVAL_MS, told / 10)) - 1e-6,
        );
      }
      expect(heard.length).toBeLessThanOrEqual(1 + Math.log(wait / AUTO_MIN_INTERVAL_MS) / Math.log(10 / 9) + 10);
    }
    // Every move changes every rank behind it: one estimate per move per waiting job would be ~10⁵.
    expect(total).toBeLessThan(jobs * 40);
  });
});
