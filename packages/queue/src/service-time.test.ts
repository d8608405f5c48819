import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SERVICE_TIME_DECAY,
  SERVICE_TIME_OUTLIER_FACTOR,
  SERVICE_TIME_WINDOW,
  ServiceTimeModel,
  fit,
} from './service-time.js';

function trained(samples: [size: number, ms: number][], hint: number | null = null): ServiceTimeModel {
  const model = new ServiceTimeModel(hint);
  for (const [size, ms] of samples) model.record(size, ms);
  return model;
}

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('ServiceTimeModel', () => {
  it('knows nothing without a hint or a sample', () => {
    expect(new ServiceTimeModel().predict(1)).toBeNull();
  });

  it('uses the per-request hint until the first sample', () => {
    const model = new ServiceTimeModel(200);
    expect(model.predict(1)).toBe(200);
    expect(model.predict(3)).toBe(600);
    model.record(1, 50);
    expect(model.predict(1)).toBe(50);
  });

  it('falls back to a mean per item when every batch had the same size', () => {
    const model = trained(repeat(5, () => [4, 400]));
    expect(model.predict(4)).toBeCloseTo(400);
    expect(model.predict(2)).toBeCloseTo(200);
    expect(model.coefficients().a).toBe(0);
  });

  it('learns S(b) = a + c·b from batches of several sizes', () => {
    const model = trained(repeat(16, (i) => [1 + (i % 8), 50 + 10 * (1 + (i % 8))]));
    expect(model.coefficients().a).toBeCloseTo(50, 6);
    expect(model.coefficients().c).toBeCloseTo(10, 6);
    expect(model.predict(32)).toBeCloseTo(370, 6);
  });

  it('is robust to one slow outlier', () => {
    const model = trained([...repeat(10, (): [number, number] => [1, 100]), [1, 5000]]);
    // The raw recency-weighted mean would be about 670 ms.
    expect(model.predict(1)).toBeGreaterThanOrEqual(100);
    expect(model.predict(1)).toBeLessThan(130);

    const batched = trained([...repeat(12, (i): [number, number] => [1 + (i % 4), 20 + 5 * (1 + (i % 4))]), [2, 3000]]);
    expect(batched.predict(2)).toBeLessThan(30 * 1.3);
  });

  it('follows a lasting slowdown, newest batches first', () => {
    const old = repeat(20, (): [number, number] => [1, 100]);
    const slow = (n: number): [number, number][] => repeat(n, () => [1, 500]);
    expect(trained([...old, ...slow(12)]).predict(1)).toBeGreaterThan(300);
    expect(trained([...old, ...slow(30)]).predict(1)).toBeGreaterThan(430);
    const recent = trained([
      ...repeat(10, (): [number, number] => [1, 100]),
      ...repeat(10, (): [number, number] => [1, 200]),
    ]);
    expect(recent.predict(1)).toBeGreaterThan(150);
  });

  it('remembers only the last window of batches', () => {
    const model = trained([
      ...repeat(30, (): [number, number] => [1, 1000]),
      ...repeat(SERVICE_TIME_WINDOW, (): [number, number] => [1, 10]),
    ]);
    expect(model.sampleCount).toBe(SERVICE_TIME_WINDOW);
    expect(model.predict(1)).toBeCloseTo(10, 6);
  });

  it('gives the same fit read after every sample or only at the end (it fits when read)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 32 }), fc.double({ min: 0, max: 5000, noNaN: true })), {
          minLength: 1,
          maxLength: 2 * SERVICE_TIME_WINDOW,
        }),
        (samples) => {
          const eager = new ServiceTimeModel();
          const seen: number[] = [];
          for (const [size, ms] of samples) {
            eager.record(size, ms);
            seen.push(eager.predict(size) as number);
          }
          const lazy = trained(samples);
          expect(lazy.coefficients()).toEqual(eager.coefficients());
          // And each read in between was the fit of the samples so far.
          samples.forEach(([size], i) => expect(trained(samples.slice(0, i + 1)).predict(size)).toBe(seen[i]));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fits exactly as the plain version of the fit (arrays, a sort with a comparator)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 32 }),
            fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(0, 10, 100)),
          ),
          { minLength: 1, maxLength: 2 * SERVICE_TIME_WINDOW },
        ),
        (samples) => {
          expect(trained(samples).coefficients()).toEqual(referenceFit(samples.slice(-SERVICE_TIME_WINDOW)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ignores samples that cannot be times', () => {
    const model = trained([
      [1, -5],
      [0, 10],
      [1, NaN],
    ]);
    expect(model.sampleCount).toBe(0);
  });
});

describe('fit', () => {
  it('falls back to a constant when the slope comes out negative', () => {
    expect(fit([1, 2, 3], [30, 20, 10], [1, 1, 1])).toEqual({ a: 20, c: 0 });
  });

  it('falls back to a line through the origin when the intercept comes out negative', () => {
    const { a, c } = fit([1, 2], [1, 10], [1, 1]);
    expect(a).toBe(0);
    expect(c).toBeCloseTo(21 / 5);
  });
});

/** The fit as first written (plain arrays, `**`, `sort` with a comparator): the reference the kept one must match. */
function referenceFit(samples: [size: number, ms: number][]): { a: number; c: number } {
  const n = samples.length;
  const b = samples.map(([size]) => size);
  const d = samples.map(([, ms]) => ms);
  const w = samples.map((_, k) => SERVICE_TIME_DECAY ** (n - 1 - k));
  const median = (values: number[], weights: number[]): number => {
    const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number));
    const half = weights.reduce((sum, x) => sum + x, 0) / 2;
    let acc = 0;
    for (const i of order) {
      acc += weights[i] as number;
      if (acc >= half) return values[i] as number;
    }
    return 1;
  };
  let line = fit(b, d, w);
  for (let pass = 0; pass < 2; pass++) {
    const guess = line;
    const at = (i: number): number => guess.a + guess.c * (b[i] as number);
    const typical = median(
      d.map((di, i) => di / Math.max(at(i), 1e-9)),
      w,
    );
    const clamped = d.map((di, i) => {
      const expected = typical * at(i);
      return Math.min(Math.max(di, expected / SERVICE_TIME_OUTLIER_FACTOR), expected * SERVICE_TIME_OUTLIER_FACTOR);
    });
    line = fit(b, clamped, w);
  }
  return line;
}
