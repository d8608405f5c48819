import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBatch, encodeBatch } from './packed.js';
import { runSteps } from './steps.js';
import type { StepAxes, StepPlan } from './step-plan.js';
import { LayoutScratch } from './step-layout.js';
import { tensor } from './tensors.js';
import type { Feeds, TensorData } from './tensors.js';
import { runUniformSteps } from './uniform-steps.js';

const FRAME = 3;
/** A frame long enough (32 KiB of float32) that `encodeBatch` sends each request's frames whole, in a column of their own. */
const LONG_FRAME = 8192;
const STATE = 2;
const axes: StepAxes = { inputs: { state: 1, sr: null }, outputs: { stateN: 1 } };
const plan: StepPlan = {
  stepInputs: ['input'],
  carry: { stateN: 'state' },
  returnCarried: false,
  zeros: { state: { type: 'float32', dims: [2, 1, STATE] } },
};

/** A recurrent fake laid out as Silero VAD (input [N, FRAME], state [2, N, STATE] on axis 1, sr shared); every entry on its own. */
async function fake(feeds: Feeds): Promise<Feeds> {
  const input = feeds.input as TensorData;
  const state = feeds.state as TensorData;
  const sr = Number((feeds.sr as TensorData).data[0]);
  const n = input.dims[0] as number;
  const frame = input.data.length / n;
  const output = new Float32Array(n);
  const stateN = new Float32Array(2 * n * STATE);
  for (let b = 0; b < n; b++) {
    let sum = sr * 1e-4;
    for (let j = 0; j < frame; j++) sum += input.data[b * frame + j] as number;
    output[b] = sum + (state.data[b * STATE] as number) * 0.5 - (state.data[(n + b) * STATE + 1] as number);
    for (let j = 0; j < STATE; j++) {
      stateN[b * STATE + j] = (state.data[b * STATE + j] as number) * 0.9 + (input.data[b * frame + j] as number);
      stateN[(n + b) * STATE + j] = (state.data[(n + b) * STATE + j] as number) + (output[b] as number);
    }
  }
  return { output: tensor('float32', output, [n, 1]), stateN: tensor('float32', stateN, [2, n, STATE]) };
}

/** A request: `steps` frames of one entry each, and the sample rate. */
function request(frames: number[][], sr = 16000n): Feeds {
  return {
    input: tensor('float32', Float32Array.from(frames.flat()), [frames.length, 1, frames[0]?.length ?? FRAME]),
    sr: tensor('int64', BigInt64Array.of(sr), []),
  };
}

const frames = (steps: number, seed: number, frame = FRAME) =>
  Array.from({ length: steps }, (_, t) => Array.from({ length: frame }, (_, j) => Math.sin(seed + t * 7 + j)));

/** What the general path gives: the batch decoded, stepped, and its results encoded. */
async function general(batch: Feeds[], stepPlan = plan): Promise<Feeds[]> {
  return decodeBatch(encodeBatch(await runSteps(fake, decodeBatch(encodeBatch(batch).wire), stepPlan, axes)).wire);
}

