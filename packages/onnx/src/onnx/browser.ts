import type { EndpointDefinition } from '@crowdserve/server';
import { browserSpawner } from './browser-spawn.js';
import { createOnnxEndpoint } from './onnx-endpoint.js';
import { BROWSER_DEFAULT_EXECUTION_PROVIDERS } from './onnx-options.js';
import type { ModelInput, OnnxEndpointOptions } from './onnx-options.js';
import type { ModelSource } from './runner.js';
import { fetchWithProgress } from './load-progress.js';
import type { OnLoadProgress } from './load-progress.js';
import { describeValue } from '@crowdserve/protocol';
import { OnnxOptionsError } from './errors.js';
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
  /**
   * The URL of onnxruntime-web's WebAssembly (with Vite:
   * `import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url'`): the page fetches it
   * once, with the model, and hands the bytes to every worker, so that the load's progress counts it
   * too. @default none: each worker fetches it itself, unseen by `onProgress`
   */
  wasm?: string | URL;
}

/** `onnxEndpoint()` for the in-browser server: workers are Web Workers. */
export function onnxEndpoint<Prepared = Feeds, Result = Feeds>(
  options: BrowserOnnxEndpointOptions<Prepared, Result>,
): EndpointDefinition {
  const { wasm } = options;
  if (wasm !== undefined && !(wasm instanceof URL) && !(typeof wasm === 'string' && wasm.length > 0)) {
    throw new OnnxOptionsError(`onnxEndpoint: wasm: expected a URL or a non-empty string, got ${describeValue(wasm)}`);
  }
  return createOnnxEndpoint(options, {
    spawn: browserSpawner(options.createWorker ?? createRunnerWorker),
    defaultExecutionProviders: BROWSER_DEFAULT_EXECUTION_PROVIDERS,
    resolveModel,
    fetchOnce: (model, onProgress) => fetchOnce(model, wasm === undefined ? null : absolute(wasm), onProgress),
  });
}

/** The model (when it is a URL) and the WASM (when given), fetched here once, for every worker. */
async function fetchOnce(
  model: ModelSource,
  wasm: string | null,
  onProgress: OnLoadProgress,
): Promise<{ model: ModelSource; wasmBinary?: ArrayBuffer }> {
  const urls = [typeof model === 'string' ? model : null, wasm].filter((url): url is string => url !== null);
  const bodies = await fetchWithProgress(urls, onProgress);
  const fetchedModel = typeof model === 'string' ? (bodies.shift() as ArrayBuffer) : model;
  const wasmBinary = bodies.shift();
  return { model: fetchedModel, ...(wasmBinary ? { wasmBinary } : {}) };
}

function absolute(url: string | URL): string {
  return resolveModel(url) as string;
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
