import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode, ocrClasses } from './ocr-decode.js';

describe('ocrClasses', () => {
  it('puts the blank first and a space last, around the keys file’s lines', () => {
    expect(ocrClasses('a\nb\r\nc\n')).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(ocrClasses(['x', 'y'])).toEqual(['', 'x', 'y', ' ']);
  });
});

describe('ctcGreedyDecode', () => {
  const classes = ocrClasses('H\nI\n!');
  /** One step per class index, as one-hot-ish probabilities (0.9 on the class). */
  function steps(indices: number[]): Float32Array {
    const data = new Float32Array(indices.length * classes.length).fill(0.02);
    indices.forEach((c, t) => (data[t * classes.length + c] = 0.9));
    return data;
  }

  it('collapses repeats, drops blanks, and maps the rest', () => {
    const data = steps([0, 1, 1, 0, 2, 2, 0, 2, 4, 3, 0]);
    const reading = ctcGreedyDecode(data, 11, classes.length, classes);
    expect(reading.text).toBe('HII !');
    expect(reading.confidence).toBeCloseTo(0.9, 6);
  });

  it('trims spaces at the ends, and reads nothing from blanks only', () => {
    expect(ctcGreedyDecode(steps([4, 1, 4]), 3, classes.length, classes).text).toBe('H');
    expect(ctcGreedyDecode(steps([0, 0]), 2, classes.length, classes)).toEqual({ text: '', confidence: 0 });
  });

  it('refuses probabilities of the wrong size', () => {
    expect(() => ctcGreedyDecode(new Float32Array(7), 2, classes.length, classes)).toThrow(
      'expected 2×5 probabilities, got 7',
    );
  });
});
