import type { IoSpec } from '@crowdserve/protocol';
import { describeValue } from '@crowdserve/protocol';
import { OnnxOptionsError } from './errors.js';
import type { WireBatch } from './packed.js';
import type { SessionOptions } from './runner.js';
import type { StepPlan } from './step-plan.js';
import { isTensorType } from './tensors.js';
import type { BatchAxes, Feeds } from './tensors.js';
import type { OnLoadProgress } from './load-progress.js';

/** A model: a file path (Node), a URL, or the model's bytes. */
export type ModelInput = string | URL | Uint8Array | ArrayBuffer;

/** A worker's session as `infer` sees it. */
export interface OnnxSession {
  /** One batched run on the worker: one request's feeds per entry in, its outputs out, same order. */
  run(batch: Feeds[]): Promise<Feeds[]>;
  /** A recurrent model stepped through each request's sequence inside the worker (see `StepPlan`). */
  runSteps(batch: Feeds[], plan: StepPlan): Promise<Feeds[]>;
  /**
   * `runSteps` on a batch the caller encoded itself (see `WireBatch`, `encodeBatch`), e.g. with one
   * buffer per input for the whole batch; `buffers` are transferred with it. The results come
   * back encoded (`decodeBatch` reads them).
   */
  runStepsEncoded(batch: WireBatch, plan: StepPlan, buffers?: readonly ArrayBuffer[]): Promise<WireBatch>;
}

/** Options of `onnxEndpoint()`, in Node and in the browser. */
export interface OnnxEndpointOptions<Prepared = Feeds, Result = Feeds> {
  /** The model: a path or `file:` URL (Node), an http(s) URL (browser), or its bytes. */
  model: ModelInput;
  /** Names the model in errors and reports. @default the path or URL, or "a model of N bytes" */
  modelName?: string;
  /** One request's `data` in, what `infer` takes out (by default the model's input feeds). Runs on the host's thread. */
  preprocess: (data: unknown[]) => Prepared | Promise<Prepared>;
  /** One request's result (by default the model's output feeds) and its `data` in, its output `data` out. */
  postprocess: (result: Result, data: unknown[]) => unknown[] | Promise<unknown[]>;
  /**
   * Under a host, let go of each request's `data` once `preprocess` made its item, so a waiting job
   * holds only the item; `postprocess` then gets `[]` as the data. Set it when `postprocess` does not
   * read the data (the built-in VAD and OCR endpoints do). @default false
   */
  releaseData?: boolean;
  /**
   * For a recurrent model: step inputs and carried state, stepped through inside the worker. The
   * items are then the feeds, each step input with a leading step axis. @default null (one run per batch)
   */
  steps?: StepPlan | null;
  /**
   * Runs a batch of prepared requests on one worker: several calls on `session` are allowed,
   * all on the same session, which no one else uses meanwhile.
   * @default `session.run(items)` (or `session.runSteps(items, steps)`): the items are the feeds
   */
  infer?: (items: Prepared[], session: OnnxSession) => Promise<Result[]>;
  /** Batch axis per model input (absent: 0; `null`: shared by all requests, such as a sample rate). @default {} */
  inputBatchAxes?: BatchAxes;
  /** Batch axis per model output (absent: 0; `null`: not batched, copied to every request). @default {} */
  outputBatchAxes?: BatchAxes;
  /** Execution providers, tried in order; the endpoint reports the one it got. @default ['cpu'] in Node, ['webgpu', 'wasm'] in the browser */
  executionProviders?: readonly string[];
  /** ORT session options (`graphOptimizationLevel`, `intraOpNumThreads`, …). @default Node: intraOpNumThreads = cores / workers */
  sessionOptions?: SessionOptions;
  /** Called as the model loads at setup: bytes fetched, then workers ready (see `LoadProgress`). @default none */
  onProgress?: OnLoadProgress;
  /** A request's `data` run once through each new worker before it takes calls. @default null (no warm-up) */
  warmup?: unknown[] | null;
  batch?: boolean;
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  timeoutMs?: number | null;
  concurrencyLimit?: number | null;
  expectedDurationMs?: number | null;
  inputs?: IoSpec[];
  outputs?: IoSpec[];
}

