import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ortNode from 'onnxruntime-node';
import { accumulateModel } from '../../test-fixtures/tiny-models.js';
import { feedsRunner } from './packed.js';
import { LayoutScratch } from './step-layout.js';
import { createRunner } from './runner.js';
import type { OrtModule } from './runner.js';
import { runSteps } from './steps.js';
import type { StepAxes, StepPlan } from './step-plan.js';
import { groupByShape, splitOutputs, stackFeeds } from './stack-feeds.js';
import { tensor } from './tensors.js';
import type { Feeds, TensorData } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);
const plan = { stepInputs: ['x'], carry: { hN: 'h' } };

/** `steps` rows of two values, and a zero state. */
const sequence = (rows: number[][]): Feeds => ({ x: f32(rows.flat(), [rows.length, 1, 2]), h: f32([0, 0], [1, 2]) });

/** A fake of `accumulateModel` on stacked feeds: y = x + h, hN = y, over `[N, 2]`; each call's feeds kept (as they were: runSteps reuses the object). */
function accumulate() {
  const calls: Feeds[] = [];
  const outputs: Feeds[] = [];
  const run = async (feeds: Feeds): Promise<Feeds> => {
    calls.push({ ...feeds });
    const y = (feeds.x?.data as Float32Array).map((v, i) => v + (feeds.h?.data[i] as number));
    const result = { y: f32([...y], feeds.x?.dims as number[]), hN: f32([...y], feeds.x?.dims as number[]) };
    outputs.push(result);
    return result;
  };
  return { run, calls, outputs };
}

const STATE = 3;
const FRAME = 2;
const vadLike: StepPlan = { stepInputs: ['input'], carry: { stateN: 'state' } };
const vadAxes: StepAxes = { inputs: { state: 1, sr: null }, outputs: { stateN: 1 } };

/**
 * A fake recurrent model laid out as Silero VAD: `input [N, FRAME]` (batch axis 0), `state
 * [2, N, STATE]` (axis 1), `sr` a shared scalar; out `output [N, 1]` and `stateN [2, N, STATE]`.
 * Every entry of the batch is computed on its own, so batched and alone must agree exactly.
 */
async function vadFake(feeds: Feeds): Promise<Feeds> {
  const input = feeds.input as TensorData;
  const state = feeds.state as TensorData;
  const sr = Number((feeds.sr as TensorData).data[0]);
  const n = input.dims[0] as number;
  if (state.dims[1] !== n || feeds.sr?.dims.length !== 0) throw new Error('the fake got feeds that do not stack');
  const output = new Float32Array(n);
  const stateN = new Float32Array(2 * n * STATE);
  for (let b = 0; b < n; b++) {
    let sum = 0;
    for (let j = 0; j < FRAME; j++) sum += input.data[b * FRAME + j] as number;
    const s0 = (j: number) => state.data[b * STATE + j] as number;
    const s1 = (j: number) => state.data[(n + b) * STATE + j] as number;
    output[b] = sum * 0.5 + s0(0) - s1(STATE - 1) * 0.25 + sr * 1e-5;
    for (let j = 0; j < STATE; j++) {
      stateN[b * STATE + j] = s0(j) * 0.9 + (input.data[b * FRAME + (j % FRAME)] as number);
      stateN[(n + b) * STATE + j] = s1(j) + (output[b] as number);
    }
  }
  return { output: f32([...output], [n, 1]), stateN: tensor('float32', stateN, [2, n, STATE]) };
}

/** A VAD-like request: `frames` steps of `input [1, FRAME]`, a state `[2, 1, STATE]`, the sample rate. */
function vadRequest(frames: number[][], state: number[] = new Array<number>(2 * STATE).fill(0)): Feeds {
  return {
    input: f32(frames.flat(), [frames.length, 1, FRAME]),
    state: f32(state, [2, 1, STATE]),
    sr: tensor('int64', BigInt64Array.of(16000n), []),
  };
}

/**
 * crowdserve's stepping before it stacked once per batch, kept as the reference: at every step,
 * each request's feeds are built apart, stacked (by shape group), run, split back, and the per-step
 * outputs stacked per request at the end.
 */
