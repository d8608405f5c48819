import { describe, expect, it, vi } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { doubleModel, identityModel, scaleModel } from '../../test-fixtures/tiny-models.js';
import { feedsRunner } from './packed.js';
import { createRunner as createWireRunner } from './runner.js';
import type { OrtModule, OrtSession, OrtTensor, RunnerDependencies } from './runner.js';
import { tensor } from './tensors.js';

/** The runner a worker exposes, called with feeds the way the endpoint calls it (batches encoded both ways). */
function createRunner(deps: RunnerDependencies) {
  const api = createWireRunner(deps);
  return { ...api, ...feedsRunner(api) };
}

const ort = ortNode as unknown as OrtModule;
const f32 = (values: number[], dims: number[]) => tensor('float32', Float32Array.from(values), dims);

describe('createRunner with onnxruntime-node', () => {
  it('loads a model and reports its provider and names', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    const report = await runner.load(doubleModel(), { executionProviders: ['cpu'] });
    expect(report).toEqual({
      executionProvider: 'cpu',
      fallbacks: [],
      runtime: 'onnxruntime-node',
      inputNames: ['x'],
      outputNames: ['y'],
    });
    await runner.dispose();
  });

  it('runs a batch in one go and splits it back, the same as one by one', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await runner.load(doubleModel(), { executionProviders: ['cpu'] });
    const requests = () => [{ x: f32([1, 2, 3], [1, 3]) }, { x: f32([4, 5, 6, 7, 8, 9], [2, 3]) }];
    const batched = await runner.run(requests());
    const alone = [await runner.run([requests()[0]!]), await runner.run([requests()[1]!])].map((r) => r[0]);
    expect(batched).toEqual(alone);
    expect(batched[1]?.y?.dims).toEqual([2, 3]);
    expect([...(batched[1]?.y?.data as Float32Array)]).toEqual([8, 10, 12, 14, 16, 18]);
    await runner.dispose();
  });

  it("steps a batch whose outputs are its step inputs, each step's values kept apart", async () => {
    // The step input's memory is written over at every step: an output must not share it.
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await runner.load(identityModel(), { executionProviders: ['cpu'] });
    const frames = (base: number) =>
      f32(
        [0, 1, 2, 3, 4, 5].map((v) => v + base),
        [3, 1, 2],
      );
    const results = await runner.runSteps([{ x: frames(0) }, { x: frames(10) }], {
      stepInputs: ['x'],
      carry: {},
      returnCarried: false,
    });
    expect(results.map((r) => [r.y?.dims, [...(r.y?.data as Float32Array)]])).toEqual([
      [
        [3, 1, 2],
        [0, 1, 2, 3, 4, 5],
      ],
      [
        [3, 1, 2],
        [10, 11, 12, 13, 14, 15],
      ],
    ]);
    await runner.dispose();
  });

  it('batches along a configured axis, with shared inputs and unbatched outputs', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await runner.load(scaleModel(), {
      executionProviders: ['cpu'],
      inputBatchAxes: { x: 1, s: null },
      outputBatchAxes: { y: 1, t: null },
    });
    const request = (base: number) => ({
      x: f32(
        [0, 1, 2, 3, 4, 5, 6, 7].map((v) => v + base),
        [2, 1, 4],
      ),
      s: f32([3], [1]),
    });
    const [a, b] = await runner.run([request(0), request(100)]);
    expect([...(a?.y?.data as Float32Array)]).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(b?.y?.dims).toEqual([2, 1, 4]);
    expect([...(b?.y?.data as Float32Array)].slice(0, 2)).toEqual([300, 303]);
    expect([...(a?.t?.data as Float32Array)]).toEqual([6]);
    expect([...(b?.t?.data as Float32Array)]).toEqual([6]);
    await runner.dispose();
  });

  it('runs requests of different shapes apart instead of failing the batch', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await runner.load(doubleModel(), { executionProviders: ['cpu'] });
    const results = await runner.run([
      { x: f32([1, 2, 3], [1, 3]) },
      { x: f32([1, 2, 3, 4, 5], [1, 5]) },
      { x: f32([4, 5, 6], [1, 3]) },
    ]);
    expect(results.map((r) => [...(r.y?.data as Float32Array)])).toEqual([
      [2, 4, 6],
      [2, 4, 6, 8, 10],
      [8, 10, 12],
    ]);
    await runner.dispose();
  });

  it('rejects a model that is not ONNX, with ORT saying why', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await expect(runner.load(Uint8Array.of(1, 2, 3, 4), { executionProviders: ['cpu'] })).rejects.toThrow(/^cpu: .+/);
  });

  it('says when no model is loaded', async () => {
    const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
    await expect(runner.run([{ x: f32([1, 2, 3], [1, 3]) }])).rejects.toThrow(/no model is loaded/);
  });
});

/** A fake ORT whose sessions record when runs overlap, and whose providers can fail. */
function fakeOrt(failing: string[] = []) {
  const events: string[] = [];
  let running = 0;
  let overlapped = false;
  const release: (() => void)[] = [];
  const session: OrtSession = {
    inputNames: ['x'],
    outputNames: ['y'],
    run: async (feeds: Record<string, OrtTensor>) => {
      running++;
      if (running > 1) overlapped = true;
      events.push('start');
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      events.push('end');
      return { y: feeds.x as OrtTensor };
    },
    release: async () => undefined,
  };
  const module: OrtModule = {
    InferenceSession: {
      create: async (_model: string | Uint8Array, options?: object) => {
        const [ep] = (options as { executionProviders: string[] }).executionProviders;
        if (failing.includes(ep as string)) throw new Error(`${ep} backend failed to start`);
        return session;
      },
    },
    Tensor: class {
      constructor(
        readonly type: string,
        readonly data: unknown,
        readonly dims: readonly number[],
      ) {}
    } as unknown as OrtModule['Tensor'],
  };
  return { module, events, release, overlapped: () => overlapped };
}

describe('createRunner', () => {
  it('runs one batch at a time, even when called twice at once', async () => {
    const fake = fakeOrt();
    const runner = createRunner({ ort: fake.module, runtime: 'fake' });
    await runner.load('model.onnx', { executionProviders: ['cpu'] });
    const first = runner.run([{ x: f32([1], [1, 1]) }]);
    const second = runner.run([{ x: f32([2], [1, 1]) }]);
    await vi.waitFor(() => expect(fake.events).toEqual(['start']));
    fake.release.shift()?.();
    await vi.waitFor(() => expect(fake.events).toEqual(['start', 'end', 'start']));
    fake.release.shift()?.();
    await Promise.all([first, second]);
    expect(fake.events).toEqual(['start', 'end', 'start', 'end']);
    expect(fake.overlapped()).toBe(false);
  });

  it('tries providers in order, skips unavailable ones, and reports the fallbacks', async () => {
    const fake = fakeOrt(['webnn']);
    const runner = createRunner({
      ort: fake.module,
      runtime: 'onnxruntime-web',
      isAvailable: async (ep) => ep !== 'webgpu',
    });
    const report = await runner.load('model.onnx', { executionProviders: ['webgpu', 'webnn', 'cpu'] });
    expect(report.executionProvider).toBe('wasm');
    expect(report.fallbacks).toEqual(['webgpu: not available here', 'webnn: webnn backend failed to start']);
  });

  it('fails with every provider named when none works', async () => {
    const runner = createRunner({ ort: fakeOrt(['a', 'b']).module, runtime: 'fake' });
    await expect(runner.load('m.onnx', { executionProviders: ['a', 'b'] })).rejects.toThrow(
      'a: a backend failed to start; b: b backend failed to start',
    );
  });
});
