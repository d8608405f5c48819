// What a step plan says about one request: its step count, its first step, its initial state.
import { TensorError } from './errors.js';
import { stepView } from './step-layout.js';
import type { LayoutScratch } from './step-layout.js';
import { arrayOf } from './tensor-arrays.js';
import { sizeOf } from './tensors.js';
import type { BatchAxes, Feeds, TensorData, TensorType } from './tensors.js';

/**
 * How to step a recurrent model through time inside the worker (Silero VAD: one run per 32 ms
 * frame, its state carried from one run to the next), so that a whole sequence costs one message
 * to the worker instead of one per step.
 */
export interface StepPlan {
  /** Inputs given for every step at once: each request's tensor has one more leading axis, the step. */
  stepInputs: readonly string[];
  /** Output name → the input it feeds at the next step (the recurrent state). */
  carry: Readonly<Record<string, string>>;
  /**
   * Whether each request gets its carried outputs' final values back. `false` when nobody reads
   * them (a VAD's final state): they are then neither split per request nor sent back.
   * @default true
   */
  returnCarried?: boolean;
  /**
   * Carried inputs a request may leave out, with the type and dims one request's would have: a
   * request without one starts from zeros (Silero VAD's state), made once per group in the worker
   * instead of sent, split and stacked again with every request.
   */
  zeros?: Readonly<Record<string, ZeroInput>>;
}

/** A carried input that starts from zeros: its type, and its dims for one request. */
export interface ZeroInput {
  type: TensorType;
  dims: readonly number[];
}

/** Batch axes of the model's inputs and outputs (see `BatchAxes`). */
export interface StepAxes {
  inputs?: BatchAxes;
  outputs?: BatchAxes;
  /**
   * Memory for the step inputs' layout, kept from batch to batch (a runner's); the feeds handed
   * to `run` are then only good until it is reset. @default fresh memory per batch
   */
  scratch?: LayoutScratch;
}

/** A request's feeds at its first step: what decides whom it stacks with, and how many entries it brings. */
export function firstStep(feeds: Feeds, plan: StepPlan): Feeds {
  const result: Feeds = { ...feeds };
  for (const name of plan.stepInputs) result[name] = stepView(feeds[name] as TensorData, 0);
  return result;
}

/** Each carried output as a request of no steps ends with it: its initial state. */
export function initialCarry(feeds: Feeds, plan: StepPlan): Feeds {
  const result: Feeds = {};
  for (const [output, input] of Object.entries(plan.carry)) {
    const zero = plan.zeros?.[input];
    const initial = feeds[input] ?? (zero && zeros(zero, null, 0));
    if (initial) result[output] = initial;
  }
  return result;
}

/**
 * Zeros for `entries` batch entries along `axis`; one request's, as its dims say, when `axis` is
 * null. In `scratch` when given (only ever read: the model's inputs), which spares allocating and
 * zeroing a fresh buffer per batch.
 */
export function zeros(
  { type, dims }: ZeroInput,
  axis: number | null,
  entries: number,
  scratch?: LayoutScratch,
): TensorData {
  const stacked = [...dims];
  if (axis !== null) stacked[axis] = entries;
  const size = sizeOf(stacked);
  if (scratch === undefined) return { type, data: arrayOf(type, size), dims: stacked };
  const data = scratch.take(type, size);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(0n);
  else data.fill(0);
  return { type, data, dims: stacked };
}

export function stepCount(feeds: Feeds, stepInputs: readonly string[], request: number): number {
  let count: number | null = null;
  for (const name of stepInputs) {
    const t = feeds[name];
    if (!t || t.dims.length === 0)
      throw new TensorError('TENSOR_MISMATCH', `request ${request}: step input ${name} needs a leading step axis`);
    if (count !== null && t.dims[0] !== count) {
      throw new TensorError('TENSOR_MISMATCH', `request ${request}: step inputs disagree on the number of steps`);
    }
    count = t.dims[0] as number;
  }
  if (count === null) throw new TensorError('TENSOR_MISMATCH', 'a step plan needs at least one step input');
  return count;
}
