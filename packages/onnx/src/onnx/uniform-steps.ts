import { requestArray, walkColumn } from './packed.js';
import type { EncodedBatch, WireBatch, WireColumn } from './packed.js';
import type { LayoutScratch } from './step-layout.js';
import { zeros } from './step-plan.js';
import type { StepAxes, StepPlan } from './step-plan.js';
import { TensorError } from './errors.js';
import { checkOutputBatch, stacksWith } from './stack-feeds.js';
import { arrayOf, copyElements } from './tensor-arrays.js';
import { axisOf, checkOnCpu, sizeOf } from './tensors.js';
import type { Feeds, TensorArray, TensorData, TensorType } from './tensors.js';

/**
 * `runSteps` for the common batch, straight from its wire columns: every request has every input,
 * of the same shape, and the same number of steps (a batch of equally long VAD clips). Its step
 * inputs are gathered step by step into one step's memory (none for one step: the column is the
 * step), from one column or from the arrays of requests whose tensors came whole (long clips, see
 * `encodeBatch`); its other inputs are the columns themselves, and each output comes back as one
 * column, without the feeds, views and tensors per request that decoding, grouping and splitting
 * make (in Chromium each typed-array view costs about a microsecond). Gives exactly what decoding
 * the batch, `runSteps` and encoding the results give. Returns `null` for any other batch (or a
 * plan that returns carried outputs, or outputs batched along another axis than 0): the caller
 * takes the general path, which also says what is wrong with a batch that does not stack.
 *
 * `tensor` makes the runtime's tensor of an input, once per input and batch (the runner: an ORT
 * tensor; by default the input as it is); `run` runs one step on those, with each carried output
 * fed back as `run` gave it. A step costs what a hand-written loop's does: its inputs gathered,
 * one call, its outputs put where they go.
 */
export async function runUniformSteps(
  run: (feeds: Feeds) => Promise<Feeds>,
  wire: WireBatch,
  plan: StepPlan,
  axes: StepAxes = {},
  tensor: (t: TensorData) => TensorData = (t) => t,
): Promise<EncodedBatch | null> {
  const layout = uniformLayout(wire, plan, axes);
  if (layout === null) return null;
  const { steps, entries, feeds, stepInputs } = layout;
  // Each input becomes the runtime's tensor once: a step input's memory is written over at every
  // step, a carried one is replaced by the output fed back, the others stay as they are.
  const fed: Feeds = {};
  for (const [name, at] of stepInputs) feeds[name] = at(0);
  for (const name in feeds) fed[name] = tensor(feeds[name] as TensorData);
  const fills = stepInputs.map(([, at]) => at);
  let routes: OutputRoute[] | null = null;
  for (let t = 0; t < steps; t++) {
    if (t > 0) for (const fill of fills) fill(t);
    const outputs = await run(fed);
    // Where each output goes, found once: a run gives the same outputs every step.
    routes ??= Object.keys(outputs).map((name) => ({
      name,
      axis: axisOf(axes.outputs ?? {}, name),
      into: plan.carry[name],
      steps: [],
    }));
    for (const { name, axis, into, steps: kept } of routes) {
      const value = outputs[name];
      if (value === undefined) throw new TensorError('TENSOR_MISMATCH', `output ${name} is missing at step ${t}`);
      if (axis !== null) checkOutputBatch(name, value, axis, entries);
      if (into !== undefined) fed[into] = value;
      else kept.push(value);
    }
  }
  const columns: WireColumn[] = [];
  for (const { name, into, steps: kept } of routes ?? []) {
    if (into === undefined) columns.push(outputColumn(name, kept, wire.size, steps));
  }
  return {
    wire: { size: wire.size, columns },
    buffers: columns.map((c) => (c.data as TensorArray).buffer as ArrayBuffer),
  };
}

/** What becomes of one output at every step. */
interface OutputRoute {
  name: string;
  /** Its batch axis (`null`: not batched). */
  axis: number | null;
  /** The input it is fed back as, if carried. */
  into: string | undefined;
  /** Each step's value, if not carried. */
  steps: TensorData[];
}

interface UniformLayout {
  steps: number;
  /** Batch entries of one step, all requests together. */
  entries: number;
  /** Every input but the step inputs, stacked; the step inputs are set per step. */
  feeds: Feeds;
  stepInputs: [string, (t: number) => TensorData][];
}