async function referenceSteps(
  run: (feeds: Feeds) => Promise<Feeds>,
  batch: readonly Feeds[],
  stepPlan: StepPlan,
  axes: StepAxes,
): Promise<Feeds[]> {
  const runBatch = async (requests: Feeds[]) => {
    const results = new Array<Feeds>(requests.length);
    for (const group of groupByShape(requests, axes.inputs)) {
      const { feeds, counts } = stackFeeds(
        group.map((i) => requests[i] as Feeds),
        axes.inputs,
      );
      const split = splitOutputs(await run(feeds), counts, axes.outputs);
      group.forEach((i, k) => (results[i] = split[k] as Feeds));
    }
    return results;
  };
  const view = (t: TensorData, step: number): TensorData => {
    const size = t.dims.slice(1).reduce((a, b) => a * b, 1);
    return { type: t.type, data: t.data.slice(step * size, (step + 1) * size), dims: t.dims.slice(1) };
  };
  const counts = batch.map((feeds) => feeds[stepPlan.stepInputs[0] as string]?.dims[0] as number);
  const carried = batch.map((feeds) =>
    Object.fromEntries(Object.values(stepPlan.carry).flatMap((name) => (feeds[name] ? [[name, feeds[name]]] : []))),
  ) as Feeds[];
  const collected: Record<string, TensorData[]>[] = batch.map(() => ({}));
  for (let t = 0; t < Math.max(0, ...counts); t++) {
    const active = counts.flatMap((count, i) => (t < count ? [i] : []));
    const steps = active.map((i) => {
      const feeds: Feeds = { ...(batch[i] as Feeds), ...carried[i] };
      for (const name of stepPlan.stepInputs) feeds[name] = view(feeds[name] as TensorData, t);
      return feeds;
    });
    const outputs = await runBatch(steps);
    active.forEach((i, k) => {
      for (const [name, value] of Object.entries(outputs[k] as Feeds)) {
        const into = stepPlan.carry[name];
        if (into !== undefined) (carried[i] as Feeds)[into] = value;
        else ((collected[i] as Record<string, TensorData[]>)[name] ??= []).push(value);
      }
    });
  }
  return batch.map((_, i) => {
    const result: Feeds = {};
    for (const [name, steps] of Object.entries(collected[i] as Record<string, TensorData[]>)) {
      const data = new Float32Array(steps.flatMap((s) => [...(s.data as Float32Array)]));
      result[name] = { type: 'float32', data, dims: [steps.length, ...(steps[0] as TensorData).dims] };
    }
    for (const [output, input] of Object.entries(stepPlan.carry)) {
      const last = (carried[i] as Feeds)[input];
      if (last) result[output] = last;
    }
    return result;
  });
}

