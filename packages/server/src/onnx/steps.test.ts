import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { accumulateModel } from '../../test-fixtures/tiny-models.js';
import { createRunner } from './runner.js';
import type { OrtModule } from './runner.js';
import { runSteps } from './steps.js';
import { tensor } from './tensors.js';
import type { Feeds } from './tensors.js';

const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);
const plan = { stepInputs: ['x'], carry: { hN: 'h' } };

/** `steps` rows of two values, and a zero state. */
const sequence = (rows: number[][]): Feeds => ({ x: f32(rows.flat(), [rows.length, 1, 2]), h: f32([0, 0], [1, 2]) });

describe('runSteps', () => {
  it('steps sequences of different lengths side by side, carrying each one’s state', async () => {
    const batches: number[] = [];
    // A fake model: y = x + h, hN = y, for a batch of one-row requests.
    const run = async (batch: Feeds[]) => {
      batches.push(batch.length);
      return batch.map((feeds) => {
        const y = (feeds.x?.data as Float32Array).map((v, i) => v + (feeds.h?.data[i] as number));
        return { y: f32([...y], [1, 2]), hN: f32([...y], [1, 2]) };
      });
    };
    const [a, b, c] = await runSteps(
      run,
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
    expect(batches).toEqual([2, 1, 1]);
    expect(a?.y?.dims).toEqual([3, 1, 2]);
    expect([...(a?.y?.data as Float32Array)]).toEqual([1, 1, 3, 3, 6, 6]);
    expect([...(a?.hN?.data as Float32Array)]).toEqual([6, 6]);
    expect([...(b?.y?.data as Float32Array)]).toEqual([10, 20]);
    expect(c).toEqual({ hN: f32([0, 0], [1, 2]) });
  });

  it('refuses step inputs without a step axis or of different lengths', async () => {
    const run = async (batch: Feeds[]) => batch;
    await expect(runSteps(run, [{ x: f32([1], []), h: f32([0, 0], [1, 2]) }], plan)).rejects.toThrow(
      'request 0: step input x needs a leading step axis',
    );
    const uneven = { x: f32([1, 2], [2, 1]), z: f32([1, 2, 3], [3, 1]), h: f32([0, 0], [1, 2]) };
    await expect(runSteps(run, [uneven], { stepInputs: ['x', 'z'], carry: {} })).rejects.toThrow(
      'request 0: step inputs disagree on the number of steps',
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
    ];
    const batched = await runner.runSteps(requests(), plan);
    const alone = [
      (await runner.runSteps([requests()[0]!], plan))[0],
      (await runner.runSteps([requests()[1]!], plan))[0],
    ];
    expect(batched).toEqual(alone);
    expect([...(batched[0]?.y?.data as Float32Array)]).toEqual([1, 2, 4, 6, 9, 12]);
    expect([...(batched[1]?.hN?.data as Float32Array)]).toEqual([1.5, 1.5]);
    await runner.dispose();
  });
});
