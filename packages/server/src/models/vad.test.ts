import { describe, expect, it } from 'vitest';
import { InputError } from '../onnx/errors.js';
import { encodeBase64 } from './base64.js';
import { encodeVadSamples, parseVadSamples, vadFeeds, vadModel } from './vad.js';
import { SEND_WHOLE_BYTES } from '../onnx/packed.js';
import { vadFrames } from './vad-frames.js';

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

describe('vadFeeds', () => {
  it('gives the frames, a zero state and the sample rate; a short clip in one buffer', () => {
    const clip = Float32Array.from({ length: 700 }, (_, i) => Math.cos(i));
    const { input, state, sr } = vadFeeds(clip);
    expect(input?.dims).toEqual([2, 1, 576]);
    expect(input?.data).toEqual(vadFrames(clip));
    expect(state?.dims).toEqual([2, 1, 128]);
    expect([...(state?.data as Float32Array)].every((v) => v === 0)).toBe(true);
    expect([sr?.dims, [...(sr?.data as BigInt64Array)]]).toEqual([[], [16000n]]);
    expect(new Set([input?.data.buffer, state?.data.buffer, sr?.data.buffer]).size).toBe(1);
  });

  it('gives a long clip its frames in a buffer of their own, to be sent without a copy', () => {
    const clip = Float32Array.from({ length: 16_000 }, (_, i) => Math.sin(i) / 3);
    const { input, state, sr } = vadFeeds(clip);
    expect(input?.data).toEqual(vadFrames(clip));
    expect(input?.data.byteLength).toBeGreaterThanOrEqual(SEND_WHOLE_BYTES);
    expect(input?.data.byteLength).toBe(input?.data.buffer.byteLength);
    expect(state?.data.buffer).toBe(sr?.data.buffer);
    expect([...(sr?.data as BigInt64Array)]).toEqual([16000n]);
  });

  it('is what the endpoint preprocesses a request into, reading the samples without keeping them', async () => {
    const clip = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) / 2);
    const feeds = await vadModel().preprocess([clip]);
    expect(feeds).toEqual(vadFeeds(clip));
    expect(feeds.input?.data.buffer).not.toBe(clip.buffer);
    await expect(async () => vadModel().preprocess([Float32Array.of(0, NaN)])).rejects.toThrow(InputError);
  });
});
