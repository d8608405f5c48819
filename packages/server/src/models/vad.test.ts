import { describe, expect, it } from 'vitest';
import { InputError } from '../onnx/errors.js';
import { encodeBase64 } from './base64.js';
import { encodeVadSamples, parseVadSamples } from './vad.js';

describe('parseVadSamples', () => {
  const clip = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) * 0.5);

  it('reads numbers and base64 float32 to the same samples', () => {
    const fromNumbers = parseVadSamples([Array.from(clip)]);
    const fromBase64 = parseVadSamples([encodeVadSamples(clip)]);
    expect(fromBase64).toEqual(clip);
    expect(fromNumbers).toEqual(clip);
  });

  it('reads a Float32Array into a copy of its own, and a Float64Array to float32', () => {
    const parsed = parseVadSamples([clip]);
    expect(parsed).toEqual(clip);
    expect(parsed).not.toBe(clip);
    expect(parseVadSamples([Float64Array.from(clip)])).toEqual(clip);
  });

  it('refuses a string that is not whole float32s in base64', () => {
    expect(() => parseVadSamples(['not base64!'])).toThrow(InputError);
    expect(() => parseVadSamples([encodeBase64(new Uint8Array(6))])).toThrow(/neither/);
  });

  it('refuses non-finite samples and too many samples in either form', () => {
    expect(() => parseVadSamples([encodeVadSamples(Float32Array.of(0, NaN))])).toThrow(
      'VAD: sample 1: expected a finite number, got NaN',
    );
    expect(() => parseVadSamples([Float32Array.of(0, 0, Infinity)])).toThrow(
      'VAD: sample 2: expected a finite number, got a non-finite number',
    );
    expect(() => parseVadSamples([encodeVadSamples(new Float32Array(11))], 10)).toThrow('expected at most 10 samples');
    expect(() => parseVadSamples([[0, 'x']])).toThrow(InputError);
    expect(() => parseVadSamples([{}])).toThrow(/expected \[samples\]/);
  });
});