export const DEFAULT_ONNX_ENDPOINT_OPTIONS = {
  batch: false,
  maxBatchSize: 4,
  maxBatchDelayMs: 0,
  timeoutMs: null,
  concurrencyLimit: null,
  expectedDurationMs: null,
  warmup: null,
  steps: null,
  releaseData: false,
} as const;

/**
 * ORT's `logSeverityLevel` under the user's session options: errors only. At the default (warning)
 * every session logs `VerifyEachNodeIsAssignedToAnEp` when shape ops run on the CPU beside WebGPU,
 * which Chromium's console shows as errors though nothing is wrong.
 * @default 3
 */
export const DEFAULT_ORT_LOG_SEVERITY_LEVEL = 3;

export const NODE_DEFAULT_EXECUTION_PROVIDERS: readonly string[] = ['cpu'];
export const BROWSER_DEFAULT_EXECUTION_PROVIDERS: readonly string[] = ['webgpu', 'wasm'];

export interface ResolvedOnnxOptions<Prepared, Result> extends OnnxEndpointOptions<Prepared, Result> {
  modelName: string;
  executionProviders: readonly string[];
  inputBatchAxes: BatchAxes;
  outputBatchAxes: BatchAxes;
  sessionOptions: SessionOptions;
  warmup: unknown[] | null;
  steps: StepPlan | null;
  releaseData: boolean;
  batch: boolean;
  maxBatchSize: number;
  maxBatchDelayMs: number;
  timeoutMs: number | null;
  concurrencyLimit: number | null;
  expectedDurationMs: number | null;
}

/** Checks every option once and fills in the defaults; throws `OnnxOptionsError` ("expected X, got Y"). */
export function validateOnnxOptions<Prepared, Result>(
  options: OnnxEndpointOptions<Prepared, Result>,
  defaultExecutionProviders: readonly string[],
): ResolvedOnnxOptions<Prepared, Result> {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  checkModel(options);
  checkFunctions(options);
  const executionProviders = options.executionProviders ?? defaultExecutionProviders;
  if (
    !Array.isArray(executionProviders) ||
    executionProviders.length === 0 ||
    !executionProviders.every((ep) => typeof ep === 'string' && ep.length > 0)
  ) {
    fail('executionProviders', 'a non-empty array of provider names', executionProviders);
  }
  // An option given as `undefined` takes its default, as if it were absent.
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...DEFAULT_ONNX_ENDPOINT_OPTIONS, ...(given as OnnxEndpointOptions<Prepared, Result>) };
  for (const [key, expected, isValid] of SETTING_CHECKS) {
    if (!isValid(resolved[key])) fail(key, expected, resolved[key]);
  }
  if (resolved.steps !== null) checkSteps(resolved.steps);
  checkAxes('inputBatchAxes', options.inputBatchAxes);
  checkAxes('outputBatchAxes', options.outputBatchAxes);
  return {
    ...resolved,
    modelName: options.modelName ?? modelLabel(options.model),
    executionProviders: [...executionProviders],
    inputBatchAxes: options.inputBatchAxes ?? {},
    outputBatchAxes: options.outputBatchAxes ?? {},
    sessionOptions: options.sessionOptions ?? {},
  };
}

/**
 * The options with a default (but `steps`, checked on its own), once the defaults are in: each with what
 * it must be, checked in this order.
 */
