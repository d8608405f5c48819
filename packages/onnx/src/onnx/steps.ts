import { TensorError } from './errors.js';
import { stepMajor, stepView, unstackSteps, unstackedSize } from './step-layout.js';
import type { LayoutScratch, StepMajor } from './step-layout.js';
import {
  around,
  arrayOf,
  axisOf,
  batchCounts,
  checkOutputBatch,
  copyTensor,
  groupByShape,
  sizeOf,
  sliceAlong,
  splitOutputs,
  stackTensors,
} from './tensors.js';
import type { BatchAxes, Feeds, TensorArray, TensorData, TensorType } from './tensors.js';

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

/**
 * Runs each request's steps in order, all requests side by side: at step t, every request that
 * still has a step t joins one batched `run` with its own carried state. Returns per request each
 * other output stacked along a new leading step axis (absent for a request of no steps), and each
 * carried output's final value (unless `plan.returnCarried` is `false`).
 *
 * The batch is stacked once, not once per step: the step inputs are laid out step-major (each
 * step's batch is a view), the carried outputs are fed back as they come out of `run`, still
 * stacked, and the other outputs are split per request once, at the end. Requests run longest
 * first, so the requests still stepping are always the first ones: only when one finishes are the
 * carried and batched inputs cut to the rest. Requests whose tensors cannot stack (another shape)
 * step in a batch of their own, after the others.
 */
export async function runSteps(
  /** One step's batched run. Its `feeds` object is reused from step to step: read it, do not keep it. */
  run: (feeds: Feeds) => Promise<Feeds>,
  batch: readonly Feeds[],
  plan: StepPlan,
  axes: StepAxes = {},
): Promise<Feeds[]> {
  const counts = batch.map((feeds, i) => stepCount(feeds, plan.stepInputs, i));
  // A request of no steps keeps its initial state; the others get theirs below.
  const results = batch.map((feeds) => (plan.returnCarried === false ? {} : initialCarry(feeds, plan)));
  const stepping = counts.flatMap((count, i) => (count > 0 ? [i] : []));
  const views = stepping.map((i) => firstStep(batch[i] as Feeds, plan));
  const countOf = (k: number) => counts[stepping[k] as number] as number;
  for (const group of groupByShape(views, axes.inputs)) {
    // Positions in `stepping` (and `views`), longest first.
    const longestFirst = group.sort((a, b) => countOf(b) - countOf(a));
    const members = longestFirst.map((k) => stepping[k] as number);
    const outputs = await stepGroup(
      run,
      members.map((i) => batch[i] as Feeds),
      longestFirst.map((k) => views[k] as Feeds),
      members.map((i) => counts[i] as number),
      plan,
      axes,
    );
    members.forEach((i, k) => (results[i] = outputs[k] as Feeds));
  }
  return results;
}

/** One group of requests that stack, `steps` (their step counts) in falling order. */
async function stepGroup(
  run: (feeds: Feeds) => Promise<Feeds>,
  members: readonly Feeds[],
  firstSteps: readonly Feeds[],
  steps: readonly number[],
  plan: StepPlan,
  axes: StepAxes,
): Promise<Feeds[]> {
  const group = new SteppingGroup(members, firstSteps, steps, plan, axes);
  for (let t = 0; t < (steps[0] as number); t++) group.took(await run(group.feedsAt(t)));
  return group.results();
}

/** A group's tensors while it steps: laid out once, the carried state kept stacked between steps. */
class SteppingGroup {
  readonly #steps: readonly number[];
  readonly #plan: StepPlan;
  readonly #inputAxes: BatchAxes;
  readonly #outputAxes: BatchAxes;
  /** Batch entries each member brings, and where they start along the batch axis. */
  readonly #counts: number[];
  readonly #offsets: number[] = [0];
  readonly #frames: (readonly [string, StepMajor])[];
  /**
   * The feeds of the coming step: every input but the step inputs, stacked (the carried ones are
   * the last step's outputs), and the step inputs, set by `feedsAt`. One object, updated in place:
   * `run` reads it before the next step changes it.
   */
  #held: Feeds = {};
  /** Per non-carried output, each step's output as `run` gave it. */
  readonly #collected: Record<string, TensorData[]> = {};
  /** Each carried output as the last step gave it (still stacked). */
  readonly #carriedOut: Feeds = {};
  readonly #finals: Feeds[];
  /** Members still stepping: always the first ones. */
  #active: number;

