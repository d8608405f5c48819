import { TensorError } from './errors.js';
import type { Feeds, TensorArray, TensorData } from './tensors.js';

/** A batch whose tensors are views into a few buffers of its own, and those buffers. */
export interface PackedBatch {
  batch: Feeds[];
  /** One per input name and type: whole, referenced by nothing but `batch`, so they can be transferred. */
  buffers: ArrayBuffer[];
}

/**
 * A batch (or its results) made ready to cross between threads: every request's tensors of one
 * name and type copied end to end into one buffer, each tensor a view into it (tensors that
 * already fill one buffer exactly are left as they are). Posting a batch
 * costs per buffer as well as per object: 32 requests of three tensors are 96 buffers to transfer,
 * packed 3, which halves the time a post takes. Tensors on shared memory are left as they are
 * (they are not copied when posted).
 */
export function packBatch(batch: readonly Feeds[]): PackedBatch {
  const groups: { name: string; type: string; kind: unknown; arrays: TensorArray[]; requests: number[] }[] = [];
  const byName = new Map<string, typeof groups>();
  batch.forEach((feeds, i) => {
    for (const [name, t] of Object.entries(feeds)) {
      const size = t.dims.reduce((a, b) => a * b, 1);
      if (t.data.length !== size) {
        throw new TensorError(
          'BAD_TENSOR',
          `${name}: a tensor of dims [${t.dims.join(', ')}] needs ${size} elements, got ${t.data.length}`,
        );
      }
      if (!(t.data.buffer instanceof ArrayBuffer)) continue;
      // The array class counts too: a float16 tensor may come as a Uint16Array or a Float16Array.
      const kind = t.data.constructor;
      let named = byName.get(name);
      if (!named) byName.set(name, (named = []));
      let group = named.find((g) => g.type === t.type && g.kind === kind);
      if (!group) {
        group = { name, type: t.type, kind, arrays: [], requests: [] };
        named.push(group);
        groups.push(group);
      }
      group.arrays.push(t.data);
      group.requests.push(i);
    }
  });
  const packed = batch.map((feeds) => ({ ...feeds }));
  const buffers = new Set<ArrayBuffer>();
  for (const { name, arrays, requests } of groups) {
    const whole = wholeBuffer(arrays);
    if (whole && !buffers.has(whole)) {
      // Already one buffer of their own (the runner's results are): nothing to copy.
      buffers.add(whole);
      continue;
    }
    const length = arrays.reduce((sum, a) => sum + a.length, 0);
    const data = new ((arrays[0] as TensorArray).constructor as new (length: number) => TensorArray)(length);
    let offset = 0;
    arrays.forEach((array, k) => {
      data.set(array as never, offset);
      const feeds = packed[requests[k] as number] as Feeds;
      const { type, dims } = feeds[name] as TensorData;
      feeds[name] = { type, data: data.subarray(offset, offset + array.length) as TensorArray, dims };
      offset += array.length;
    });
    buffers.add(data.buffer as ArrayBuffer);
  }
  return { batch: packed, buffers: [...buffers] };
}

/** The buffer these arrays fill exactly, side by side without overlap, if they do. */
function wholeBuffer(arrays: readonly TensorArray[]): ArrayBuffer | null {
  const buffer = (arrays[0] as TensorArray).buffer;
  if (!(buffer instanceof ArrayBuffer)) return null;
  if (arrays.some((a) => a.buffer !== buffer)) return null;
  const spans = arrays.map((a) => [a.byteOffset, a.byteLength] as const).sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [offset, length] of spans) {
    if (offset !== end) return null;
    end += length;
  }
  return end === buffer.byteLength ? buffer : null;
}
