import { TensorError } from './errors.js';

/** Element types a tensor may cross threads with (ONNX's numeric types; strings are not supported). */
export type TensorType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor as plain data: what crosses between threads (an ORT `Tensor` does not survive
 * structured cloning). `data` is row-major with `sizeOf(dims)` elements.
 */
export interface TensorData {
  readonly type: TensorType;
  readonly data: TensorArray;
  readonly dims: readonly number[];
}

/** Named tensors: a model's inputs for one request, or its outputs for one request. */
export type Feeds = Record<string, TensorData>;

/**
 * Which axis of each named tensor is the batch axis. Absent names use axis 0. `null` marks a
 * shared tensor: identical for every request (VAD's `sr` scalar), passed once, not stacked.
 */
export type BatchAxes = Readonly<Record<string, number | null>>;

/** The array class of each tensor type. */
export const ARRAY_TYPES: Record<TensorType, new (length: number) => TensorArray> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Builds a tensor, checking that `data` has the right array type and `sizeOf(dims)` elements. */
export function tensor(type: TensorType, data: TensorArray, dims: readonly number[]): TensorData {
  const expected = ARRAY_TYPES[type];
  if (expected === undefined) throw new TensorError('BAD_TENSOR', `unsupported tensor type ${String(type)}`);
  if (!(data instanceof expected)) {
    throw new TensorError('BAD_TENSOR', `a ${type} tensor needs a ${expected.name}, got a ${data.constructor.name}`);
  }
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TensorError('BAD_TENSOR', `tensor dims must be non-negative integers, got [${dims.join(', ')}]`);
  }
  if (data.length !== sizeOf(dims)) {
    throw new TensorError(
      'BAD_TENSOR',
      `a tensor of dims [${dims.join(', ')}] needs ${sizeOf(dims)} elements, got ${data.length}`,
    );
  }
  return { type, data, dims: [...dims] };
}

/** Whether `value` names a tensor type (see `TensorType`). */
export function isTensorType(value: unknown): value is TensorType {
  return typeof value === 'string' && Object.hasOwn(ARRAY_TYPES, value);
}

/** Absent names batch along axis 0; `null` means shared. */
export function axisOf(axes: BatchAxes, name: string): number | null {
  const axis = axes[name];
  return axis === undefined ? 0 : axis;
}

/** How many elements a tensor of these dims holds. */
export function sizeOf(dims: readonly number[]): number {
  let size = 1;
  for (const d of dims) size *= d;
  return size;
}

/** Throws unless an output's data is a numeric array in memory (not left on a GPU, not strings). */
export function checkOnCpu(name: string, t: { data: unknown }): void {
  if (!ArrayBuffer.isView(t.data)) throw new Error(`output ${name} is not a numeric tensor on the CPU`);
}
