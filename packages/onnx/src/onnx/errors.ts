/** Why a worker-pool call failed. Stable: code that reacts to these tests the code, never the text. */
export type WorkerErrorCode = 'WORKER_CRASHED' | 'RUN_ABORTED' | 'POOL_DISPOSED' | 'POOL_NOT_STARTED';

/** A call on a worker failed for a reason outside the model: the worker died, the call was aborted, the pool closed. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  readonly code: WorkerErrorCode;

  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type ModelLoadErrorCode = 'MODEL_LOAD_FAILED' | 'MODEL_WARMUP_FAILED';

/** A model could not be loaded (or its warm-up run failed) in a worker. The message names the model. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  readonly code: ModelLoadErrorCode;
  readonly model: string;

  constructor(code: ModelLoadErrorCode, model: string, options?: { cause?: unknown }) {
    const what = code === 'MODEL_LOAD_FAILED' ? 'could not load ONNX model' : 'the warm-up run failed for ONNX model';
    super(`${what} ${model}: ${causeMessage(options?.cause)}`, options);
    this.code = code;
    this.model = model;
  }
}

export type TensorErrorCode = 'TENSOR_MISMATCH' | 'BAD_TENSOR';

/** Tensors that cannot be stacked into one batch or split back (different names, types or shapes). */
export class TensorError extends Error {
  override readonly name = 'TensorError';
  readonly code: TensorErrorCode;

  constructor(code: TensorErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** An option of `onnxEndpoint()` or a model factory is invalid: "expected X, got Y". */
export class OnnxOptionsError extends Error {
  override readonly name = 'OnnxOptionsError';
  readonly code = 'INVALID_OPTIONS';
}

/** A request's data is not what the model endpoint accepts (it fails the call, with this message). */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly code = 'BAD_INPUT';
}

export function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}