describe('runSteps', () => {
  it('steps sequences of different lengths side by side, carrying each one’s state', async () => {
    const fake = accumulate();
    const [a, b, c] = await runSteps(
      fake.run,
      [
        sequence([
          [1, 1],
          [2, 2],
          [3, 3],
        ]),
        sequence([[10, 20]]),
        sequence([]),
      ],
      plan,
    );
    expect(fake.calls.map((feeds) => feeds.x?.dims)).toEqual([
      [2, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(a?.y?.dims).toEqual([3, 1, 2]);
    expect([...(a?.y?.data as Float32Array)]).toEqual([1, 1, 3, 3, 6, 6]);
    expect([...(a?.hN?.data as Float32Array)]).toEqual([6, 6]);
    expect([...(b?.y?.data as Float32Array)]).toEqual([10, 20]);
    expect([...(b?.hN?.data as Float32Array)]).toEqual([10, 20]);
    expect(c).toEqual({ hN: f32([0, 0], [1, 2]) });
  });

  it('gives the same results with its layout in scratch memory, batch after batch', async () => {
    const scratch = new LayoutScratch();
    const batch = () => [
      vadRequest([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      vadRequest([[7, 8]]),
      vadRequest([
        [9, 9],
        [1, 1],
      ]),
    ];
    const fresh = await runSteps(vadFake, batch(), vadLike, vadAxes);
    for (let round = 0; round < 2; round++) {
      scratch.reset();
      expect(await runSteps(vadFake, batch(), vadLike, { ...vadAxes, scratch })).toEqual(fresh);
    }
  });

  it('hands back no carried outputs when the plan says nobody reads them, the other outputs unchanged', async () => {
    const batch = () => [
      sequence([
        [1, 1],
        [2, 2],
      ]),
      sequence([[5, 5]]),
      sequence([]),
    ];
    const all = await runSteps(accumulate().run, batch(), plan);
    const lean = await runSteps(accumulate().run, batch(), { ...plan, returnCarried: false });
    expect(lean).toEqual(all.map(({ hN: _, ...rest }) => rest));
    expect(lean[2]).toEqual({});
  });

  it('starts a carried input a request leaves out from zeros (plan.zeros), as if each had sent zeros', async () => {
    const frames = [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [[7, 8]],
      [
        [9, 1],
        [2, 3],
      ],
      [],
    ];
    const zeros: StepPlan = { ...vadLike, zeros: { state: { type: 'float32', dims: [2, 1, STATE] } } };
    const given = await runSteps(
      vadFake,
      frames.map((f) => vadRequest(f)),
      vadLike,
      vadAxes,
    );
    const leftOut = frames.map((f) => {
      const { state: _, ...rest } = vadRequest(f);
      return rest;
    });
    const states: TensorData[] = [];
    const watched = async (feeds: Feeds) => {
      states.push(feeds.state as TensorData);
      return vadFake(feeds);
    };
    expect(await runSteps(watched, leftOut, zeros, vadAxes)).toEqual(given);
    // The first step's state: zeros for the three requests that step, stacked along axis 1.
    expect(states[0]?.dims).toEqual([2, 3, STATE]);
    expect(Array.from(states[0]?.data as Float32Array)).toEqual(new Array(2 * 3 * STATE).fill(0));
    // A request that brings its own state keeps it (it steps in a group of its own: other inputs).
    const own = vadRequest([[1, 2]], [1, 2, 3, 4, 5, 6]);
    const [withOwn, withoutOwn] = await runSteps(vadFake, [own, leftOut[1] as Feeds], zeros, vadAxes);
    expect(withOwn).toEqual((await runSteps(vadFake, [own], vadLike, vadAxes))[0]);
    expect(withoutOwn).toEqual(given[1]);
  });

  it('stacks the batch once: each step gets a view of one buffer and the state the step before returned', async () => {
    const fake = accumulate();
    const rows = (base: number) => [
      [base, base],
      [base + 1, base + 1],
      [base + 2, base + 2],
    ];
    const results = await runSteps(fake.run, [sequence(rows(0)), sequence(rows(10)), sequence(rows(20))], plan);
    expect(fake.calls).toHaveLength(3);
    // The results of each output share one buffer, so that they cross back to the page as one.
    expect(new Set(results.map((r) => r.y?.data.buffer)).size).toBe(1);
    expect(new Set(results.map((r) => r.hN?.data.buffer)).size).toBe(1);
    const buffers = new Set(fake.calls.map((feeds) => feeds.x?.data.buffer));
    expect(buffers.size).toBe(1);
    expect([...(fake.calls[1]?.x?.data as Float32Array)]).toEqual([1, 1, 11, 11, 21, 21]);
    expect(fake.calls[0]?.h?.dims).toEqual([3, 2]);
    expect(fake.calls[1]?.h).toBe(fake.outputs[0]?.hN);
    expect(fake.calls[2]?.h).toBe(fake.outputs[1]?.hN);
  });

  it('runs the longest first and cuts the carried state when a request finishes', async () => {
    const calls: Feeds[] = [];
    const run = async (feeds: Feeds) => (calls.push({ ...feeds }), vadFake(feeds));
    const frames = (count: number, base: number) => Array.from({ length: count }, (_, t) => [base + t, base - t]);
    const batch = [vadRequest(frames(1, 100)), vadRequest(frames(3, 200)), vadRequest(frames(2, 300))];
    const results = await runSteps(run, batch, vadLike, vadAxes);
    // Longest first: requests 1, 2, 0; then 1, 2; then 1 alone.
    expect(calls.map((feeds) => [...(feeds.input?.data as Float32Array)])).toEqual([
      [200, 200, 300, 300, 100, 100],
      [201, 199, 301, 299],
      [202, 198],
    ]);
    expect(calls.map((feeds) => feeds.state?.dims)).toEqual([
      [2, 3, STATE],
      [2, 2, STATE],
      [2, 1, STATE],
    ]);
    // The state fed at step 2 is request 1's row of step 1's stateN, on both halves of the state.
    const step1 = (await vadFake(calls[1] as Feeds)).stateN?.data as Float32Array;
    expect([...(calls[2]?.state?.data as Float32Array)]).toEqual([
      ...step1.slice(0, STATE),
      ...step1.slice(2 * STATE, 3 * STATE),
    ]);
    expect(results.map((r) => r.output?.dims)).toEqual([
      [1, 1, 1],
      [3, 1, 1],
      [2, 1, 1],
    ]);
    expect(results).toEqual(await referenceSteps(vadFake, batch, vadLike, vadAxes));
  });

  it('gives what the per-step path gave, and each request what it gets alone, for any lengths', async () => {
    const request = fc.record({
      frames: fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), {
        maxLength: 5,
      }),
      state: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 2 * STATE, maxLength: 2 * STATE }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), async (requests) => {
        const batch = () => requests.map(({ frames, state }) => vadRequest(frames, state));
        const stepped = await runSteps(vadFake, batch(), vadLike, vadAxes);
        expect(stepped).toEqual(await referenceSteps(vadFake, batch(), vadLike, vadAxes));
        for (const [i, one] of batch().entries()) {
          expect([stepped[i]]).toEqual(await runSteps(vadFake, [one], vadLike, vadAxes));
        }
      }),
    );
  });

  it('gives what the per-step path gave when requests bring several entries each', async () => {
    const request = fc.record({
      entries: fc.integer({ min: 1, max: 3 }),
      steps: fc.integer({ min: 0, max: 4 }),
      seed: fc.integer({ min: 0, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 5 }), async (requests) => {
        const batch = () =>
          requests.map(({ entries, steps, seed }) => ({
            x: f32(
              Array.from({ length: steps * entries * 2 }, (_, k) => seed + k),
              [steps, entries, 2],
            ),
            h: f32(
              Array.from({ length: entries * 2 }, (_, k) => seed - k),
              [entries, 2],
            ),
          }));
        const run = async (feeds: Feeds) => accumulate().run(feeds);
        expect(await runSteps(run, batch(), plan)).toEqual(await referenceSteps(run, batch(), plan, {}));
      }),
    );
  });

  it('steps requests of another shape in a batch of their own', async () => {
    const fake = accumulate();
    const wide = { x: f32([1, 2, 3, 4, 5, 6], [2, 1, 3]), h: f32([0, 0, 0], [1, 3]) };
    const results = await runSteps(fake.run, [sequence([[1, 1]]), wide, sequence([[2, 2]])], plan);
    expect(fake.calls.map((feeds) => feeds.x?.dims)).toEqual([
      [2, 2],
      [1, 3],
      [1, 3],
    ]);
    expect([...(results[1]?.y?.data as Float32Array)]).toEqual([1, 2, 3, 5, 7, 9]);
    expect([...(results[2]?.hN?.data as Float32Array)]).toEqual([2, 2]);
  });

  it('refuses step inputs without a step axis or of different lengths', async () => {
    const run = async (feeds: Feeds) => feeds;
    await expect(runSteps(run, [{ x: f32([1], []), h: f32([0, 0], [1, 2]) }], plan)).rejects.toThrow(
      'request 0: step input x needs a leading step axis',
    );
    const uneven = { x: f32([1, 2], [2, 1]), z: f32([1, 2, 3], [3, 1]), h: f32([0, 0], [1, 2]) };
    await expect(runSteps(run, [uneven], { stepInputs: ['x', 'z'], carry: {} })).rejects.toThrow(
      'request 0: step inputs disagree on the number of steps',
    );
  });

  it('refuses outputs that lose the batch or change shape from one step to the next', async () => {
    const two = [sequence([[1, 1]]), sequence([[2, 2]])];
    const lost = async () => ({ y: f32([1, 1], [1, 2]) });
    await expect(runSteps(lost, two, plan)).rejects.toThrow(
      'output y has dims [1, 2]; expected 2 along axis 0 (the batch)',
    );
    let width = 1;
    const growing = async (feeds: Feeds) => {
      width++;
      return { y: f32(new Array<number>(width * 2).fill(0), [2, width]), hN: feeds.h as TensorData };
    };
    const long = () =>
      sequence([
        [1, 1],
        [2, 2],
      ]);
    await expect(runSteps(growing, [long(), long()], plan)).rejects.toThrow(
      'output y changes shape from one step to the next',
    );
  });

  it('runs a real recurrent model in a runner, batched or alone alike', async () => {
    const runner = createRunner({ ort: ortNode as unknown as OrtModule, runtime: 'onnxruntime-node' });
    await runner.load(accumulateModel(), { executionProviders: ['cpu'] });
    const requests = () => [
      sequence([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      sequence([
        [0.5, 0.5],
        [1, 1],
      ]),
      sequence([]),
    ];
    const { runSteps: stepped } = feedsRunner(runner);
    const batched = await stepped(requests(), plan);
    const alone = [];
    for (const request of requests()) alone.push((await stepped([request], plan))[0]);
    expect(batched).toEqual(alone);
    expect([...(batched[0]?.y?.data as Float32Array)]).toEqual([1, 2, 4, 6, 9, 12]);
    expect([...(batched[1]?.hN?.data as Float32Array)]).toEqual([1.5, 1.5]);
    expect(batched[2]).toEqual({ hN: f32([0, 0], [1, 2]) });
    await runner.dispose();
  });
});
