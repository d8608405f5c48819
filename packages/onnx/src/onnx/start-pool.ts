import type { Remote } from 'comlink';
import type { EndpointHost } from '@crowdserve/server';
import { ModelLoadError } from './errors.js';
import type { OnLoadProgress } from './load-progress.js';
import type { OnnxEndpointReport, OnnxPlatform } from './onnx-endpoint.js';
import { DEFAULT_ORT_LOG_SEVERITY_LEVEL, type OnnxSession, type ResolvedOnnxOptions } from './onnx-options.js';
import type { LoadReport, ModelSource, RunnerApi, RunnerLoadOptions } from './runner.js';
import { WorkerPool } from './worker-pool.js';
import { sessionOf } from './worker-session.js';

/** What an endpoint's setup starts its workers with. */
export interface PoolStart<Prepared, Result> {
  resolved: ResolvedOnnxOptions<Prepared, Result>;
  platform: OnnxPlatform;
  infer: (items: Prepared[], session: OnnxSession) => Promise<Result[]>;
}

/**
 * An endpoint's setup: fetches the model once where the platform does, starts
 * `min(concurrencyCount, concurrencyLimit)` workers, loads and warms up the model in each (reporting
 * progress), and says once where the model runs. Every failure is a `ModelLoadError`.
 */
export async function startPool<Prepared, Result>(
  host: EndpointHost,
  start: PoolStart<Prepared, Result>,
): Promise<{ pool: WorkerPool<Remote<RunnerApi>>; report: OnnxEndpointReport }> {
  const { resolved, platform } = start;
  const { modelName } = resolved;
  const workers = Math.min(host.concurrencyCount, resolved.concurrencyLimit ?? Infinity);
  const onProgress: OnLoadProgress = resolved.onProgress ?? (() => undefined);
  const fetched = await fetchModel(resolved, platform, onProgress);
  const loadOptions = loadOptionsFor(resolved, platform, workers, fetched.wasmBinary);
  let ready = 0;
  onProgress({ phase: 'session', loaded: ready, total: workers });
  let loaded: LoadReport | undefined;
  const pool = new WorkerPool<Remote<RunnerApi>>({
    size: workers,
    spawn: platform.spawn,
    name: `ONNX endpoint ${host.apiName}`,
    close: (api) => api.dispose(),
    init: async (api) => {
      loaded = await initWorker(api, fetched.model, loadOptions, start);
      // Only the first start counts: a replacement worker later is not part of the load.
      if (ready < workers) onProgress({ phase: 'session', loaded: ++ready, total: workers });
    },
  });
  try {
    await pool.start();
  } catch (error) {
    // A worker that dies while loading (out of memory, a native crash) is a failed load too.
    throw error instanceof ModelLoadError
      ? error
      : new ModelLoadError('MODEL_LOAD_FAILED', modelName, { cause: error });
  }
  const { executionProvider, runtime, fallbacks } = loaded as LoadReport;
  const report: OnnxEndpointReport = {
    executionProvider,
    runtime,
    executionProviderFallbacks: fallbacks,
    workers,
    model: modelName,
  };
  // Once per endpoint, so a server silently on the slower runtime shows it (issue 22.2).
  const fellBack = fallbacks.length > 0 ? `; passed over ${fallbacks.join('; ')}` : '';
  (platform.log ?? console.info)(
    `crowdserve ${host.apiName}: ${modelName} on ${runtime} (${executionProvider}), ${workers} worker(s)${fellBack}`,
  );
  return { pool, report };
}

/** The model as the workers load it: fetched once for all of them where the platform does that. */
async function fetchModel(
  resolved: Pick<ResolvedOnnxOptions<unknown, unknown>, 'model' | 'modelName'>,
  platform: OnnxPlatform,
  onProgress: OnLoadProgress,
): Promise<{ model: ModelSource; wasmBinary?: ArrayBuffer }> {
  try {
    const source = platform.resolveModel(resolved.model);
    return platform.fetchOnce ? await platform.fetchOnce(source, onProgress) : { model: source };
  } catch (error) {
    throw new ModelLoadError('MODEL_LOAD_FAILED', resolved.modelName, { cause: error });
  }
}

/** The user's session options over the platform's defaults for this many workers, over ours. */
function loadOptionsFor(
  resolved: Pick<
    ResolvedOnnxOptions<unknown, unknown>,
    'executionProviders' | 'inputBatchAxes' | 'outputBatchAxes' | 'sessionOptions'
  >,
  platform: OnnxPlatform,
  workers: number,
  wasmBinary: ArrayBuffer | undefined,
): RunnerLoadOptions {
  return {
    executionProviders: resolved.executionProviders,
    inputBatchAxes: resolved.inputBatchAxes,
    outputBatchAxes: resolved.outputBatchAxes,
    sessionOptions: {
      logSeverityLevel: DEFAULT_ORT_LOG_SEVERITY_LEVEL,
      ...platform.defaultSessionOptions?.(workers),
      ...resolved.sessionOptions,
    },
    ...(wasmBinary ? { wasmBinary } : {}),
  };
}

/** Loads the model in a new worker, then runs the warm-up request through it, if there is one. */
async function initWorker<Prepared, Result>(
  api: Remote<RunnerApi>,
  model: ModelSource,
  loadOptions: RunnerLoadOptions,
  { resolved, infer }: PoolStart<Prepared, Result>,
): Promise<LoadReport> {
  const { preprocess, warmup, modelName } = resolved;
  let loaded: LoadReport;
  try {
    loaded = await api.load(model, loadOptions);
  } catch (error) {
    throw new ModelLoadError('MODEL_LOAD_FAILED', modelName, { cause: error });
  }
  if (warmup !== null) {
    try {
      await infer([await preprocess(warmup)], sessionOf(api));
    } catch (error) {
      throw new ModelLoadError('MODEL_WARMUP_FAILED', modelName, { cause: error });
    }
  }
  return loaded;
}
