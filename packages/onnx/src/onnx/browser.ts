import type { EndpointDefinition } from '@crowdserve/server';
import { browserSpawner } from './browser-spawn.js';
import { createOnnxEndpoint } from './onnx-endpoint.js';
import { BROWSER_DEFAULT_EXECUTION_PROVIDERS } from './onnx-options.js';
import type { ModelInput, OnnxEndpointOptions } from './onnx-options.js';
import type { ModelSource } from './runner.js';
import type { Feeds } from './tensors.js';

export interface BrowserOnnxEndpointOptions<Prepared = Feeds, Result = Feeds> extends OnnxEndpointOptions<
  Prepared,
  Result
> {
  /**
   * Starts one runner worker, for bundlers that want their own worker import (Vite's `?worker`).
   * @default `new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' })`
   */
  createWorker?: () => Worker;
}

/** `onnxEndpoint()` for the in-browser server: workers are Web Workers. */
export function onnxEndpoint<Prepared = Feeds, Result = Feeds>(
  options: BrowserOnnxEndpointOptions<Prepared, Result>,
): EndpointDefinition {
  return createOnnxEndpoint(options, {
    spawn: browserSpawner(options.createWorker ?? createRunnerWorker),
    defaultExecutionProviders: BROWSER_DEFAULT_EXECUTION_PROVIDERS,
    resolveModel,
  });
}

/** Written out literally so that bundlers (Vite, webpack) see the worker and bundle it. */
export function createRunnerWorker(): Worker {
  return new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
}

/** A relative URL would resolve against the worker's script inside the worker: make it absolute here. */
function resolveModel(model: ModelInput): ModelSource {
  if (model instanceof URL) return model.href;
  const base = globalThis.location?.href;
  if (typeof model === 'string' && base !== undefined) return new URL(model, base).href;
  return model;
}
