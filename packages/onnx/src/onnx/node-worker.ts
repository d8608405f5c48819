// A runner in a worker_thread: onnxruntime-node when it can be imported, else onnxruntime-web's WASM.
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createRunner } from './runner.js';
import type { OrtModule, RunnerApi, RunnerDependencies } from './runner.js';
import type { NodeOrtRuntime, NodeWorkerData } from './node-spawn.js';

async function loadOrt(runtime: NodeOrtRuntime): Promise<RunnerDependencies> {
  if (runtime !== 'onnxruntime-web') {
    try {
      return { ort: (await import('onnxruntime-node')) as unknown as OrtModule, runtime: 'onnxruntime-node' };
    } catch (error) {
      if (runtime === 'onnxruntime-node') throw error;
    }
  }
  const web = await import('onnxruntime-web');
  // One worker per pool slot: more WASM threads per worker would only compete for the same cores.
  web.env.wasm.numThreads = 1;
  return { ort: web as unknown as OrtModule, runtime: 'onnxruntime-web' };
}

if (!parentPort) throw new Error('node-worker.js must run in a worker_thread');
const { runtime } = workerData as NodeWorkerData;
const runner = loadOrt(runtime).then(createRunner);
// Exposed at once, before ORT is imported, so that no early message finds nobody listening.
const api: RunnerApi = {
  load: async (model, options) => (await runner).load(model, options),
  run: async (batch) => (await runner).run(batch),
  runSteps: async (batch, plan) => (await runner).runSteps(batch, plan),
  dispose: async () => (await runner).dispose(),
};
expose(api, nodeEndpoint(parentPort));
