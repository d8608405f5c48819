// @ts-check
// How much this machine takes from a model thread while a crowdserve server does its socket work
// beside it: the bare loop (in a worker thread) run while the VAD endpoint's server, its model
// replaced by a timer (`standIn`, see bench/servers/onnx-server.js), takes the batched bench's load. No
// crowdserve worker runs, so what the bare loop loses against its run alone is the machine's share
// of the gap between crowdserve and the bare loop, not crowdserve's.
import { Worker } from 'node:worker_threads';
import { encodeVadSamples } from '@crowdserve/onnx/node';
import { startOnnxServer } from './onnx-child.js';
import { saturate, wsJob } from './load.js';

/**
 * @param {Float32Array} samples
 * @param {{ batchSize: number, batchMs: number, inFlight: number, sessionOptions: Record<string, unknown>, warmupMs: number, measureMs: number }} options
 *   `batchMs`: how long the stand-in's batch takes (the bare loop's time for one).
 */
export async function bareVadBesideServer(samples, { batchSize, batchMs, inFlight, ...loop }) {
  const server = await startOnnxServer({
    model: 'vad',
    concurrencyCount: 1,
    endpoint: { maxBatchSize: batchSize, sessionOptions: loop.sessionOptions },
    // What the endpoint answers for a 1 s clip: 32 frame probabilities and the speech segments.
    standIn: { batchMs, answer: [Array.from({ length: 32 }, () => 0.5), []] },
  });
  try {
    const job = wsJob(server.url, [encodeVadSamples(samples)]);
    // The load runs from a second before the bare loop starts to a second after it ends.
    const settleMs = 1000;
    const load = saturate(job, { inFlight, warmupMs: settleMs, measureMs: loop.warmupMs + loop.measureMs + settleMs });
    const bareLoop = async () => {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const worker = new Worker(new URL('./vad-bare-worker.js', import.meta.url), {
        workerData: { samples, batchSize, ...loop },
      });
      return /** @type {Promise<{ clipsPerSecond: number, runMs: number }>} */ (
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`the bare loop's worker exited with ${code}`)));
        })
      );
    };
    // Together, so that either one failing fails the run and the other's failure is not left unhandled.
    const [bare, { jobsPerSecond }] = await Promise.all([bareLoop(), load]);
    return { ...bare, serverJobsPerSecond: jobsPerSecond };
  } finally {
    await server.stop();
  }
}
