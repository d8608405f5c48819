// @ts-check
// The VAD endpoint's handler called directly in this process, with no queue and no sockets: the
// pool's share of crowdserve's cost (preprocess, the hop to the worker, stacking, postprocess).
import { vadEndpoint } from '@crowdserve/onnx/node';

/**
 * Clips per second through `vadEndpoint`'s batch handler, one batch of `batchSize` clips at a time
 * (as the queue runs them with one slot).
 * @param {Float32Array} samples
 * @param {{ batchSize: number, sessionOptions: Record<string, unknown>, warmupMs: number, measureMs: number }} options
 */
export async function poolVadLoop(samples, { batchSize, sessionOptions, warmupMs, measureMs }) {
  const endpoint = vadEndpoint({ maxBatchSize: batchSize, sessionOptions });
  await endpoint.setup?.({ concurrencyCount: 1, apiName: '/vad' });
  const handler = /** @type {import('@crowdserve/server/node').BatchHandler} */ (endpoint.fn);
  // As the server has them after JSON.parse: plain arrays of numbers.
  const requests = Array.from({ length: batchSize }, () => [Array.from(samples)]);
  try {
    const until = async (/** @type {number} */ ms) => {
      const started = performance.now();
      let batches = 0;
      while (performance.now() - started < ms) {
        // A signal per call, as the server gives each batch its own.
        await handler(requests, { signal: new AbortController().signal, progress: () => {} });
        batches++;
      }
      return { batches, ms: performance.now() - started };
    };
    await until(warmupMs);
    const measured = await until(measureMs);
    return { clipsPerSecond: (measured.batches * batchSize) / (measured.ms / 1000) };
  } finally {
    await endpoint.dispose?.();
  }
}