  /** `firstSteps`: each member's feeds at its first step (see `firstStep`), already made for grouping. */
  constructor(
    members: readonly Feeds[],
    firstSteps: readonly Feeds[],
    steps: readonly number[],
    plan: StepPlan,
    axes: StepAxes,
  ) {
    this.#steps = steps;
    this.#plan = plan;
    this.#inputAxes = axes.inputs ?? {};
    this.#outputAxes = axes.outputs ?? {};
    this.#counts = batchCounts(firstSteps, this.#inputAxes);
    for (const count of this.#counts) this.#offsets.push((this.#offsets.at(-1) as number) + count);
    const tensorsOf = (name: string) => members.map((feeds) => feeds[name] as TensorData);
    this.#frames = plan.stepInputs.map(
      (name) =>
        [
          name,
          stepMajor(name, tensorsOf(name), steps, this.#offsets, axisOf(this.#inputAxes, name), axes.scratch),
        ] as const,
    );
    for (const name of Object.keys(members[0] as Feeds)) {
      if (!plan.stepInputs.includes(name)) {
        this.#held[name] = stackTensors(name, tensorsOf(name), axisOf(this.#inputAxes, name));
      }
    }
    // Members of one group have the same inputs (see groupByShape): all give this one, or none does.
    for (const [name, zero] of Object.entries(plan.zeros ?? {})) {
      if (name in this.#held) continue;
      this.#held[name] = zeros(zero, axisOf(this.#inputAxes, name), this.#offsets.at(-1) as number, axes.scratch);
    }
    this.#finals = members.map((feeds) => (plan.returnCarried === false ? {} : initialCarry(feeds, plan)));
    this.#active = members.length;
  }

  /** The feeds of step `t`; members that finished before it leave the batch first. */
  feedsAt(t: number): Feeds {
    let active = this.#active;
    while ((this.#steps[active - 1] as number) <= t) active--;
    if (active < this.#active) {
      this.#finish(active, this.#active);
      this.#held = cut(this.#held, this.#inputAxes, this.#offsets[active] as number);
      this.#active = active;
    }
    const feeds = this.#held;
    for (const [name, layout] of this.#frames) feeds[name] = layout.at(t);
    return feeds;
  }

  /** One step's outputs: the carried ones become the next step's inputs, the others are kept. */
  took(outputs: Feeds): void {
    const active = this.#active;
    for (const name in outputs) {
      const value = outputs[name] as TensorData;
      const axis = axisOf(this.#outputAxes, name);
      if (axis !== null) checkOutputBatch(name, value, axis, this.#offsets[active] as number);
      const into = this.#plan.carry[name];
      if (into === undefined) {
        (this.#collected[name] ??= []).push(value);
        continue;
      }
      this.#carriedOut[name] = value;
      const intoAxis = axisOf(this.#inputAxes, into);
      // Fed back as it is when it is batched along the same axis as its input, as a VAD state is.
      if (axis === intoAxis) this.#held[into] = value;
      else {
        const pieces = splitOutputs({ [name]: value }, this.#counts.slice(0, active), this.#outputAxes);
        this.#held[into] = stackTensors(
          into,
          pieces.map((piece) => piece[name] as TensorData),
          intoAxis,
        );
      }
    }
  }

  /**
   * Per member: each non-carried output over its steps, then each carried output's final value.
   * Each output of all members shares one buffer, so that the results cross threads as they are.
   */
  results(): Feeds[] {
    this.#finish(0, this.#active);
    const results: Feeds[] = this.#finals.map(() => ({}));
    for (const [name, outputs] of Object.entries(this.#collected)) {
      const axis = axisOf(this.#outputAxes, name);
      const first = outputs[0] as TensorData;
      const sizes = this.#steps.map((steps, k) => unstackedSize(first, steps, this.#counts[k] as number, axis));
      const data = arrayOf(
        first.type,
        sizes.reduce((a, b) => a + b, 0),
      );
      let at = 0;
      results.forEach((result, k) => {
        const [steps, offset, count] = [this.#steps[k], this.#offsets[k], this.#counts[k]] as [number, number, number];
        const into = data.subarray(at, (at += sizes[k] as number)) as TensorArray;
        result[name] = unstackSteps(name, outputs, steps, offset, count, axis, into);
      });
    }
    return results.map((result, k) => Object.assign(result, this.#finals[k]));
  }

  /** Members `from` to `to` have taken their last step: each keeps its share of the carried outputs. */
  #finish(from: number, to: number): void {
    if (this.#plan.returnCarried === false) return;
    for (const [name, last] of Object.entries(this.#carriedOut)) {
      const axis = axisOf(this.#outputAxes, name);
      if (axis === null) {
        for (let k = from; k < to; k++) (this.#finals[k] as Feeds)[name] = copyTensor(last);
        continue;
      }
      // One buffer for the members finishing together, each a view into it.
      const entries = (this.#offsets[to] as number) - (this.#offsets[from] as number);
      const { outer, inner } = around(last.dims, axis);
      const data = arrayOf(last.type, entries * outer * inner);
      for (let k = from; k < to; k++) {
        const start = ((this.#offsets[k] as number) - (this.#offsets[from] as number)) * outer * inner;
        const into = data.subarray(start, start + (this.#counts[k] as number) * outer * inner) as TensorArray;
        (this.#finals[k] as Feeds)[name] = sliceAlong(
          last,
          axis,
          this.#offsets[k] as number,
          this.#counts[k] as number,
          into,
        );
      }
    }
  }
}

/** The batched inputs cut to the first `entries` entries along their batch axis (requests that finished leave). */
function cut(held: Feeds, axes: BatchAxes, entries: number): Feeds {
  const result: Feeds = {};
  for (const [name, t] of Object.entries(held)) {
    const axis = axisOf(axes, name);
    result[name] = axis === null ? t : sliceAlong(t, axis, 0, entries);
  }
  return result;
}

/** A request's feeds at its first step: what decides whom it stacks with, and how many entries it brings. */
function firstStep(feeds: Feeds, plan: StepPlan): Feeds {
  const result: Feeds = { ...feeds };
  for (const name of plan.stepInputs) result[name] = stepView(feeds[name] as TensorData, 0);
  return result;
}

/** Each carried output as a request of no steps ends with it: its initial state. */
function initialCarry(feeds: Feeds, plan: StepPlan): Feeds {
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
