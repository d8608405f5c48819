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

const ARRAY_TYPES: Record<TensorType, new (length: number) => TensorArray> = {
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

/** A batch stacked into one set of feeds, and how many batch entries each request contributed. */
export interface Stacked {
  feeds: Feeds;
  counts: number[];
}

/**
 * Stacks requests' feeds into one set of feeds for a single `session.run`: batched tensors are
 * concatenated along their batch axis (each request may bring one or more entries), shared ones
 * are checked identical and passed once. Every other axis must match exactly: no padding here,
 * because padding would change a request's result depending on who shares its batch.
 */
export function stackFeeds(batch: readonly Feeds[], axes: BatchAxes = {}): Stacked {
  const counts = batchCounts(batch, axes);
  const feeds: Feeds = {};
  for (const name of Object.keys(batch[0] as Feeds).sort()) {
    feeds[name] = stackTensors(
      name,
      batch.map((f) => f[name] as TensorData),
      axisOf(axes, name),
    );
  }
  return { feeds, counts };
}

/**
 * How many batch entries each request brings, checking that the requests have the same inputs and
 * that their batched inputs agree on it (the checks of `stackFeeds`, without stacking anything).
 */
export function batchCounts(batch: readonly Feeds[], axes: BatchAxes = {}): number[] {
  const first = batch[0];
  if (first === undefined) throw new TensorError('TENSOR_MISMATCH', 'cannot stack an empty batch');
  const names = Object.keys(first).sort();
  batch.forEach((feeds, i) => {
    // Same names, without sorting each request's: as many, and each of the first's present.
    const count = Object.keys(feeds).length;
    if (count !== names.length || names.some((name) => feeds[name] === undefined)) {
      const these = Object.keys(feeds).sort();
      throw new TensorError('TENSOR_MISMATCH', `request ${i} has inputs [${these}], request 0 has [${names}]`);
    }
  });
  let counts: number[] | null = null;
  for (const name of names) {
    const axis = axisOf(axes, name);
    if (axis === null) continue;
    const these = batch.map((f) => countAlong(name, f[name] as TensorData, axis));
    if (counts === null) counts = these;
    else if (these.some((c, i) => c !== counts?.[i])) {
      throw new TensorError('TENSOR_MISMATCH', `input ${name} disagrees with the other inputs on batch sizes`);
    }
  }
  if (counts === null) throw new TensorError('TENSOR_MISMATCH', 'every input is shared: nothing to batch along');
  return counts;
}

/**
 * One input of a batch as one tensor: concatenated along `axis` (a lone tensor is returned as it
 * is), or, for `null`, checked identical across requests and passed once.
 */
export function stackTensors(name: string, tensors: TensorData[], axis: number | null): TensorData {
  return axis === null ? shared(name, tensors) : concat(name, tensors, axis);
}

/**
 * Splits a batched run's outputs back per request: along each output's batch axis, `counts[i]`
 * entries for request `i`. A shared output (axis `null`) is copied to every request. Each piece
 * owns its own buffer, so it can be transferred on its own.
 */
export function splitOutputs(outputs: Feeds, counts: readonly number[], axes: BatchAxes = {}): Feeds[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const result: Feeds[] = counts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    const axis = axisOf(axes, name);
    if (axis === null) {
      result.forEach((r) => (r[name] = copyTensor(t)));
      continue;
    }
    checkOutputBatch(name, t, axis, total);
    let offset = 0;
    counts.forEach((count, i) => {
      (result[i] as Feeds)[name] = sliceAlong(t, axis, offset, count);
      offset += count;
    });
  }
  return result;
}

/** Checks that output `name` has `total` entries along its batch axis. */
export function checkOutputBatch(name: string, t: TensorData, axis: number, total: number): void {
  if (axis >= t.dims.length || t.dims[axis] !== total) {
    throw new TensorError(
      'TENSOR_MISMATCH',
      `output ${name} has dims [${t.dims.join(', ')}]; expected ${total} along axis ${axis} (the batch)`,
    );
  }
}

/**
 * Entries `[from, from + count)` along `axis` of `t`, in a buffer of their own (so that it can be
 * transferred alone), or written into `into`.
 */
