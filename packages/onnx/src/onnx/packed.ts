import { transfer } from 'comlink';
import { TensorError } from './errors.js';
import { newArray } from './tensor-arrays.js';
import { sizeOf } from './tensors.js';
import type { Feeds, TensorArray, TensorType } from './tensors.js';
import type { StepPlan } from './step-plan.js';

/**
 * A batch (or its results) as it crosses between threads: a few columns instead of one object
 * per request and tensor. Posting costs per object as well as per byte (a 32-request VAD batch
 * posted as 96 tensors took ~1 ms each way in Chromium), so each column holds every request's
 * tensor of one name and type end to end in one array, with their dims in one plain array.
 */
export interface WireBatch {
  /** How many requests (or results) the batch holds. */
  size: number;
  columns: WireColumn[];
}

export interface WireColumn {
  name: string;
  type: TensorType;
  /** Per request, in order: its tensor's rank, then its dims; `-1` for a request without a tensor here. */
  shapes: number[];
  /**
   * The present requests' data: end to end in one array, or, for tensors sent whole (see
   * `SEND_WHOLE_BYTES`), one array per present request, in order, each holding exactly its tensor.
   */
  data: TensorArray | TensorArray[];
}

/** A batch encoded, and the buffers to transfer with it (whole, referenced by nothing but the batch). */
export interface EncodedBatch {
  wire: WireBatch;
  buffers: ArrayBuffer[];
}

/** A runner's batch calls, on wire batches (see `RunnerApi`). */
export interface WireRunner {
  run(batch: WireBatch): Promise<WireBatch>;
  runSteps(batch: WireBatch, plan: StepPlan): Promise<WireBatch>;
}

/**
 * A tensor at least this large that fills its buffer alone is sent as it is, its buffer
 * transferred, instead of copied into its column: a fresh buffer is slow to fill (a long VAD
 * clip's 74 kB of frames took longer to copy than transferring a buffer costs). Such tensors of
 * one name, type and array class share a column that lists their arrays.
 */
export const SEND_WHOLE_BYTES = 32 * 1024;

/**
 * Encodes a batch: per tensor name and type (and array class: a float16 tensor may come as a
 * Uint16Array or a Float16Array), every request's data copied end to end into one buffer. A
 * column whose tensors already fill one buffer exactly, in request order (the runner's results
 * do), is not copied. A tensor of `SEND_WHOLE_BYTES` or more that fills its buffer alone is not
 * copied (its buffer is transferred), nor is a tensor on shared memory (posting it shares it):
 * those go into a column of arrays, one per request.
 */
export function encodeBatch(batch: readonly Feeds[]): EncodedBatch {
  const columns: Gathering[] = [];
  const byName = new Map<string, Gathering[]>();
  batch.forEach((feeds, request) => {
    for (const name in feeds) {
      const t = feeds[name];
      if (t === undefined) continue;
      const size = sizeOf(t.dims);
      if (t.data.length !== size) {
        throw new TensorError(
          'BAD_TENSOR',
          `${name}: a tensor of dims [${t.dims.join(', ')}] needs ${size} elements, got ${t.data.length}`,
        );
      }
      const whole =
        !(t.data.buffer instanceof ArrayBuffer) ||
        (t.data.byteLength >= SEND_WHOLE_BYTES && t.data.byteLength === t.data.buffer.byteLength);
      const kind = t.data.constructor;
      let named = byName.get(name);
      if (!named) byName.set(name, (named = []));
      let column = named.find((c) => c.type === t.type && c.kind === kind && c.whole === whole);
      if (!column) {
        column = { name, type: t.type, kind, whole, requests: [], arrays: [], dims: [], length: 0 };
        named.push(column);
        columns.push(column);
      }
      column.requests.push(request);
      column.arrays.push(t.data);
      column.dims.push(t.dims);
      column.length += size;
    }
  });
  const buffers = new Set<ArrayBuffer>();
  const wire: WireBatch = { size: batch.length, columns: [] };
  for (const column of columns) {
    const data = columnData(column);
    for (const array of Array.isArray(data) ? data : [data]) {
      if (array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
    }
    wire.columns.push({ name: column.name, type: column.type, shapes: shapesOf(column, batch.length), data });
  }
  return { wire, buffers: [...buffers] };
}

/** The batch again: per request its feeds, each tensor a view into its column. */
export function decodeBatch(wire: WireBatch): Feeds[] {
  const batch: Feeds[] = [];
  for (let i = 0; i < wire.size; i++) batch.push({});
  for (const column of wire.columns) {
    const { name, type, shapes } = column;
    walkColumn(column, wire.size, (request, at, rank, array, offset, length) => {
      const dims = shapes.slice(at, at + rank);
      (batch[request] as Feeds)[name] = { type, data: requestArray(array, offset, length), dims };
    });
  }
  return batch;
}

/**
 * One output of a batch's results, per request its elements as plain numbers (`[]` for a request
 * without it), its shapes checked as {@link decodeBatch} checks them: for a model whose outputs are
 * read as numbers anyway (VAD's probabilities), without a tensor, a dims array and a typed-array
 * view per request (in Chromium each view costs about a microsecond to make).
 */
export function columnNumbers(wire: WireBatch, name: string): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < wire.size; i++) rows.push([]);
  for (const column of wire.columns) {
    if (column.name !== name) continue;
    walkColumn(column, wire.size, (request, _at, _rank, array, offset, length) => {
      const row = rows[request] as number[];
      for (let k = offset; k < offset + length; k++) row.push(Number(array[k]));
    });
  }
  return rows;
}

