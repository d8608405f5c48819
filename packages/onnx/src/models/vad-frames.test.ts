import { describe, expect, it } from 'vitest';
import { VAD_CONTEXT_SAMPLES, VAD_FRAME_SAMPLES, vadFrameCount, vadFrameInput, vadFrames } from './vad-frames.js';

describe('vadFrameCount', () => {
  it('counts 512-sample frames, the last partial one included', () => {
    expect([0, 1, 512, 513, 16000].map(vadFrameCount)).toEqual([0, 1, 1, 2, 32]);
  });
});

describe('vadFrameInput', () => {
  const ramp = Float32Array.from({ length: 1100 }, (_, i) => i + 1);

  it('puts 64 zeros of context before the first frame', () => {
    const input = vadFrameInput(ramp, 0);
    expect(input).toHaveLength(VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);
    expect([...input.subarray(0, 64)].every((v) => v === 0)).toBe(true);
    expect([input[64], input[575]]).toEqual([1, 512]);
  });

  it('carries the previous frame’s last 64 samples as context', () => {
    const input = vadFrameInput(ramp, 1);
    expect([input[0], input[63], input[64], input[575]]).toEqual([449, 512, 513, 1024]);
  });

  it('pads the last frame with zeros', () => {
    const input = vadFrameInput(ramp, 2);
    expect([input[0], input[64], input[64 + 75], input[64 + 76], input[575]]).toEqual([961, 1025, 1100, 0, 0]);
  });
});

describe('vadFrames', () => {
  it('lays every frame input of a clip end to end', () => {
    for (const length of [0, 1, 64, 512, 513, 1100, 2048]) {
      const clip = Float32Array.from({ length }, (_, i) => i + 1);
      const frames = Array.from({ length: vadFrameCount(length) }, (_, t) => [...vadFrameInput(clip, t)]);
      expect([...vadFrames(clip)]).toEqual(frames.flat());
    }
  });

  it('writes into the array given, and refuses one of the wrong size', () => {
    const clip = Float32Array.from({ length: 600 }, (_, i) => i + 1);
    const into = new Float32Array(2 * 576);
    expect(vadFrames(clip, into)).toBe(into);
    expect(into).toEqual(vadFrames(clip));
    expect(() => vadFrames(clip, new Float32Array(576))).toThrow('expected room for 1152 samples, got 576');
  });
});
