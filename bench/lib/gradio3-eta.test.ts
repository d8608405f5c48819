import { describe, expect, it } from 'vitest';
import { gradio3RankEta } from './gradio3-eta.js';

describe('gradio3RankEta', () => {
  const base = { avgProcessTime: 2, finishedCount: 10, concurrencyCount: 4, allBusy: false };

  it('is null before any batch finished', () => {
    expect(gradio3RankEta({ ...base, rank: 3, avgProcessTime: null, finishedCount: 0 })).toBeNull();
    expect(gradio3RankEta({ ...base, rank: 3, finishedCount: 0 })).toBeNull();
  });

  it('is rank·avg/c + avg with a free slot', () => {
    expect(gradio3RankEta({ ...base, rank: 0 })).toBe(2);
    expect(gradio3RankEta({ ...base, rank: 6 })).toBe(6 * 0.5 + 2);
  });

  it('adds avg/c when every slot is busy', () => {
    expect(gradio3RankEta({ ...base, rank: 6, allBusy: true })).toBe(6 * 0.5 + 2 + 0.5);
  });

  it('divides by the number of samples while fewer than the slots', () => {
    expect(gradio3RankEta({ ...base, rank: 2, finishedCount: 2, allBusy: true })).toBe(2 * 1 + 2 + 1);
  });

  it('ignores batching: a batched endpoint is charged one mean per rank', () => {
    expect(gradio3RankEta({ ...base, rank: 16, concurrencyCount: 1 })).toBe(16 * 2 + 2);
  });
});
