import { firstStep, initialCarry, stepCount } from './step-plan.js';
import type { StepAxes, StepPlan } from './step-plan.js';
import { SteppingGroup } from './stepping-group.js';
import { groupByShape } from './stack-feeds.js';
import type { Feeds } from './tensors.js';

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
