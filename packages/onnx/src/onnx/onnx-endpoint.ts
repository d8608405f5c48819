import type { Remote } from 'comlink';
import { CallAbortedError, type EndpointDefinition, type EndpointHost, type EndpointReport } from '@crowdserve/server';
import { ModelLoadError, WorkerError } from './errors.js';
import { DEFAULT_ORT_LOG_SEVERITY_LEVEL, validateOnnxOptions } from './onnx-options.js';
import type { OnLoadProgress } from './load-progress.js';
import type { ModelInput, OnnxEndpointOptions, OnnxSession } from './onnx-options.js';
import type { LoadReport, ModelSource, RunnerApi, SessionOptions } from './runner.js';
import { feedsRunner } from './packed.js';
import type { Feeds } from './tensors.js';
import { WorkerPool } from './worker-pool.js';
import type { SpawnWorker } from './worker-pool.js';

/** What differs between Node and the browser: how workers start, and a few defaults. */
export interface OnnxPlatform {
  spawn: SpawnWorker<Remote<RunnerApi>>;
  defaultExecutionProviders: readonly string[];
  /** Turns the `model` option into what a worker can load (a path, an absolute URL, bytes). */
  resolveModel: (model: ModelInput) => ModelSource;
  /** Session options for a pool of `workers` workers, under the user's own. */
  defaultSessionOptions?: (workers: number) => SessionOptions;
  /**
   * Fetches what every worker needs once, before they start (the browser: model and WASM bytes),
   * so that no worker fetches them itself. @default none: each worker reads the model itself
   */
  fetchOnce?: (
    model: ModelSource,
    onProgress: OnLoadProgress,
  ) => Promise<{ model: ModelSource; wasmBinary?: ArrayBuffer }>;
  /** Says once, at setup, where the model runs. @default console.info */
  log?: (line: string) => void;
}

/** What an ONNX endpoint reports after setup (shown in `/config` and the playground). */
export interface OnnxEndpointReport extends EndpointReport {
  executionProvider: string;
  /** 'onnxruntime-node' or 'onnxruntime-web'. */
  runtime: string;
  /** Providers tried before the one in use, and why each was passed over. */
  executionProviderFallbacks: string[];
  workers: number;
  model: string;
}

/**
 * An endpoint whose calls run an ONNX model in a pool of workers, one `InferenceSession` each.
 * `setup(host)` starts `min(concurrencyCount, concurrencyLimit)` workers, loads the model in each
 * and warms it up; each request is preprocessed as its data arrives (`prepare`), a call runs the
 * batch on a free worker and postprocesses each result. The handler's `signal`, on a timeout or
 * shutdown, terminates the busy worker, which is replaced; when the clients merely left, the run
 * finishes and its result is dropped.
 */
/**
 * The part of a call's signal that should stop its worker: a timeout or a shutdown. When every
 * client merely left, the run (milliseconds) is left to finish, because terminating the worker
 * would cost a model reload.
 */
function terminatingSignal(signal: AbortSignal): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const forward = () => {
    const reason: unknown = signal.reason;
    if (!(reason instanceof CallAbortedError && reason.code === 'CANCELLED')) controller.abort(reason);
  };
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  // Called when the run ends, so a caller that reuses one signal does not collect listeners.
  return { signal: controller.signal, release: () => signal.removeEventListener('abort', forward) };
}

