import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../onnx/packed.js';
import { vadFeeds } from './vad.js';
import { vadBatch } from './vad-batch.js';
import { vadFrames } from './vad-frames.js';

describe('vadBatch', () => {
  it('encodes clips as vadFeeds would give them, with one state and one sample rate buffer for all', () => {
    const clips = [
      Float32Array.from({ length: 1300 }, (_, i) => Math.sin(i / 7)),
      new Float32Array(0),
      new Float32Array(40),
    ];
    const { wire, buffers } = vadBatch(clips.map((clip) => vadFrames(clip)));
    expect(decodeBatch(wire)).toEqual(clips.map(vadFeeds));
    expect(wire.columns.map((c) => c.name)).toEqual(['input', 'state', 'sr']);
    expect(buffers).toEqual(wire.columns.map((c) => c.data.buffer));
  });
});
