import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import type { EndpointDefinition } from '@crowdserve/server';
import { createOnnxEndpoint } from './onnx-endpoint.js';
import { NODE_DEFAULT_EXECUTION_PROVIDERS } from './onnx-options.js';
import type { ModelInput, OnnxEndpointOptions } from './onnx-options.js';
import { nodeSpawner } from './node-spawn.js';
import type { NodeOrtRuntime } from './node-spawn.js';
import type { ModelSource } from './runner.js';
import type { Feeds } from './tensors.js';
import { describeValue } from '@crowdserve/protocol';
import { OnnxOptionsError } from './errors.js';

export interface NodeOnnxEndpointOptions<Prepared = Feeds, Result = Feeds> extends OnnxEndpointOptions<
  Prepared,
  Result
> {
  /** Which ONNX Runtime the workers load. @default 'auto' (onnxruntime-node if it can be imported, else onnxruntime-web) */
  runtime?: NodeOrtRuntime;
  /** V8 heap limits per worker: one that runs out of memory fails its batch and is replaced. @default none */
  resourceLimits?: ResourceLimits;
  /** The worker script, for a custom runner (it must expose the runner API). @default the built `node-worker.js` */
  workerUrl?: URL | string;
}

export const DEFAULT_NODE_ORT_RUNTIME: NodeOrtRuntime = 'auto';

/** `onnxEndpoint()` for the Node server: workers are worker_threads. */
export function onnxEndpoint<Prepared = Feeds, Result = Feeds>(
  options: NodeOnnxEndpointOptions<Prepared, Result>,
): EndpointDefinition {
  const runtime = options.runtime ?? DEFAULT_NODE_ORT_RUNTIME;
  if (!['auto', 'onnxruntime-node', 'onnxruntime-web'].includes(runtime)) {
    throw new OnnxOptionsError(
      `onnxEndpoint: runtime: expected 'auto', 'onnxruntime-node' or 'onnxruntime-web', got ${describeValue(runtime)}`,
    );
  }
  const url = options.workerUrl === undefined ? defaultNodeWorkerUrl() : toFileUrl(options.workerUrl);
  return createOnnxEndpoint(options, {
    spawn: nodeSpawner({ url, runtime, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) }),
    defaultExecutionProviders: NODE_DEFAULT_EXECUTION_PROVIDERS,
    resolveModel,
    // Each worker is one slot: split the cores between them instead of letting each take them all.
    defaultSessionOptions: (workers) => ({
      intraOpNumThreads: Math.max(1, Math.floor(availableParallelism() / workers)),
    }),
  });
}

/**
 * The built worker script beside this module. Run from the sources (tests), this module is a
 * .ts file and worker_threads cannot load .ts: the built one in dist/ is used instead.
 */
export function defaultNodeWorkerUrl(): URL {
  const beside = new URL('./node-worker.js', import.meta.url);
  if (existsSync(beside)) return beside;
  return new URL('../../dist/onnx/node-worker.js', import.meta.url);
}

function resolveModel(model: ModelInput): ModelSource {
  if (model instanceof URL) return model.protocol === 'file:' ? fileURLToPath(model) : model.href;
  return model;
}

function toFileUrl(value: URL | string): URL {
  if (value instanceof URL) return value;
  return value.startsWith('file:') ? new URL(value) : pathToFileURL(value);
}
