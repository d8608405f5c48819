import { describe, expect, it } from 'vitest';
import { InputError } from '../onnx/errors.js';
import { encodeBase64 } from './base64.js';
import { encodeVadSamples, parseVadSamples, vadFeeds, vadModel } from './vad.js';
import { decodeBatch, encodeBatch } from '../onnx/packed.js';
import type { WireBatch } from '../onnx/packed.js';
import type { StepPlan } from '../onnx/step-plan.js';
import { tensor } from '../onnx/tensors.js';
import { vadFrames } from './vad-frames.js';
import { withoutState } from '../../test/vad-test-utils.js';

describe('parseVadSamples', () => {
  const clip = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) * 0.5);

  it('reads numbers and base64 float32 to the same samples', () => {
    const fromNumbers = parseVadSamples([Array.from(clip)]);
    const fromBase64 = parseVadSamples([encodeVadSamples(clip)]);
    expect(fromBase64).toEqual(clip);
    expect(fromNumbers).toEqual(clip);
  });

  it('reads a Float32Array into a copy of its own, and a Float64Array to float32', () => {
    const parsed = parseVadSamples([clip]);
    expect(parsed).toEqual(clip);
    expect(parsed).not.toBe(clip);
    expect(parseVadSamples([Float64Array.from(clip)])).toEqual(clip);
  });

  it('refuses a string that is not whole float32s in base64', () => {
    expect(() => parseVadSamples(['not base64!'])).toThrow(InputError);
    expect(() => parseVadSamples([encodeBase64(new Uint8Array(6))])).toThrow(/neither/);
  });

  it('refuses non-finite samples and too many samples in either form', () => {
    expect(() => parseVadSamples([encodeVadSamples(Float32Array.of(0, NaN))])).toThrow(
      'VAD: sample 1: expected a finite number, got NaN',
    );
    expect(() => parseVadSamples([Float32Array.of(0, 0, Infinity)])).toThrow(
      'VAD: sample 2: expected a finite number, got Infinity',
    );
    expect(() => parseVadSamples([encodeVadSamples(new Float32Array(11))], 10)).toThrow('expected at most 10 samples');
    expect(() => parseVadSamples([[0, 'x']])).toThrow(InputError);
    expect(() => parseVadSamples([{}])).toThrow(/expected \[samples\]/);
  });

  it('takes float32 extremes and names the first non-finite sample of a long clip', () => {
    const clip = Float32Array.from({ length: 16_000 }, (_, i) => [3.4e38, -3.4e38, -0, 1e-45, 0.5][i % 5] as number);
    expect(parseVadSamples([clip])).toEqual(clip);
    expect(parseVadSamples([encodeVadSamples(clip)])).toEqual(clip);
    for (const [bad, at] of [
      [NaN, 15_999],
      [Infinity, 7],
      [-Infinity, 0],
    ] as const) {
      const broken = clip.slice();
      broken[at] = bad;
      broken[15_000] = NaN;
      const first = Math.min(at, 15_000);
      expect(() => parseVadSamples([encodeVadSamples(broken)])).toThrow(`VAD: sample ${first}: expected a finite`);
      expect(() => parseVadSamples([broken])).toThrow(`VAD: sample ${first}: expected a finite`);
    }
  });
});

describe('vadFeeds', () => {
  it('gives the frames, a zero state and the sample rate', () => {
    const clip = Float32Array.from({ length: 700 }, (_, i) => Math.cos(i));
    const { input, state, sr } = vadFeeds(clip);
    expect(input?.dims).toEqual([2, 1, 576]);
    expect(input?.data).toEqual(vadFrames(clip));
    expect(state?.dims).toEqual([2, 1, 128]);
    expect([...(state?.data as Float32Array)].every((v) => v === 0)).toBe(true);
    expect([sr?.dims, [...(sr?.data as BigInt64Array)]]).toEqual([[], [16000n]]);
  });
});

describe('vadModel', () => {
  it('preprocesses a request into its frames, a copy of the samples', async () => {
    const clip = Float32Array.from({ length: 600 }, (_, i) => Math.sin(i) / 2);
    const frames = await vadModel().preprocess([clip]);
    expect(frames).toEqual(vadFrames(clip));
    expect(frames.buffer).not.toBe(clip.buffer);
    await expect(async () => vadModel().preprocess([Float32Array.of(0, NaN)])).rejects.toThrow(InputError);
  });

  it('runs a batch encoded whole, and reads the probabilities it gets back', async () => {
    const clips = [Float32Array.from({ length: 1100 }, (_, i) => Math.sin(i)), new Float32Array(512)];
    const model = vadModel();
    const frames = await Promise.all(clips.map((clip) => model.preprocess([clip])));
    const calls: WireBatch[] = [];
    const session = {
      run: () => Promise.reject(new Error('not used')),
      runSteps: () => Promise.reject(new Error('not used')),
      // A stand-in model: the probability of a frame is its first sample + 1.
      runStepsEncoded: async (batch: WireBatch, plan: StepPlan) => {
        calls.push(batch);
        expect(plan).toMatchObject({ stepInputs: ['input'], returnCarried: false });
        const outputs = decodeBatch(batch).map(({ input }) => {
          const steps = input?.dims[0] as number;
          const p = Float32Array.from({ length: steps }, (_, t) => (input?.data[t * 576] as number) + 1);
          return { output: tensor('float32', p, [steps, 1, 1]) };
        });
        return encodeBatch(outputs).wire;
      },
    };
    const results = await model.infer?.(frames, session);
    expect(decodeBatch(calls[0] as WireBatch)).toEqual(clips.map((clip) => withoutState(vadFeeds(clip))));
    const probabilities = await Promise.all((results ?? []).map((r) => model.postprocess(r, [])));
    const expected = clips.map((clip) => {
      const all = vadFrames(clip);
      return Array.from(Float32Array.from({ length: all.length / 576 }, (_, t) => (all[t * 576] as number) + 1));
    });
    expect(probabilities.map((p) => p[0])).toEqual(expected);
    expect(expected[0]?.[1]).not.toBe(1);
  });
});