/**
 * Walks a column's `size` requests in order, its shapes checked against its data: `take` gets each
 * request that has a tensor there, its dims being `shapes[at … at + rank)` and its elements
 * `array[offset … offset + length)` (the column's one array, or the request's own). Throws when
 * the shapes do not match the data.
 */
export function walkColumn(
  { name, shapes, data }: WireColumn,
  size: number,
  take: (request: number, at: number, rank: number, array: TensorArray, offset: number, length: number) => void,
): void {
  const parts = Array.isArray(data) ? data : null;
  let at = 0;
  let offset = 0;
  let part = 0;
  let fits = true;
  for (let i = 0; i < size && fits; i++) {
    const rank = shapes[at++] as number;
    if (rank === -1) continue;
    let length = 1;
    for (let d = 0; d < rank; d++) length *= shapes[at + d] as number;
    const array = parts === null ? (data as TensorArray) : parts[part++];
    const from = parts === null ? offset : 0;
    fits =
      at + rank <= shapes.length &&
      array !== undefined &&
      (parts === null ? from + length <= array.length : length === array.length);
    if (fits) take(i, at, rank, array as TensorArray, from, length);
    at += rank;
    offset += length;
  }
  const used = parts === null ? offset === (data as TensorArray).length : part === parts.length;
  if (!fits || at !== shapes.length || !used) {
    const held = parts === null ? `${(data as TensorArray).length} elements` : `${parts.length} arrays`;
    throw new TensorError('BAD_TENSOR', `${name}: the batch's shapes do not match its ${held}`);
  }
}

/** A request's elements as `walkColumn` gives them: the array itself when it holds just them, else a view. */
export function requestArray(array: TensorArray, offset: number, length: number): TensorArray {
  return length === array.length ? array : (array.subarray(offset, offset + length) as TensorArray);
}

/** A batch encoded and marked for transfer (Comlink), the way both sides post one. */
export function transferBatch(batch: readonly Feeds[]): WireBatch {
  const { wire, buffers } = encodeBatch(batch);
  return transfer(wire, buffers);
}

/**
 * A runner's calls on feeds (an `OnnxSession`): each batch crosses encoded, its buffers
 * transferred, the results decoded; or, already encoded, as it is.
 */
export function feedsRunner(runner: WireRunner): {
  run(batch: Feeds[]): Promise<Feeds[]>;
  runSteps(batch: Feeds[], plan: StepPlan): Promise<Feeds[]>;
  runStepsEncoded(batch: WireBatch, plan: StepPlan, buffers?: readonly ArrayBuffer[]): Promise<WireBatch>;
} {
  // Each method read once: on a Comlink remote every property read makes a new proxy and registers it
  // for finalization (in Node ~4 µs a call, and a finalizer task later). `bind` on a remote gives the
  // method's proxy itself.
  const run = runner.run.bind(runner);
  const runSteps = runner.runSteps.bind(runner);
  return {
    run: async (batch) => decodeBatch(await run(transferBatch(batch))),
    runSteps: async (batch, plan) => decodeBatch(await runSteps(transferBatch(batch), plan)),
    runStepsEncoded: (batch, plan, buffers = []) => runSteps(transfer(batch, [...buffers]), plan),
  };
}

interface Gathering {
  name: string;
  type: TensorType;
  /** The array class. */
  kind: unknown;
  /** Tensors sent as they are, one array per request (see `SEND_WHOLE_BYTES`). */
  whole: boolean;
  requests: number[];
  arrays: TensorArray[];
  dims: (readonly number[])[];
  length: number;
}

function columnData({ kind, whole, arrays, length }: Gathering): TensorArray | TensorArray[] {
  if (whole) return arrays;
  const joined = wholeBuffer(arrays, length);
  if (joined) return joined;
  const data = newArray(kind, length);
  let offset = 0;
  for (const array of arrays) {
    data.set(array as never, offset);
    offset += array.length;
  }
  return data;
}

/** One view over the buffer these arrays fill exactly, end to end in this order, if they do. */
function wholeBuffer(arrays: readonly TensorArray[], length: number): TensorArray | null {
  const first = arrays[0] as TensorArray;
  const buffer = first.buffer;
  if (first.byteOffset !== 0) return null;
  let end = 0;
  for (const array of arrays) {
    if (array.buffer !== buffer || array.byteOffset !== end) return null;
    end += array.byteLength;
  }
  if (end !== buffer.byteLength) return null;
  const Kind = first.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => TensorArray;
  return new Kind(buffer, 0, length);
}

function shapesOf({ requests, dims }: Gathering, size: number): number[] {
  const shapes: number[] = [];
  let k = 0;
  for (let i = 0; i < size; i++) {
    if (requests[k] !== i) {
      shapes.push(-1);
      continue;
    }
    const these = dims[k++] as readonly number[];
    shapes.push(these.length, ...these);
  }
  return shapes;
}