const SETTING_CHECKS: readonly (readonly [
  Exclude<keyof typeof DEFAULT_ONNX_ENDPOINT_OPTIONS, 'steps'>,
  string,
  (value: unknown) => boolean,
])[] = [
  ['batch', 'a boolean', (value) => typeof value === 'boolean'],
  ['releaseData', 'a boolean', (value) => typeof value === 'boolean'],
  ['maxBatchSize', 'an integer ≥ 1', (value) => Number.isInteger(value) && (value as number) >= 1],
  ['maxBatchDelayMs', 'a number ≥ 0', isNonNegative],
  ['timeoutMs', 'a number > 0 or null', (value) => value === null || (isNonNegative(value) && value > 0)],
  [
    'concurrencyLimit',
    'an integer ≥ 1 or null',
    (value) => value === null || (Number.isInteger(value) && (value as number) >= 1),
  ],
  ['expectedDurationMs', 'a number ≥ 0 or null', (value) => value === null || isNonNegative(value)],
  ['warmup', 'a data array or null', (value) => value === null || Array.isArray(value)],
];

function checkModel({ model, modelName }: Pick<OnnxEndpointOptions, 'model' | 'modelName'>): void {
  const isModel =
    (typeof model === 'string' && model.length > 0) ||
    model instanceof URL ||
    model instanceof Uint8Array ||
    model instanceof ArrayBuffer;
  if (!isModel) fail('model', 'a path, a URL, a Uint8Array or an ArrayBuffer', model);
  if (modelName !== undefined && typeof modelName !== 'string') fail('modelName', 'a string', modelName);
}

/** The caller's functions: `preprocess` and `postprocess` always, `infer` and `onProgress` where given. */
function checkFunctions<Prepared, Result>(options: OnnxEndpointOptions<Prepared, Result>): void {
  for (const key of ['preprocess', 'postprocess'] as const) {
    if (typeof options[key] !== 'function') fail(key, 'a function', options[key]);
  }
  for (const key of ['infer', 'onProgress'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') fail(key, 'a function', options[key]);
  }
}

/** How a model is named in messages when the user gave no name. */
export function modelLabel(model: ModelInput): string {
  if (typeof model === 'string') return JSON.stringify(model);
  if (model instanceof URL) return JSON.stringify(model.href);
  return `(a model of ${model.byteLength} bytes)`;
}

function checkAxes(name: string, axes: unknown): void {
  if (axes === undefined) return;
  const valid =
    typeof axes === 'object' &&
    axes !== null &&
    Object.values(axes).every((axis) => axis === null || (Number.isInteger(axis) && (axis as number) >= 0));
  if (!valid) fail(name, 'an object of input names to an axis (integer ≥ 0) or null', axes);
}

function checkSteps(steps: StepPlan): void {
  const valid =
    typeof steps === 'object' &&
    Array.isArray(steps.stepInputs) &&
    steps.stepInputs.length > 0 &&
    steps.stepInputs.every((name) => typeof name === 'string') &&
    typeof steps.carry === 'object' &&
    steps.carry !== null &&
    Object.values(steps.carry).every((name) => typeof name === 'string') &&
    (steps.returnCarried === undefined || typeof steps.returnCarried === 'boolean') &&
    (steps.zeros === undefined || isZeros(steps.zeros, Object.values(steps.carry)));
  if (!valid) {
    fail('steps', '{ stepInputs: [names…], carry: { output: input }, returnCarried?, zeros? } or null', steps);
  }
}

/** `zeros`: carried inputs only, each `{ type, dims }` with a known type and dims of integers ≥ 1. */
function isZeros(zeros: unknown, carried: readonly string[]): boolean {
  if (typeof zeros !== 'object' || zeros === null) return false;
  return Object.entries(zeros).every(
    ([name, zero]: [string, unknown]) =>
      carried.includes(name) &&
      typeof zero === 'object' &&
      zero !== null &&
      isTensorType((zero as { type?: unknown }).type) &&
      Array.isArray((zero as { dims?: unknown }).dims) &&
      (zero as { dims: unknown[] }).dims.every((d) => Number.isInteger(d) && (d as number) >= 1),
  );
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function fail(name: string, expected: string, got: unknown): never {
  throw new OnnxOptionsError(`onnxEndpoint: ${name}: expected ${expected}, got ${describeValue(got)}`);
}
