import { TensorError } from './errors.js';
import { around, stackTensors, stacksWith } from './stack-feeds.js';
import { arrayOf, bytesPerElement, copyElements, viewOf } from './tensor-arrays.js';
import type { TensorArray, TensorData, TensorType } from './tensors.js';

/** Layouts up to this size are written into memory kept from batch to batch; larger ones get their own. */
export const SCRATCH_MAX_BYTES = 16 * 1024 * 1024;
/** The scratch memory a runner starts with (it doubles when outgrown). */
export const SCRATCH_MIN_BYTES = 64 * 1024;

/**
 * Memory a runner keeps for its batches' step-major layouts, which never leave the worker: fresh
 * memory is slow to fill (a 590 kB layout took ~0.8 ms in Chromium, far more than the copy), so
 * each batch writes over the last one's. `reset()` when a batch starts; what earlier batches
 * took is then written over.
 */
export class LayoutScratch {
  #buffer = new ArrayBuffer(0);
  #used = 0;

  reset(): void {
    this.#used = 0;
  }

  /** Room for `length` elements of `type`, not zeroed. */
  take(type: TensorType, length: number): TensorArray {
    const bytes = length * bytesPerElement(type);
    if (bytes > SCRATCH_MAX_BYTES) return arrayOf(type, length);
    // Aligned for any element type.
    let at = Math.ceil(this.#used / 8) * 8;
    if (at + bytes > this.#buffer.byteLength) {
      // Outgrown: a larger one from here on; what this batch took stays where it is.
      const size = Math.max(bytes, SCRATCH_MIN_BYTES, 2 * this.#buffer.byteLength);
      this.#buffer = new ArrayBuffer(Math.min(SCRATCH_MAX_BYTES, size));
      at = 0;
    }
    this.#used = at + bytes;
    return viewOf(type, this.#buffer, at, length);
  }
}

/** A step input of a batch, laid out once so that each step's stacked tensor is a view. */
export interface StepMajor {
  /** Step `t` of every request that has one, stacked along the batch axis. */
  at(t: number): TensorData;
}

/** Step `t` of a tensor with a leading step axis: a view, without the step axis. */
export function stepView(t: TensorData, step: number): TensorData {
  const dims = t.dims.slice(1);
  const size = dims.reduce((a, b) => a * b, 1);
  return { type: t.type, data: t.data.subarray(step * size, (step + 1) * size), dims };
}

/**
 * Lays a step input of a batch out step-major, with one copy: step 0 of every request, then
 * step 1 of every request that has one, and so on, so that step `t` is one contiguous view.
 * `tensors` are `[steps, …]` per request, `steps` their step counts in falling order (the
 * requests that still have a step `t` are always the first ones), `offsets` where each request's
 * entries start along the batch axis of a step (prefix sums of its entry counts). All requests
 * must stack at one step (same type, same dims but along `axis`). Written into `scratch` when given.
 */
export function stepMajor(
  name: string,
  tensors: readonly TensorData[],
  steps: readonly number[],
  offsets: readonly number[],
  axis: number | null,
  scratch?: LayoutScratch,
): StepMajor {
  const first = tensors[0] as TensorData;
  if (tensors.length === 1) return { at: (t) => stepView(first, t) };
  if (axis === null) {
    // A step input shared by every request: checked at each step, as any shared input.
    return {
      at: (t) =>
        stackTensors(
          name,
          tensors.filter((_, k) => (steps[k] as number) > t).map((tensor) => stepView(tensor, t)),
          null,
        ),
    };
  }
  const dims = first.dims.slice(1);
  const { outer, inner } = around(dims, axis);
  const counts = offsets.slice(1).map((end, k) => end - (offsets[k] as number));
  const total = (active: number) => offsets[active] as number;
  const length = tensors.reduce((sum, tensor) => sum + tensor.data.length, 0);
  const data = scratch ? scratch.take(first.type, length) : arrayOf(first.type, length);
  const starts: number[] = [];
  let base = 0;
  for (let t = 0, active = tensors.length; t < (steps[0] as number); t++) {
    while ((steps[active - 1] as number) <= t) active--;
    starts.push(base);
    const width = total(active);
    for (let k = 0; k < active; k++) {
      const source = (tensors[k] as TensorData).data;
      const chunk = (counts[k] as number) * inner;
      const from = t * outer * chunk;
      for (let o = 0; o < outer; o++) {
        copyElements(source, from + o * chunk, chunk, data, base + (o * width + (offsets[k] as number)) * inner);
      }
    }
    base += outer * width * inner;
  }
  starts.push(base);
  return {
    at: (t) => {
      const start = starts[t] as number;
      const end = starts[t + 1] as number;
      const stepDims = [...dims];
      stepDims[axis] = (end - start) / (outer * inner);
      return { type: first.type, data: data.subarray(start, end), dims: stepDims };
    },
  };
}

/**
 * One request's share of a non-carried output over its steps, stacked along a new leading step
 * axis: from each step's batched output, its `count` entries at `offset` along `axis` (the whole
 * output when `axis` is `null`). `outputs[t]` is step `t`'s output; the request had `steps` steps.
 * Written into `into` when given (`unstackedSize` elements), else into an array of its own.
 */
export function unstackSteps(
  name: string,
  outputs: readonly TensorData[],
  steps: number,
  offset: number,
  count: number,
  axis: number | null,
  into?: TensorArray,
): TensorData {
  const first = outputs[0] as TensorData;
  const dims = [...first.dims];
  if (axis !== null) dims[axis] = count;
  const size = unstackedSize(first, 1, count, axis);
  const { outer, inner } = axis === null ? { outer: 1, inner: size } : around(first.dims, axis);
  const data = into ?? arrayOf(first.type, size * steps);
  for (let t = 0; t < steps; t++) {
    const step = outputs[t] as TensorData;
    if (!stacksWith(step, first, axis))
      throw new TensorError('TENSOR_MISMATCH', `output ${name} changes shape from one step to the next`);
    if (axis === null) {
      data.set(step.data as never, t * size);
      continue;
    }
    const width = step.dims[axis] as number;
    for (let o = 0; o < outer; o++) {
      copyElements(step.data, (o * width + offset) * inner, count * inner, data, t * size + o * count * inner);
    }
  }
  return { type: first.type, data, dims: [steps, ...dims] };
}

/** How many elements `unstackSteps` gives a request of `steps` steps and `count` entries, `first` being step 0's output. */
export function unstackedSize(first: TensorData, steps: number, count: number, axis: number | null): number {
  if (axis === null) return steps * first.data.length;
  const { outer, inner } = around(first.dims, axis);
  return steps * outer * count * inner;
}
