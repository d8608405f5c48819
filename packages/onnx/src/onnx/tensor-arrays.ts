// Typed arrays for tensors: made over buffers of their own (they may cross threads), copied, viewed.
import { ARRAY_TYPES } from './tensors.js';
import type { Feeds, TensorArray, TensorData, TensorType } from './tensors.js';

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
