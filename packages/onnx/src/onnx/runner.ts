import { transfer } from 'comlink';
import { causeMessage } from './errors.js';
import { LayoutScratch } from './step-layout.js';
import { runSteps } from './steps.js';
import { runUniformSteps } from './uniform-steps.js';
import type { StepPlan } from './step-plan.js';
import { decodeBatch, transferBatch } from './packed.js';
import type { WireBatch } from './packed.js';
import { groupByShape, splitOutputs, stackFeeds } from './stack-feeds.js';
import { checkOnCpu } from './tensors.js';
import type { BatchAxes, Feeds, TensorArray, TensorData, TensorType } from './tensors.js';

/** The parts of an ONNX Runtime module (`onnxruntime-node` or `onnxruntime-web`) the runner uses. */
export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: object): Promise<OrtSession> };
  Tensor: new (type: TensorType, data: TensorArray, dims: readonly number[]) => OrtTensor;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** What a runner is made of: the ORT module its worker chose, and how to tell an execution provider is usable. */
export interface RunnerDependencies {
  ort: OrtModule;
  /** Which ORT package `ort` is, for the report ('onnxruntime-node', 'onnxruntime-web'). */
  runtime: string;
  /** Says whether an execution provider can work here before a session is tried with it. @default every provider can */
  isAvailable?: (executionProvider: string) => Promise<boolean>;
  /** Hands the runtime WebAssembly bytes it should not fetch again (onnxruntime-web). @default ignored */
  useWasmBinary?: (bytes: ArrayBuffer) => void;
}

/** A model as the runner takes it: a path or URL (ORT reads or fetches it), or its bytes. */
export type ModelSource = string | Uint8Array | ArrayBuffer;

/** Plain, structured-cloneable ORT session options (`intraOpNumThreads`, `graphOptimizationLevel`, …). */
export type SessionOptions = Record<string, unknown>;

export interface RunnerLoadOptions {
  /** Tried one at a time, in order; the first that creates a session is used. */
  executionProviders: readonly string[];
  /** Batch axis per input name (default 0; `null`: shared by all requests). */
  inputBatchAxes?: BatchAxes;
  /** Batch axis per output name (default 0; `null`: copied to every request). */
  outputBatchAxes?: BatchAxes;
  sessionOptions?: SessionOptions;
  /** The runtime's WebAssembly, fetched once by the page for every worker (onnxruntime-web's `env.wasm.wasmBinary`). */
  wasmBinary?: ArrayBuffer;
}

export interface LoadReport {
  executionProvider: string;
  /** Providers tried before it, and why each was passed over. */
  fallbacks: string[];
  runtime: string;
  inputNames: string[];
  outputNames: string[];
}

/**
 * The API a worker exposes over Comlink: one `InferenceSession`, one run at a time. Batches cross
 * encoded (`WireBatch`, see `encodeBatch`); `feedsRunner` gives the same calls on feeds.
 */
export interface RunnerApi {
  load(model: ModelSource, options: RunnerLoadOptions): Promise<LoadReport>;
  /** Runs a batch: one request's feeds per entry in, one request's outputs per entry out, same order. */
  run(batch: WireBatch): Promise<WireBatch>;
  /** Steps a batch of sequences through a recurrent model, all in this worker (see `StepPlan`). */
  runSteps(batch: WireBatch, plan: StepPlan): Promise<WireBatch>;
  dispose(): Promise<void>;
}

/**
 * Creates the runner a worker exposes. Requests of a batch are stacked into one `session.run`
 * (one per distinct shape, when shapes differ: padding would make a request's result depend on
 * its neighbours) and the outputs split back per request; the results are encoded (see
 * `encodeBatch`) and their buffers marked for transfer, so they move to the caller's thread.
 */
export function createRunner(deps: RunnerDependencies): RunnerApi {
  const { ort } = deps;
  let session: OrtSession | null = null;
  let options: RunnerLoadOptions = { executionProviders: [] };
  // ORT sessions are not re-entrant: runs wait for the one before them.
  const serially = serialQueue();
  const loaded = (): OrtSession => {
    if (!session) throw new Error('no model is loaded in this worker');
    return session;
  };
  // Runs are serial: one batch's step layout at a time, in memory kept for the next.
  const scratch = new LayoutScratch();

  return {
    load: (model, loadOptions) =>
      serially(async () => {
        if (session) throw new Error('this worker already holds a model');
        const created = await loadSession(deps, model, loadOptions);
        session = created.session;
        options = loadOptions;
        return created.report;
      }),

    run: (batch) => serially(async () => transferBatch(await runBatch(ort, loaded(), decodeBatch(batch), options))),

    runSteps: (batch, plan) => serially(async () => runStepBatch(ort, loaded(), batch, plan, options, scratch)),

    dispose: () =>
      serially(async () => {
        const current = session;
        session = null;
        await current?.release();
      }),
  };
}

/** Runs each piece of work after the one before it has settled, whether it failed or not. */
function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };
}

