import { stepMajor, unstackSteps, unstackedSize } from './step-layout.js';
import type { StepMajor } from './step-layout.js';
import { initialCarry, zeros } from './step-plan.js';
import type { StepAxes, StepPlan } from './step-plan.js';
import { around, batchCounts, checkOutputBatch, sliceAlong, splitOutputs, stackTensors } from './stack-feeds.js';
import { arrayOf, copyTensor } from './tensor-arrays.js';
import { axisOf } from './tensors.js';
import type { BatchAxes, Feeds, TensorArray, TensorData } from './tensors.js';

/** A group's tensors while it steps: laid out once, the carried state kept stacked between steps. */
export class SteppingGroup {
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
