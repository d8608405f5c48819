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
 * name and type copied end to end into one buffer, each tensor a view into it. Posting a batch
 * costs per buffer as well as per object: 32 requests of three tensors are 96 buffers to transfer,
 * packed 3, which halves the time a post takes. Tensors on shared memory are left as they are
 * (they are not copied when posted).
 */
export function packBatch(batch: readonly Feeds[]): PackedBatch {
  const groups = new Map<string, { name: string; arrays: TensorArray[]; requests: number[] }>();
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
      // The array class is part of the key: a float16 tensor may come as a Uint16Array or a Float16Array.
      const key = `${name}\0${t.type}\0${t.data.constructor.name}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { name, arrays: [], requests: [] }));
      group.arrays.push(t.data);
      group.requests.push(i);
    }
  });
  const packed = batch.map((feeds) => ({ ...feeds }));
  const buffers: ArrayBuffer[] = [];
  for (const { name, arrays, requests } of groups.values()) {
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
    buffers.push(data.buffer as ArrayBuffer);
  }
  return { batch: packed, buffers };
}