export function sliceAlong(t: TensorData, axis: number, from: number, count: number, into?: TensorArray): TensorData {
  const total = t.dims[axis] as number;
  const { outer, inner } = around(t.dims, axis);
  const data = into ?? arrayOf(t.type, outer * count * inner);
  for (let o = 0; o < outer; o++)
    copyElements(t.data, (o * total + from) * inner, count * inner, data, o * count * inner);
  const dims = [...t.dims];
  dims[axis] = count;
  return { type: t.type, data, dims };
}

/**
 * Copies `length` elements of `source` from `from` into `target` (of the same type) at `at`.
 * Element by element when short: a subarray per copy costs more than copying a few dozen
 * elements (a VAD probability is one).
 */
export function copyElements(source: TensorArray, from: number, length: number, target: TensorArray, at: number): void {
  if (length > 64) {
    target.set(source.subarray(from, from + length) as never, at);
    return;
  }
  // Element by element. This loop sees every array class the package copies, so V8's element
  // accesses here are megamorphic (in Node ~40 ns each; an 8-clip VAD batch's probabilities, 248
  // one-element copies, took 11 µs): float32, nearly every copy, gets a loop that sees only it (1.5 µs).
  if (source instanceof Float32Array && target instanceof Float32Array) {
    for (let i = 0; i < length; i++) target[at + i] = source[from + i] as number;
    return;
  }
  const read = source as unknown as number[];
  const write = target as unknown as number[];
  for (let i = 0; i < length; i++) write[at + i] = read[from + i] as number;
}

/** Whether `value` names a tensor type (see `TensorType`). */
export function isTensorType(value: unknown): value is TensorType {
  return typeof value === 'string' && Object.hasOwn(ARRAY_TYPES, value);
}

/** A zeroed array of `length` elements of `type`, over an ArrayBuffer of its own (see `newArray`). */
export function arrayOf(type: TensorType, length: number): TensorArray {
  return newArray(ARRAY_TYPES[type], length);
}

/** A copy of `t` with data of its own (made by `newArray`, as it may cross threads). */
export function copyTensor(t: TensorData): TensorData {
  const data = newArray(t.data.constructor, t.data.length);
  data.set(t.data as never);
  return { type: t.type, data, dims: [...t.dims] };
}

/** A typed-array class, as `newArray` takes it. */
type ArrayClass = (new (buffer: ArrayBuffer) => TensorArray) & { BYTES_PER_ELEMENT: number };

/**
 * A zeroed array of `length` elements of class `Kind`, over an ArrayBuffer made for it. Made by
 * length, V8 keeps an array of up to 64 bytes inside the JS heap, and posting it with its buffer
 * transferred then costs more than the whole rest of a batch's message (in Chromium ~0.03 ms for
 * an 8-clip VAD batch's 64-byte sample-rate column, against nothing measurable for the same column
 * copied, or transferred when made over its own ArrayBuffer). Arrays that may cross threads are
 * made here.
 */
export function newArray(Kind: unknown, length: number): TensorArray {
  const Class = Kind as ArrayClass;
  return new Class(new ArrayBuffer(length * Class.BYTES_PER_ELEMENT));
}

/** An array of `length` elements of `type` over `buffer` from byte `offset`; how many bytes one element takes. */
export function viewOf(type: TensorType, buffer: ArrayBuffer, offset: number, length: number): TensorArray {
  const Kind = ARRAY_TYPES[type] as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => TensorArray;
  return new Kind(buffer, offset, length);
}

/** How many bytes one element of `type` takes. */
export function bytesPerElement(type: TensorType): number {
  return (ARRAY_TYPES[type] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

/**
 * Groups request indices whose feeds can stack: same type and same dims except on the batch
 * axis. Usually one group; requests of another shape (a wider OCR line) get their own run.
 */
export function groupByShape(batch: readonly Feeds[], axes: BatchAxes = {}): number[][] {
  const groups: { first: Feeds; members: number[] }[] = [];
  batch.forEach((feeds, i) => {
    // Compared with each group's first request: usually one group, so one comparison per request.
    const group = groups.find(({ first }) => stackable(first, feeds, axes));
    if (group) group.members.push(i);
    else groups.push({ first: feeds, members: [i] });
  });
  return groups.map(({ members }) => members);
}

/** Same inputs, each of the same type and the same dims but along its batch axis. */
function stackable(a: Feeds, b: Feeds, axes: BatchAxes): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) {
    const x = a[name] as TensorData;
    const y = b[name];
    if (y === undefined || x.type !== y.type || x.dims.length !== y.dims.length) return false;
    const axis = axisOf(axes, name);
    for (let k = 0; k < x.dims.length; k++) if (k !== axis && x.dims[k] !== y.dims[k]) return false;
  }
  return true;
}