function uniformLayout(wire: WireBatch, plan: StepPlan, axes: StepAxes): UniformLayout | null {
  const size = wire.size;
  if (plan.returnCarried !== false || size === 0) return null;
  const inputAxes = axes.inputs ?? {};
  const outputAxes = axes.outputs ?? {};
  // Outputs that are not carried come back along axis 0; carried ones go back in along their input's axis.
  for (const [name, axis] of Object.entries(outputAxes)) {
    if (plan.carry[name] === undefined && axis !== 0) return null;
  }
  for (const [output, input] of Object.entries(plan.carry)) {
    if (axisOf(outputAxes, output) !== axisOf(inputAxes, input)) return null;
  }
  const inputs = uniformInputs(wire);
  if (inputs === null) return null;
  let steps: number | null = null;
  let perRequest: number | null = null;
  const agree = (count: number | undefined) => {
    if (count === undefined || (perRequest !== null && count !== perRequest)) return false;
    perRequest = count;
    return true;
  };
  for (const name of plan.stepInputs) {
    const given = inputs.get(name);
    if (given === undefined || axisOf(inputAxes, name) !== 0) return null;
    const [count, entries] = given.dims;
    if (count === undefined || count < 1 || (steps !== null && count !== steps) || !agree(entries)) return null;
    steps = count;
  }
  const feeds: Feeds = {};
  for (const [name, { type, dims, data }] of inputs) {
    if (plan.stepInputs.includes(name)) continue;
    // Only step inputs are laid out anew; any other input is fed as its one column.
    if (Array.isArray(data)) return null;
    const axis = axisOf(inputAxes, name);
    if (axis === null) {
      if (!allEqual(data, size)) return null;
      feeds[name] = { type, data: data.subarray(0, data.length / size) as TensorArray, dims };
    } else {
      if (axis !== 0 || !agree(dims[0])) return null;
      feeds[name] = { type, data, dims: [size * (dims[0] as number), ...dims.slice(1)] };
    }
  }
  if (steps === null || perRequest === null) return null;
  const entries = size * (perRequest as number);
  for (const [name, zero] of Object.entries(plan.zeros ?? {})) {
    if (!(name in feeds)) feeds[name] = zeros(zero, axisOf(inputAxes, name), entries, axes.scratch);
  }
  const stepCount = steps;
  const stepInputs = plan.stepInputs.map((name): [string, (t: number) => TensorData] => [
    name,
    stepFeed(inputs.get(name) as UniformInput, size, stepCount, axes.scratch),
  ]);
  return { steps, entries, feeds, stepInputs };
}

/**
 * An input of a uniform batch: every request's tensor of one type, array class and shape, either in
 * one array end to end, or one array per request, in request order (tensors large enough that
 * `encodeBatch` sends each whole, as long VAD clips' frames).
 */
interface UniformInput {
  type: TensorType;
  dims: number[];
  data: TensorArray | TensorArray[];
}

/** The batch's inputs by name, or `null` unless every request has each, of one type, array class and shape. */
function uniformInputs(wire: WireBatch): Map<string, UniformInput> | null {
  const byName = new Map<string, WireColumn[]>();
  for (const column of wire.columns) {
    const named = byName.get(column.name);
    if (named === undefined) byName.set(column.name, [column]);
    else named.push(column);
  }
  const inputs = new Map<string, UniformInput>();
  for (const [name, columns] of byName) {
    const only = columns.length === 1 ? (columns[0] as WireColumn) : null;
    const dims = only === null ? null : uniformDims(only, wire.size);
    const input =
      only !== null && dims !== null ? { type: only.type, dims, data: only.data } : spread(columns, wire.size);
    if (input === null) return null;
    inputs.set(name, input);
  }
  return inputs;
}

/** The dims every request of the column has, or `null` when they differ, one has none, or the arrays differ in class. */
function uniformDims({ shapes, data }: WireColumn, size: number): number[] | null {
  const rank = shapes[0];
  if (rank === undefined || rank < 0 || shapes.length !== size * (rank + 1)) return null;
  const dims = shapes.slice(1, rank + 1);
  for (let i = 1; i < size; i++) {
    const at: number = i * (rank + 1);
    if (shapes[at] !== rank) return null;
    for (let d = 0; d < rank; d++) if (shapes[at + 1 + d] !== dims[d]) return null;
  }
  const length = sizeOf(dims);
  if (!Array.isArray(data)) return data.length === size * length ? dims : null;
  if (data.length !== size) return null;
  const kind = data[0]?.constructor;
  // By index, not `some`, which skips the holes a malformed batch may have.
  for (let i = 0; i < size; i++) {
    const array = data[i];
    if (array === undefined || array.length !== length || array.constructor !== kind) return null;
  }
  return dims;
}

