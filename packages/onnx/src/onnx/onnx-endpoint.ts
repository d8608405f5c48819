import type { Remote } from 'comlink';
import { CallAbortedError, type EndpointDefinition, type EndpointHost, type EndpointReport } from '@crowdserve/server';
import { WorkerError } from './errors.js';
import { validateOnnxOptions, type ResolvedOnnxOptions } from './onnx-options.js';
import type { OnLoadProgress } from './load-progress.js';
import type { ModelInput, OnnxEndpointOptions, OnnxSession } from './onnx-options.js';
import type { ModelSource, RunnerApi, SessionOptions } from './runner.js';
import { startPool } from './start-pool.js';
import type { Feeds } from './tensors.js';
import type { SpawnWorker, WorkerPool } from './worker-pool.js';
import { sessionOf } from './worker-session.js';

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

  const runBatch: RunBatch = async (requests, signal, prepared) => {
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
      const started = await startPool(host, { resolved, platform, infer });
      pool = started.pool;
      return started.report;
    } finally {
      settingUp = false;
    }
  };

  const dispose = async (): Promise<void> => {
    const current = pool;
    pool = null;
    await current?.dispose();
  };

  return toDefinition(resolved, { runBatch, setup, dispose });
}

type RunBatch = (
  requests: unknown[][],
  signal: AbortSignal,
  prepared: readonly unknown[] | undefined,
) => Promise<unknown[][]>;

/** What `createOnnxEndpoint` made for the server to call. */
interface EndpointCalls {
  runBatch: RunBatch;
  setup: (host: EndpointHost) => Promise<OnnxEndpointReport>;
  dispose: () => Promise<void>;
}

/** The endpoint as the server takes it: its options, and calls of one request or of a batch. */
function toDefinition<Prepared, Result>(
  resolved: ResolvedOnnxOptions<Prepared, Result>,
  { runBatch, setup, dispose }: EndpointCalls,
): EndpointDefinition {
  const { preprocess } = resolved;
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

/** The values, through `Promise.all` only when one is a promise: synchronous pre- and postprocessing costs no promise per request. */
export function whenAll<T>(values: (T | PromiseLike<T>)[]): T[] | Promise<T[]> {
  const pending = values.some((v) => typeof (v as { then?: unknown } | null)?.then === 'function');
  return pending ? Promise.all(values) : (values as T[]);
}
