// A batch's feeds stacked into one run's, and its outputs split back per request.
import { TensorError } from './errors.js';
import { arrayOf, copyElements, copyTensor } from './tensor-arrays.js';
import { ARRAY_TYPES, axisOf, sizeOf } from './tensors.js';
import type { BatchAxes, Feeds, TensorArray, TensorData } from './tensors.js';

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

/** Whether `t` has `first`'s type and dims, but along `axis` (every dim when `axis` is null). */
export function stacksWith(t: TensorData, first: TensorData, axis: number | null): boolean {
  if (t.type !== first.type || t.dims.length !== first.dims.length) return false;
  // A plain loop: a CDP profile put ~1 µs a call on `every` with a closure in Chromium (it runs per step).
  for (let k = 0; k < t.dims.length; k++) if (k !== axis && t.dims[k] !== first.dims[k]) return false;
  return true;
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