/**
 * The buffers of these tensors that can be transferred to another thread without harm: each
 * one once, whole (a view into a larger buffer, such as a pooled Node `Buffer`, would detach
 * its neighbours) and not shared memory.
 */
export function transferablesOf(feeds: Feeds | readonly Feeds[]): ArrayBuffer[] {
  const list = Array.isArray(feeds) ? (feeds as readonly Feeds[]) : [feeds as Feeds];
  const buffers = new Set<ArrayBuffer>();
  for (const f of list) {
    for (const t of Object.values(f)) {
      const buffer = t.data.buffer;
      if (!(buffer instanceof ArrayBuffer)) continue;
      if (t.data.byteOffset !== 0 || t.data.byteLength !== buffer.byteLength) continue;
      buffers.add(buffer);
    }
  }
  return [...buffers];
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

/** Whether `t` has `first`'s type and dims, but along `axis` (every dim when `axis` is null). */
export function stacksWith(t: TensorData, first: TensorData, axis: number | null): boolean {
  if (t.type !== first.type || t.dims.length !== first.dims.length) return false;
  // A plain loop: a CDP profile put ~1 µs a call on `every` with a closure in Chromium (it runs per step).
  for (let k = 0; k < t.dims.length; k++) if (k !== axis && t.dims[k] !== first.dims[k]) return false;
  return true;
}

/** Throws unless an output's data is a numeric array in memory (not left on a GPU, not strings). */
export function checkOnCpu(name: string, t: { data: unknown }): void {
  if (!ArrayBuffer.isView(t.data)) throw new Error(`output ${name} is not a numeric tensor on the CPU`);
}

/** Elements before one index of `axis` (outer) and within one (inner), row-major. */
export function around(dims: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: sizeOf(dims.slice(0, axis)), inner: sizeOf(dims.slice(axis + 1)) };
}

function countAlong(name: string, t: TensorData, axis: number): number {
  const count = t.dims[axis];
  if (count === undefined) {
    throw new TensorError('TENSOR_MISMATCH', `input ${name} has rank ${t.dims.length}; its batch axis is ${axis}`);
  }
  return count;
}

function concat(name: string, tensors: TensorData[], axis: number): TensorData {
  const first = tensors[0] as TensorData;
  for (const t of tensors) {
    if (!stacksWith(t, first, axis)) {
      throw new TensorError(
        'TENSOR_MISMATCH',
        `input ${name}: ${t.type}[${t.dims.join(', ')}] cannot stack with ${first.type}[${first.dims.join(', ')}] along axis ${axis}`,
      );
    }
  }
  if (tensors.length === 1) return first;
  const counts = tensors.map((t) => t.dims[axis] as number);
  const total = counts.reduce((a, b) => a + b, 0);
  const { outer, inner } = around(first.dims, axis);
  const data = new ARRAY_TYPES[first.type](outer * total * inner);
  let offset = 0;
  tensors.forEach((t, i) => {
    const count = counts[i] as number;
    for (let o = 0; o < outer; o++)
      copyElements(t.data, o * count * inner, count * inner, data, (o * total + offset) * inner);
    offset += count;
  });
  const dims = [...first.dims];
  dims[axis] = total;
  return { type: first.type, data, dims };
}

function shared(name: string, tensors: TensorData[]): TensorData {
  const first = tensors[0] as TensorData;
  for (const t of tensors) {
    const same =
      stacksWith(t, first, null) && t.data.length === first.data.length && t.data.every((v, k) => v === first.data[k]);
    if (!same) throw new TensorError('TENSOR_MISMATCH', `shared input ${name} differs between requests of one batch`);
  }
  return first;
}
