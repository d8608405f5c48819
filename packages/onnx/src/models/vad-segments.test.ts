import { describe, expect, it } from 'vitest';
import { speechSegments } from './vad-segments.js';

/** `n` frames (32 ms each) of probability `p`. */
const run = (n: number, p: number) => new Array<number>(n).fill(p);

describe('speechSegments', () => {
  it('finds speech between silences, in seconds', () => {
    const probabilities = [...run(10, 0.02), ...run(20, 0.9), ...run(10, 0.02)];
    expect(speechSegments(probabilities)).toEqual([{ start: 0.32, end: 0.96 }]);
  });

  it('bridges a short dip and keeps speech going between the two thresholds', () => {
    const probabilities = [...run(10, 0.9), ...run(2, 0.1), ...run(5, 0.4), ...run(10, 0.9), ...run(10, 0)];
    expect(speechSegments(probabilities)).toEqual([{ start: 0, end: 0.864 }]);
  });

  it('splits on a silence of at least minSilenceMs', () => {
    const probabilities = [...run(10, 0.9), ...run(4, 0.1), ...run(10, 0.9)];
    expect(speechSegments(probabilities)).toEqual([
      { start: 0, end: 0.32 },
      { start: 0.448, end: 0.768 },
    ]);
  });

  it('drops speech shorter than minSpeechMs, and honours the options', () => {
    const probabilities = [...run(5, 0.9), ...run(10, 0)];
    expect(speechSegments(probabilities)).toEqual([]);
    expect(speechSegments(probabilities, { minSpeechMs: 100 })).toEqual([{ start: 0, end: 0.16 }]);
    expect(speechSegments(run(20, 0.4), { threshold: 0.3, minSpeechMs: 0 })).toEqual([{ start: 0, end: 0.64 }]);
  });

  it('finds nothing in silence or in no frames', () => {
    expect(speechSegments(run(50, 0.01))).toEqual([]);
    expect(speechSegments([])).toEqual([]);
  });
});