export function createOnnxEndpoint<Prepared = Feeds, Result = Feeds>(
  options: OnnxEndpointOptions<Prepared, Result>,
  platform: OnnxPlatform,
): EndpointDefinition {
  const resolved = validateOnnxOptions(options, platform.defaultExecutionProviders);
  const { preprocess, postprocess, modelName } = resolved;
  const { steps } = resolved;
  const infer =
    resolved.infer ??
    ((items: Prepared[], session: OnnxSession) =>
      (steps ? session.runSteps(items as Feeds[], steps) : session.run(items as Feeds[])) as Promise<Result[]>);
  let pool: WorkerPool<Remote<RunnerApi>> | null = null;
  let settingUp = false;

  const runBatch = async (
    requests: unknown[][],
    signal: AbortSignal,
    prepared: readonly unknown[] | undefined,
  ): Promise<unknown[][]> => {
    if (!pool) throw new WorkerError('POOL_NOT_STARTED', `ONNX model ${modelName}: the endpoint was not set up`);
    // Under a host, each request was preprocessed when its data arrived (`prepare`); a caller that
    // runs `fn` itself gets it done here.
    const items =
      prepared?.length === requests.length
        ? (prepared as Prepared[])
        : await whenAll(requests.map((data) => preprocess(data)));
    const stop = terminatingSignal(signal);
    const results = await pool.run((api) => infer(items, sessionOf(api)), stop.signal).finally(stop.release);
    if (results.length !== items.length) {
      throw new Error(`ONNX model ${modelName}: infer returned ${results.length} results for ${items.length} requests`);
    }
    return whenAll(results.map((result, i) => postprocess(result, requests[i] as unknown[])));
  };

  const setup = async (host: EndpointHost): Promise<OnnxEndpointReport> => {
    if (settingUp || pool) throw new Error(`ONNX endpoint ${host.apiName} was already set up`);
    settingUp = true;
    try {
      const started = await startPool(host);
      pool = started.pool;
      return started.report;
    } finally {
      settingUp = false;
    }
  };

  const startPool = async (host: EndpointHost) => {
    const workers = Math.min(host.concurrencyCount, resolved.concurrencyLimit ?? Infinity);
    const onProgress: OnLoadProgress = resolved.onProgress ?? (() => undefined);
    let fetched: { model: ModelSource; wasmBinary?: ArrayBuffer };
    try {
      const source = platform.resolveModel(resolved.model);
      fetched = platform.fetchOnce ? await platform.fetchOnce(source, onProgress) : { model: source };
    } catch (error) {
      throw new ModelLoadError('MODEL_LOAD_FAILED', modelName, { cause: error });
    }
    const { model } = fetched;
    const loadOptions = {
      executionProviders: resolved.executionProviders,
      inputBatchAxes: resolved.inputBatchAxes,
      outputBatchAxes: resolved.outputBatchAxes,
      sessionOptions: {
        logSeverityLevel: DEFAULT_ORT_LOG_SEVERITY_LEVEL,
        ...platform.defaultSessionOptions?.(workers),
        ...resolved.sessionOptions,
      },
      ...(fetched.wasmBinary ? { wasmBinary: fetched.wasmBinary } : {}),
    };
    let ready = 0;
    onProgress({ phase: 'session', loaded: ready, total: workers });
    let loaded: LoadReport | undefined;
    const starting = new WorkerPool<Remote<RunnerApi>>({
      size: workers,
      spawn: platform.spawn,
      name: `ONNX endpoint ${host.apiName}`,
      close: (api) => api.dispose(),
      init: async (api) => {
        try {
          loaded = await api.load(model, loadOptions);
        } catch (error) {
          throw new ModelLoadError('MODEL_LOAD_FAILED', modelName, { cause: error });
        }
        if (resolved.warmup !== null) {
          try {
            await infer([await preprocess(resolved.warmup)], sessionOf(api));
          } catch (error) {
            throw new ModelLoadError('MODEL_WARMUP_FAILED', modelName, { cause: error });
          }
        }
        // Only the first start counts: a replacement worker later is not part of the load.
        if (ready < workers) onProgress({ phase: 'session', loaded: ++ready, total: workers });
      },
    });
    try {
      await starting.start();
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
    return { pool: starting, report };
  };

  const dispose = async (): Promise<void> => {
    const current = pool;
    pool = null;
    await current?.dispose();
  };

  const common = {
    inputs: resolved.inputs,
    outputs: resolved.outputs,
    concurrencyLimit: resolved.concurrencyLimit,
    expectedDurationMs: resolved.expectedDurationMs,
    timeoutMs: resolved.timeoutMs,
    prepare: (data: unknown[]) => preprocess(data),
    releaseData: resolved.releaseData,
    setup,
    dispose,
  };
  if (resolved.batch) {
    return {
      ...common,
      batch: true,
      maxBatchSize: resolved.maxBatchSize,
      maxBatchDelayMs: resolved.maxBatchDelayMs,
      fn: (requests, { signal, prepared }) => runBatch(requests, signal, prepared),
    };
  }
  return {
    ...common,
    fn: async (data, { signal, prepared }) => (await runBatch([data], signal, prepared))[0] as unknown[],
  };
}

/** The values, through `Promise.all` only when one is a promise: synchronous pre- and postprocessing costs no promise per request. */
export function whenAll<T>(values: (T | PromiseLike<T>)[]): T[] | Promise<T[]> {
  const pending = values.some((v) => typeof (v as { then?: unknown } | null)?.then === 'function');
  return pending ? Promise.all(values) : (values as T[]);
}

/** Each worker's runner as `infer` sees it, made once per worker (see `feedsRunner`). */
const sessions = new WeakMap<Remote<RunnerApi>, OnnxSession>();

/** A worker's runner as `infer` sees it: a batch crosses encoded (see `encodeBatch`), its buffers transferred. */
function sessionOf(api: Remote<RunnerApi>): OnnxSession {
  let session = sessions.get(api);
  if (session === undefined) sessions.set(api, (session = feedsRunner(api)));
  return session;
}