describe('runUniformSteps', () => {
  it('gives exactly what the general path gives, for any uniform batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (size, steps, long) => {
          const batch = Array.from({ length: size }, (_, b) => request(frames(steps, b, long ? LONG_FRAME : FRAME)));
          const wire = encodeBatch(batch).wire;
          // Long frames come in one column as one array per request, short ones end to end in one.
          const inputs = wire.columns.filter((c) => c.name === 'input');
          expect(inputs).toHaveLength(1);
          expect(Array.isArray(inputs[0]?.data) ? inputs[0]?.data.length : 'one array').toBe(long ? size : 'one array');
          const uniform = await runUniformSteps(fake, wire, plan, {
            ...axes,
            scratch: new LayoutScratch(),
          });
          expect(uniform).not.toBeNull();
          expect(decodeBatch(uniform!.wire)).toEqual(await general(batch));
          expect(uniform!.buffers).toEqual(uniform!.wire.columns.map((c) => (c.data as Float32Array).buffer));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('feeds one step its column as it is, and each step the state the step before returned', async () => {
    const seen: Feeds[] = [];
    const watched = (feeds: Feeds) => {
      seen.push({ ...feeds });
      return fake(feeds);
    };
    const one = encodeBatch([request(frames(1, 1)), request(frames(1, 2))]).wire;
    await runUniformSteps(watched, one, plan, axes);
    expect(seen[0]?.input?.data).toBe(one.columns[0]?.data);
    expect(seen[0]?.input?.dims).toEqual([2, FRAME]);
    seen.length = 0;
    await runUniformSteps(watched, encodeBatch([request(frames(3, 1)), request(frames(3, 2))]).wire, plan, axes);
    expect(seen.map((f) => f.state?.dims)).toEqual([
      [2, 2, STATE],
      [2, 2, STATE],
      [2, 2, STATE],
    ]);
    expect(Array.from(seen[0]?.state?.data as Float32Array)).toEqual(new Array(4 * STATE).fill(0));
    expect(seen[1]?.state?.data).not.toBe(seen[0]?.state?.data);
  });

  it("makes each input the runtime's tensor once, and steps on those", async () => {
    const made: TensorData[] = [];
    const fed: Feeds[] = [];
    const inputs: number[][] = [];
    const runtime = (t: TensorData): TensorData => {
      const own = { ...t };
      made.push(own);
      return own;
    };
    const watched = (feeds: Feeds) => {
      fed.push({ ...feeds });
      inputs.push(Array.from(feeds.input?.data as Float32Array));
      return fake(feeds);
    };
    const batch = [request(frames(3, 1)), request(frames(3, 2))];
    const uniform = await runUniformSteps(watched, encodeBatch(batch).wire, plan, axes, runtime);
    expect(decodeBatch(uniform!.wire)).toEqual(await general(batch));
    // input, sr and the zero state: one each for the whole batch.
    expect(made).toHaveLength(3);
    const input = made.find((t) => t.dims.length === 2);
    const sr = made.find((t) => t.type === 'int64');
    expect(input).toBeDefined();
    for (const f of fed) {
      expect(f.input).toBe(input);
      expect(f.sr).toBe(sr);
    }
    // Step t's memory holds every request's frame t.
    expect(inputs).toEqual(
      [0, 1, 2].map((t) => [...(frames(3, 1)[t] as number[]), ...(frames(3, 2)[t] as number[])].map(Math.fround)),
    );
  });

  it('leaves any other batch to the general path', async () => {
    const uniform = (batch: Feeds[], stepPlan: StepPlan = plan) =>
      runUniformSteps(fake, encodeBatch(batch).wire, stepPlan, axes);
    // Different step counts.
    expect(await uniform([request(frames(2, 1)), request(frames(3, 2))])).toBeNull();
    // A shared input that differs between requests.
    expect(await uniform([request(frames(2, 1)), request(frames(2, 2), 8000n)])).toBeNull();
    // A state given on its batch axis 1, a request without the sample rate.
    const withState = {
      ...request(frames(2, 1)),
      state: tensor('float32', new Float32Array(2 * STATE), [2, 1, STATE]),
    };
    expect(await uniform([withState, withState])).toBeNull();
    const { sr: _, ...noRate } = request(frames(2, 1));
    expect(await uniform([request(frames(2, 2)), noRate])).toBeNull();
    // One request's frames in float64, the other's in float32, each sent whole.
    const long = request(frames(1, 1, LONG_FRAME));
    const input = long.input as TensorData;
    const float64 = { ...long, input: tensor('float64', Float64Array.from(input.data as Float32Array), input.dims) };
    expect(await uniform([long, float64])).toBeNull();
    // Frames spread over two columns (one sent whole, one not) and a request without any.
    const whole = request(frames(1, 1, LONG_FRAME));
    const small = {
      ...whole,
      input: tensor('float32', new Float32Array(LONG_FRAME + 1).subarray(1), [1, 1, LONG_FRAME]),
    };
    const { input: _input, ...without } = whole;
    expect(encodeBatch([whole, without, small]).wire.columns.filter((c) => c.name === 'input')).toHaveLength(2);
    expect(await uniform([whole, without, small])).toBeNull();
    // A column of arrays with a hole where a request's array should be.
    const holed = encodeBatch([request(frames(1, 1, LONG_FRAME)), request(frames(1, 2, LONG_FRAME))]).wire;
    const arrays = holed.columns[0]?.data as Float32Array[];
    delete arrays[1];
    expect(await runUniformSteps(fake, holed, plan, axes)).toBeNull();
    // A plan that returns the final state.
    expect(await uniform([request(frames(2, 1))], { ...plan, returnCarried: true })).toBeNull();
  });

  it('steps requests sent whole and requests sent in a column together', async () => {
    // The second request's frames are a view into a larger buffer, so they go into a column; the first's go whole.
    const whole = request(frames(2, 1, LONG_FRAME));
    const inside = request(frames(2, 2, LONG_FRAME));
    const data = (inside.input as TensorData).data as Float32Array;
    const padded = new Float32Array(data.length + 1);
    padded.set(data);
    const view = { ...inside, input: tensor('float32', padded.subarray(0, data.length), [2, 1, LONG_FRAME]) };
    const wire = encodeBatch([whole, view]).wire;
    expect(wire.columns.filter((c) => c.name === 'input')).toHaveLength(2);
    const uniform = await runUniformSteps(fake, wire, plan, axes);
    expect(uniform).not.toBeNull();
    expect(decodeBatch(uniform!.wire)).toEqual(await general([whole, view]));
  });

  it('refuses outputs that lose the batch or change shape, as the general path does', async () => {
    const batch = encodeBatch([request(frames(2, 1)), request(frames(2, 2))]).wire;
    const lost = async (feeds: Feeds) => ({
      ...(await fake(feeds)),
      output: tensor('float32', new Float32Array(1), [1, 1]),
    });
    await expect(runUniformSteps(lost, batch, plan, axes)).rejects.toThrow('output output has dims [1, 1]; expected 2');
    let step = 0;
    const changing = async (feeds: Feeds) => {
      const out = await fake(feeds);
      return step++ === 0 ? out : { ...out, output: tensor('float32', new Float32Array(4), [2, 2]) };
    };
    await expect(
      runUniformSteps(changing, encodeBatch([request(frames(2, 1)), request(frames(2, 2))]).wire, plan, axes),
    ).rejects.toThrow('output output changes shape from one step to the next');
    let calls = 0;
    const dropping = async (feeds: Feeds): Promise<Feeds> => {
      const out = await fake(feeds);
      const { output: _, ...rest } = out;
      return calls++ === 0 ? out : rest;
    };
    await expect(runUniformSteps(dropping, batch, plan, axes)).rejects.toThrow('output output is missing at step 1');
    const onGpu = async (feeds: Feeds) => {
      const out = await fake(feeds);
      return { ...out, output: { ...(out.output as TensorData), data: {} as Float32Array } };
    };
    await expect(runUniformSteps(onGpu, batch, plan, axes)).rejects.toThrow(
      'output output is not a numeric tensor on the CPU',
    );
  });
});