/**
 * An input whose requests' tensors came in several columns (some sent whole, some not), as one
 * array per request; `null` unless each request has exactly one, all of one type, array class
 * and shape.
 */
function spread(columns: readonly WireColumn[], size: number): UniformInput | null {
  const arrays: (TensorArray | undefined)[] = new Array<TensorArray | undefined>(size).fill(undefined);
  let first: TensorData | null = null;
  let uniform = true;
  try {
    for (const column of columns) {
      const { type, shapes } = column;
      walkColumn(column, size, (request, at, rank, array, offset, length) => {
        const data = requestArray(array, offset, length);
        const t = { type, data, dims: shapes.slice(at, at + rank) };
        first ??= t;
        const same = stacksWith(t, first, null) && array.constructor === first.data.constructor;
        if (!same || arrays[request] !== undefined) uniform = false;
        arrays[request] = data;
      });
    }
  } catch {
    // Shapes that do not match the data: the general path says what is wrong.
    return null;
  }
  if (!uniform || first === null || arrays.some((a) => a === undefined)) return null;
  const { type, dims } = first as TensorData;
  // `dims` is a fresh slice of the column's shapes: its own already.
  return { type, dims: dims as number[], data: arrays as TensorArray[] };
}

/** Whether every request's share of the column holds the same values as the first's. */
function allEqual(data: TensorArray, size: number): boolean {
  const length = data.length / size;
  for (let i = length; i < data.length; i++) if (data[i] !== data[i % length]) return false;
  return true;
}

/**
 * A step input's step `t` for all requests, `[entries, …]`: for one step, the column itself; else
 * one step's worth of memory, written over with step `t` of every request when asked for it, as a
 * hand-written loop does (a run has read its inputs once its promise settles, and a step is only
 * asked for once the run before it settled). It needs one step's memory, not the whole batch's
 * (590 kB for 8 one-second VAD clips), and the runner makes the step's ORT tensor once.
 */
function stepFeed(
  { type, dims, data }: UniformInput,
  size: number,
  steps: number,
  scratch: LayoutScratch | undefined,
): (t: number) => TensorData {
  const stepDims = [size * (dims[1] as number), ...dims.slice(2)];
  if (steps === 1 && !Array.isArray(data)) {
    const only = { type, data, dims: stepDims };
    return () => only;
  }
  const perRequest = sizeOf(dims);
  const chunk = perRequest / steps;
  // The same tensor every step, so the runner makes its ORT tensor once.
  const step: TensorData = {
    type,
    data: scratch ? scratch.take(type, size * chunk) : arrayOf(type, size * chunk),
    dims: stepDims,
  };
  return (t) => {
    for (let b = 0; b < size; b++) {
      // A request's tensor: its own array, or its place in the column.
      if (Array.isArray(data)) copyElements(data[b] as TensorArray, t * chunk, chunk, step.data, b * chunk);
      else copyElements(data, b * perRequest + t * chunk, chunk, step.data, b * chunk);
    }
    return step;
  };
}

/** An output over its steps as one column: per request `[steps, entries, …]`, requests end to end. */
function outputColumn(name: string, outputs: readonly TensorData[], size: number, steps: number): WireColumn {
  const first = outputs[0] as TensorData;
  for (const step of outputs) {
    checkOnCpu(name, step);
    if (!stacksWith(step, first, null)) {
      throw new TensorError('TENSOR_MISMATCH', `output ${name} changes shape from one step to the next`);
    }
  }
  const chunk = first.data.length / size;
  const data = arrayOf(first.type, first.data.length * steps);
  for (let t = 0; t < steps; t++) {
    const step = (outputs[t] as TensorData).data;
    // Element by element when small (VAD: one probability per clip and step), not through a view each.
    for (let b = 0; b < size; b++) copyElements(step, b * chunk, chunk, data, (b * steps + t) * chunk);
  }
  const dims = [steps, (first.dims[0] as number) / size, ...first.dims.slice(1)];
  const shapes: number[] = [];
  for (let b = 0; b < size; b++) shapes.push(dims.length, ...dims);
  return { name, type: first.type, shapes, data };
}
