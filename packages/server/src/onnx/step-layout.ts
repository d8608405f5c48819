import { TensorError } from './errors.js';
import { arrayOf, around, stackTensors } from './tensors.js';
import type { TensorArray, TensorData } from './tensors.js';

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
 * must stack at one step (same type, same dims but along `axis`).
 */
export function stepMajor(
  name: string,
  tensors: readonly TensorData[],
  steps: readonly number[],
  offsets: readonly number[],
  axis: number | null,
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
  const data = arrayOf(first.type, length);
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
        const at = base + (o * width + (offsets[k] as number)) * inner;
        data.set(source.subarray(from + o * chunk, from + (o + 1) * chunk) as never, at);
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
    const same =
      step.type === first.type &&
      step.dims.length === first.dims.length &&
      step.dims.every((d, k) => k === axis || d === first.dims[k]);
    if (!same) throw new TensorError('TENSOR_MISMATCH', `output ${name} changes shape from one step to the next`);
    if (axis === null) {
      data.set(step.data as never, t * size);
      continue;
    }
    const width = step.dims[axis] as number;
    for (let o = 0; o < outer; o++) {
      const from = (o * width + offset) * inner;
      data.set(step.data.subarray(from, from + count * inner) as never, t * size + o * count * inner);
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
