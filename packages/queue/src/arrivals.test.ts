import { describe, expect, it } from 'vitest';
import { ARRIVAL_WINDOW, ArrivalRate } from './arrivals.js';

describe('ArrivalRate', () => {
  it('knows nothing before two joins', () => {
    const rate = new ArrivalRate();
    expect(rate.perMs(100)).toBe(0);
    rate.record(0);
    expect(rate.perMs(100)).toBe(0);
  });

  it('measures a steady rate', () => {
    const rate = new ArrivalRate();
    for (let t = 0; t <= 1_000; t += 100) rate.record(t);
    expect(rate.perMs(1_000)).toBeCloseTo(0.01);
  });

  it('follows the recent joins only', () => {
    const rate = new ArrivalRate();
    for (let i = 0; i < 100; i++) rate.record(i * 1_000);
    // Then a burst of one join per ms fills the window.
    for (let i = 1; i <= ARRIVAL_WINDOW; i++) rate.record(99_000 + i);
    expect(rate.perMs(99_000 + ARRIVAL_WINDOW)).toBeCloseTo(1);
  });

  it('decays while nobody joins', () => {
    const rate = new ArrivalRate();
    for (let t = 0; t <= 1_000; t += 100) rate.record(t);
    expect(rate.perMs(11_000)).toBeCloseTo(10 / 11_000);
  });
});