async function loadSession(
  deps: RunnerDependencies,
  model: ModelSource,
  loadOptions: RunnerLoadOptions,
): Promise<{ session: OrtSession; report: LoadReport }> {
  if (loadOptions.wasmBinary) deps.useWasmBinary?.(loadOptions.wasmBinary);
  const { session, executionProvider, fallbacks } = await createSession(deps, toOrtModel(model), loadOptions);
  return {
    session,
    report: {
      executionProvider,
      fallbacks,
      runtime: deps.runtime,
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
    },
  };
}

/**
 * One `session.run`. `made`: the ORT tensors made for this batch's inputs, so that one fed at every
 * step (VAD's sample rate) is made once. A step's outputs are ORT's own tensors, fed back as they are.
 * Not async: a step of a sequence is one promise to wait on, not two.
 */
function runOnce(ort: OrtModule, current: OrtSession, feeds: Feeds, made: Map<TensorData, OrtTensor>): Promise<Feeds> {
  return current.run(toOrtFeeds(ort, feeds, made)).then(fromOrtFeeds);
}

/** A batch stacked into one run per distinct input shape, the outputs split back per request. */
async function runBatch(
  ort: OrtModule,
  current: OrtSession,
  batch: Feeds[],
  options: RunnerLoadOptions,
): Promise<Feeds[]> {
  const results: Feeds[] = new Array<Feeds>(batch.length);
  for (const group of groupByShape(batch, options.inputBatchAxes)) {
    const { feeds, counts } = stackFeeds(
      group.map((i) => batch[i] as Feeds),
      options.inputBatchAxes,
    );
    const split = splitOutputs(await runOnce(ort, current, feeds, new Map()), counts, options.outputBatchAxes);
    group.forEach((index, k) => (results[index] = split[k] as Feeds));
  }
  return results;
}

/** A batch of sequences stepped through a recurrent model; its results encoded, buffers marked for transfer. */
async function runStepBatch(
  ort: OrtModule,
  current: OrtSession,
  batch: WireBatch,
  plan: StepPlan,
  options: RunnerLoadOptions,
  scratch: LayoutScratch,
): Promise<WireBatch> {
  const axes = { inputs: options.inputBatchAxes, outputs: options.outputBatchAxes, scratch };
  scratch.reset();
  // Most batches are uniform (same shapes, same steps): run from the columns as they came,
  // each input made an ORT tensor once and the session run on them as they are.
  const uniform = await runUniformSteps(
    (feeds) => current.run(feeds as unknown as Record<string, OrtTensor>) as unknown as Promise<Feeds>,
    batch,
    plan,
    axes,
    (t) => new ort.Tensor(t.type, t.data, t.dims) as unknown as TensorData,
  );
  if (uniform !== null) return transfer(uniform.wire, uniform.buffers);
  const made = new Map<TensorData, OrtTensor>();
  return transferBatch(await runSteps((feeds) => runOnce(ort, current, feeds, made), decodeBatch(batch), plan, axes));
}

async function createSession(
  deps: RunnerDependencies,
  model: string | Uint8Array,
  options: RunnerLoadOptions,
): Promise<{ session: OrtSession; executionProvider: string; fallbacks: string[] }> {
  const failures: string[] = [];
  for (const executionProvider of options.executionProviders) {
    if (deps.isAvailable && !(await deps.isAvailable(executionProvider))) {
      failures.push(`${executionProvider}: not available here`);
      continue;
    }
    try {
      // One provider at a time: given a list, ORT falls back silently and we could not say which one runs.
      const session = await deps.ort.InferenceSession.create(model, {
        ...options.sessionOptions,
        executionProviders: [executionProvider],
      });
      return { session, executionProvider: reportedName(deps.runtime, executionProvider), fallbacks: failures };
    } catch (error) {
      failures.push(`${executionProvider}: ${causeMessage(error)}`);
    }
  }
  if (failures.length === 0) throw new Error('no execution provider was given');
  throw new Error(failures.join('; '));
}

/** onnxruntime-web runs its 'cpu' provider as WebAssembly: say so. */
function reportedName(runtime: string, executionProvider: string): string {
  return runtime === 'onnxruntime-web' && executionProvider === 'cpu' ? 'wasm' : executionProvider;
}

function toOrtModel(model: ModelSource): string | Uint8Array {
  return model instanceof ArrayBuffer ? new Uint8Array(model) : model;
}

function toOrtFeeds(ort: OrtModule, feeds: Feeds, made: Map<TensorData, OrtTensor>): Record<string, OrtTensor> {
  const result: Record<string, OrtTensor> = {};
  for (const name in feeds) {
    const t = feeds[name] as TensorData;
    if (t instanceof ort.Tensor) {
      result[name] = t;
      continue;
    }
    let tensor = made.get(t);
    if (!tensor) made.set(t, (tensor = new ort.Tensor(t.type, t.data, t.dims)));
    result[name] = tensor;
  }
  return result;
}

/** ORT's output tensors as they are: each has a numeric `data` on the CPU, its `type` and `dims`, as a `TensorData`. */
function fromOrtFeeds(outputs: Record<string, OrtTensor>): Feeds {
  for (const name in outputs) {
    const t = outputs[name] as OrtTensor;
    checkOnCpu(name, t);
  }
  return outputs as unknown as Feeds;
}
