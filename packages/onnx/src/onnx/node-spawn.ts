import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import { wrap } from 'comlink';
import type { Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { RunnerApi } from './runner.js';
import type { SpawnWorker } from './worker-pool.js';

/** Which ONNX Runtime a Node worker loads: 'auto' prefers onnxruntime-node and falls back to onnxruntime-web. */
export type NodeOrtRuntime = 'auto' | 'onnxruntime-node' | 'onnxruntime-web';

/** What a Node runner worker receives as `workerData`. */
export interface NodeWorkerData {
  runtime: NodeOrtRuntime;
}

export interface NodeSpawnOptions {
  /** The worker script (the built `node-worker.js`, or a test's own). */
  url: URL;
  runtime: NodeOrtRuntime;
  /** V8 heap limits; a worker that exceeds them stops with ERR_WORKER_OUT_OF_MEMORY and is replaced. */
  resourceLimits?: ResourceLimits;
}

/** Spawns runner workers as worker_threads, each wrapped with Comlink. */
export function nodeSpawner(options: NodeSpawnOptions): SpawnWorker<Remote<RunnerApi>> {
  return () => {
    const workerData: NodeWorkerData = { runtime: options.runtime };
    const worker = new Worker(options.url, {
      workerData,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    const exited = new Promise<Error>((resolve) => {
      worker.once('error', (error) => resolve(error));
      worker.once('messageerror', (error) => resolve(error));
      worker.once('exit', (code) => resolve(new Error(`exited with code ${code}`)));
    });
    return {
      api: wrap<RunnerApi>(nodeEndpoint(worker)),
      exited,
      terminate: () => worker.terminate(),
    };
  };
}
