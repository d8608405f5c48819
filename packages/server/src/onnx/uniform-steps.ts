import type { EncodedBatch, WireBatch, WireColumn } from './packed.js';
import type { LayoutScratch } from './step-layout.js';
import { zeros } from './steps.js';
import type { StepAxes, StepPlan } from './steps.js';
import { TensorError } from './errors.js';
import { arrayOf, axisOf, checkOutputBatch, copyElements, sizeOf, stacksWith } from './tensors.js';
import type { Feeds, TensorArray, TensorData } from './tensors.js';

/**
 * `runSteps` for the common batch, straight from its wire columns: every request has every input,
 * of the same shape, and the same number of steps (a batch of equally long VAD clips). Its step
 * inputs are laid out step-major in one copy (none for one step: the column is the step), its other
 * inputs are the columns themselves, and each output comes back as one column, without the feeds,
 * views and tensors per request that decoding, grouping and splitting make (in Chromium each
 * typed-array view costs about a microsecond). Gives exactly what decoding the batch, `runSteps` and
 * encoding the results give. Returns `null` for any other batch (or a plan that returns carried
 * outputs, or outputs batched along another axis than 0): the caller takes the general path, which
 * also says what is wrong with a batch that does not stack.
 */
export async function runUniformSteps(
  run: (feeds: Feeds) => Promise<Feeds>,
  wire: WireBatch,
  plan: StepPlan,
  axes: StepAxes = {},
): Promise<EncodedBatch | null> {
  const layout = uniformLayout(wire, plan, axes);
  if (layout === null) return null;
  const { steps, entries, feeds, stepInputs } = layout;
  const collected = new Map<string, TensorData[]>();
  for (let t = 0; t < steps; t++) {
    for (const [name, at] of stepInputs) feeds[name] = at(t);
    const outputs = await run(feeds);
    for (const name in outputs) {
      const value = outputs[name] as TensorData;
      const into = plan.carry[name];
      const axis = axisOf(axes.outputs ?? {}, name);
      if (axis !== null) checkOutputBatch(name, value, axis, entries);
      if (into !== undefined) feeds[into] = value;
      else {
        let list = collected.get(name);
        if (list === undefined) collected.set(name, (list = []));
        list.push(value);
      }
    }
  }
  const columns: WireColumn[] = [];
  for (const [name, outputs] of collected) columns.push(outputColumn(name, outputs, wire.size, steps));
  return { wire: { size: wire.size, columns }, buffers: columns.map((c) => c.data.buffer as ArrayBuffer) };
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
  const columns = new Map<string, { column: WireColumn; dims: number[] }>();
  for (const column of wire.columns) {
    const dims = uniformDims(column, size);
    if (dims === null || columns.has(column.name)) return null;
    columns.set(column.name, { column, dims });
  }
  let steps: number | null = null;
  let perRequest: number | null = null;
  const agree = (count: number | undefined) => {
    if (count === undefined || (perRequest !== null && count !== perRequest)) return false;
    perRequest = count;
    return true;
  };
  for (const name of plan.stepInputs) {
    const given = columns.get(name);
    if (given === undefined || axisOf(inputAxes, name) !== 0) return null;
    const [count, entries] = given.dims;
    if (count === undefined || count < 1 || (steps !== null && count !== steps) || !agree(entries)) return null;
    steps = count;
  }
  const feeds: Feeds = {};
  for (const [name, { column, dims }] of columns) {
    if (plan.stepInputs.includes(name)) continue;
    const axis = axisOf(inputAxes, name);
    if (axis === null) {
      if (!allEqual(column.data, size)) return null;
      feeds[name] = {
        type: column.type,
        data: column.data.subarray(0, column.data.length / size) as TensorArray,
        dims,
      };
    } else {
      if (axis !== 0 || !agree(dims[0])) return null;
      feeds[name] = { type: column.type, data: column.data, dims: [size * (dims[0] as number), ...dims.slice(1)] };
    }
  }
  if (steps === null || perRequest === null) return null;
  const entries = size * (perRequest as number);
  for (const [name, zero] of Object.entries(plan.zeros ?? {})) {
    if (!(name in feeds)) feeds[name] = zeros(zero, axisOf(inputAxes, name), entries, axes.scratch);
  }
  const stepCount = steps;
  const stepInputs = plan.stepInputs.map((name): [string, (t: number) => TensorData] => {
    const { column, dims } = columns.get(name) as { column: WireColumn; dims: number[] };
    return [name, stepMajor(column, dims, size, stepCount, axes.scratch)];
  });
  return { steps, entries, feeds, stepInputs };
}

/** The dims every request of the column has, or `null` when they differ or one has none. */
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
  return data.length === size * length ? dims : null;
}

/** Whether every request's share of the column holds the same values as the first's. */
function allEqual(data: TensorArray, size: number): boolean {
  const length = data.length / size;
  for (let i = length; i < data.length; i++) if (data[i] !== data[i % length]) return false;
  return true;
}

/** A step input's step `t` for all requests, `[entries, …]`: the column itself for one step, else laid out step-major once. */
function stepMajor(
  { type, data }: WireColumn,
  dims: readonly number[],
  size: number,
  steps: number,
  scratch: LayoutScratch | undefined,
): (t: number) => TensorData {
  const stepDims = [size * (dims[1] as number), ...dims.slice(2)];
  if (steps === 1) {
    const only = { type, data, dims: stepDims };
    return () => only;
  }
  const chunk = data.length / size / steps;
  const laid = scratch ? scratch.take(type, data.length) : arrayOf(type, data.length);
  for (let b = 0; b < size; b++) {
    for (let t = 0; t < steps; t++) {
      copyElements(data, (b * steps + t) * chunk, chunk, laid, (t * size + b) * chunk);
    }
  }
  const width = size * chunk;
  return (t) => ({ type, data: laid.subarray(t * width, (t + 1) * width) as TensorArray, dims: stepDims });
}

/** An output over its steps as one column: per request `[steps, entries, …]`, requests end to end. */
function outputColumn(name: string, outputs: readonly TensorData[], size: number, steps: number): WireColumn {
  const first = outputs[0] as TensorData;
  for (const step of outputs) {
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
