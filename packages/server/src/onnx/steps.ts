import { TensorError } from './errors.js';
import type { Feeds, TensorArray, TensorData } from './tensors.js';

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
}

/**
 * Runs each request's steps in order, all requests side by side: at step t, every request that
 * still has a step t joins one batched `run` with its own carried state. Returns per request each
 * other output stacked along a new leading step axis (absent for a request of no steps), and each
 * carried output's final value.
 */
export async function runSteps(
  run: (batch: Feeds[]) => Promise<Feeds[]>,
  batch: readonly Feeds[],
  plan: StepPlan,
): Promise<Feeds[]> {
  const counts = batch.map((feeds, i) => stepCount(feeds, plan.stepInputs, i));
  const carried: Feeds[] = batch.map((feeds) => pick(feeds, Object.values(plan.carry)));
  const collected: Record<string, TensorData[]>[] = batch.map(() => ({}));
  const total = Math.max(0, ...counts);
  for (let t = 0; t < total; t++) {
    const active = counts.flatMap((count, i) => (t < count ? [i] : []));
    const outputs = await run(
      active.map((i) => ({ ...(batch[i] as Feeds), ...stepFeeds(batch[i] as Feeds, plan, t), ...carried[i] })),
    );
    active.forEach((i, k) => {
      for (const [name, value] of Object.entries(outputs[k] as Feeds)) {
        const into = plan.carry[name];
        if (into !== undefined) (carried[i] as Feeds)[into] = value;
        else ((collected[i] as Record<string, TensorData[]>)[name] ??= []).push(value);
      }
    });
  }
  return batch.map((_, i) => {
    const result: Feeds = {};
    for (const [name, steps] of Object.entries(collected[i] as Record<string, TensorData[]>))
      result[name] = stackSteps(name, steps);
    for (const [output, input] of Object.entries(plan.carry)) {
      const last = (carried[i] as Feeds)[input];
      if (last) result[output] = last;
    }
    return result;
  });
}

function stepCount(feeds: Feeds, stepInputs: readonly string[], request: number): number {
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

/** Step t of each step input: a view, without the step axis. */
function stepFeeds(feeds: Feeds, plan: StepPlan, t: number): Feeds {
  const result: Feeds = {};
  for (const name of plan.stepInputs) {
    const { type, data, dims } = feeds[name] as TensorData;
    const size = dims.slice(1).reduce((a, b) => a * b, 1);
    result[name] = { type, data: data.subarray(t * size, (t + 1) * size) as TensorArray, dims: dims.slice(1) };
  }
  return result;
}

function pick(feeds: Feeds, names: readonly string[]): Feeds {
  const result: Feeds = {};
  for (const name of names) if (feeds[name]) result[name] = feeds[name];
  return result;
}

/** Per-step outputs stacked along a new leading axis. */
function stackSteps(name: string, steps: TensorData[]): TensorData {
  const first = steps[0] as TensorData;
  const size = first.data.length;
  const data = new (first.data.constructor as new (length: number) => TensorArray)(size * steps.length);
  steps.forEach((step, t) => {
    if (step.type !== first.type || step.dims.join() !== first.dims.join()) {
      throw new TensorError('TENSOR_MISMATCH', `output ${name} changes shape from one step to the next`);
    }
    data.set(step.data as never, t * size);
  });
  return { type: first.type, data, dims: [steps.length, ...first.dims] };
}
