// @ts-check
// The floor for the VAD endpoint: a bare `session.run` loop in this thread with onnxruntime-node,
// stepping a batch of clips through the model with the state carried, as the worker does, minus
// the queue, the sockets, the worker and the tensor stacking (the step inputs are built once).
import * as ort from 'onnxruntime-node';
import { sileroVadModelPath, vadFeeds } from '@crowdserve/onnx/node';

/**
 * Clips per second through `session.run` at `batchSize`, every clip being `samples`.
 * @param {Float32Array} samples
 * @param {{ batchSize: number, sessionOptions: Record<string, unknown>, warmupMs: number, measureMs: number }} options
 */
export async function bareVadLoop(samples, { batchSize, sessionOptions, warmupMs, measureMs }) {
  const session = await ort.InferenceSession.create(sileroVadModelPath(), {
    ...sessionOptions,
    executionProviders: ['cpu'],
  });
  try {
    const one = /** @type {import('onnxruntime-node').TypedTensor<'float32'>} */ (vadFeeds(samples).input);
    const [steps = 0, , frameSize = 0] = one.dims;
    // Step t's input for the whole batch: the clip's frame t, batchSize times.
    const inputs = Array.from({ length: steps }, (_, t) => {
      const frame = one.data.subarray(t * frameSize, (t + 1) * frameSize);
      const data = new Float32Array(batchSize * frameSize);
      for (let b = 0; b < batchSize; b++) data.set(frame, b * frameSize);
      return new ort.Tensor('float32', data, [batchSize, frameSize]);
    });
    const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
    const runBatch = async () => {
      /** @type {ort.Tensor} */
      let state = new ort.Tensor('float32', new Float32Array(2 * batchSize * 128), [2, batchSize, 128]);
      for (const input of inputs) {
        const out = await session.run({ input, state, sr });
        state = /** @type {ort.Tensor} */ (out.stateN);
      }
    };
    const until = async (/** @type {number} */ ms) => {
      const started = performance.now();
      let batches = 0;
      while (performance.now() - started < ms) {
        await runBatch();
        batches++;
      }
      return { batches, ms: performance.now() - started };
    };
    await until(warmupMs);
    const measured = await until(measureMs);
    return {
      clipsPerSecond: (measured.batches * batchSize) / (measured.ms / 1000),
      runMs: measured.ms / (measured.batches * steps),
    };
  } finally {
    await session.release();
  }
}
