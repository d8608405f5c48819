import { encodeBatch } from '../onnx/packed.js';
import type { EncodedBatch } from '../onnx/packed.js';
import { newArray } from '../onnx/tensor-arrays.js';
import { VAD_CONTEXT_SAMPLES, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from './vad-frames.js';

/**
 * A batch of clips, each given as its frames (see `vadFrames`), as the model's feeds for
 * `runSteps`, already encoded: the frames as `encodeBatch` sends them, and one sample rate for the
 * whole batch instead of one small buffer per clip (in Chromium each typed array costs about a
 * microsecond to make, the clip's copy included). No state: the step plan starts it from zeros in
 * the worker (`StepPlan.zeros`).
 */
export function vadBatch(frames: readonly Float32Array[]): EncodedBatch {
  const size = VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES;
  const { wire, buffers } = encodeBatch(
    frames.map((data) => ({ input: { type: 'float32', data, dims: [data.length / size, 1, size] } })),
  );
  const count = frames.length;
  // Over an ArrayBuffer of its own (`newArray`): it is transferred.
  const sr = (newArray(BigInt64Array, count) as BigInt64Array<ArrayBuffer>).fill(BigInt(VAD_SAMPLE_RATE));
  wire.columns.push({ name: 'sr', type: 'int64', shapes: repeated([0], count), data: sr });
  return { wire, buffers: [...buffers, sr.buffer] };
}

function repeated(values: readonly number[], times: number): number[] {
  const result: number[] = [];
  for (let i = 0; i < times; i++) result.push(...values);
  return result;
}
