import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../onnx/packed.js';
import { vadFeeds } from './vad.js';
import { vadBatch } from './vad-batch.js';
import { vadFrames } from './vad-frames.js';
import { withoutState } from '../../test/vad-test-utils.js';

describe('vadBatch', () => {
  it('encodes clips as vadFeeds would give them, less the zero state, with one sample rate buffer for all', () => {
    const clips = [
      Float32Array.from({ length: 1300 }, (_, i) => Math.sin(i / 7)),
      new Float32Array(0),
      new Float32Array(40),
    ];
    const { wire, buffers } = vadBatch(clips.map((clip) => vadFrames(clip)));
    expect(decodeBatch(wire)).toEqual(clips.map((clip) => withoutState(vadFeeds(clip))));
    expect(wire.columns.map((c) => c.name)).toEqual(['input', 'sr']);
    expect(buffers).toEqual(
      wire.columns.flatMap((c) => (Array.isArray(c.data) ? c.data : [c.data]).map((a) => a.buffer)),
    );
  });
});
